/**
 * The stack `cdk deploy` ships: CDK context → {@link MqttUrlVending}, plus the outputs a web app
 * needs to sign in and vend URLs (the user pool's in Cognito mode, the issuer in issuer mode).
 * Environment-agnostic, so `cdk synth` needs no AWS account.
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { InvalidVendingConfigError } from './config-error.js';
import { MqttUrlVending } from './mqtt-url-vending.js';
import { contextSettingFor, vendingPropsFromContext } from './stack-context.js';

/** A stack holding one {@link MqttUrlVending} configured from CDK context. */
export class MqttUrlVendingStack extends Stack {
  /** The vending construct. */
  readonly vending: MqttUrlVending;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const vendingProps = vendingPropsFromContext(this);
    try {
      this.vending = new MqttUrlVending(this, 'MqttUrlVending', vendingProps);
    } catch (error) {
      // The construct validated the props; every one came from context, so name the key the operator typed.
      if (!(error instanceof InvalidVendingConfigError)) throw error;
      throw new InvalidVendingConfigError(contextSettingFor(error.setting), error.requirement, error.received, { cause: error });
    }

    const vending = this.vending;
    const outputs: Record<string, { value: string; description: string }> = {
      ApiUrl: {
        value: vending.url,
        description: `Base URL of the vending API; GET <ApiUrl>/mqtt-url with ${vending.identityMode === 'cognito' ? 'a Cognito ID or access token' : 'an ID or access token of the issuer'}`,
      },
      // Pool outputs in Cognito mode only: issuer mode has no pool.
      ...(vending.userPool === undefined ? {} : { UserPoolId: { value: vending.userPool.userPoolId, description: 'Cognito user pool that signs users in' } }),
      ...(vending.userPoolClient === undefined
        ? {}
        : { UserPoolClientId: { value: vending.userPoolClient.userPoolClientId, description: 'App client id for InitiateAuth (USER_PASSWORD_AUTH or SRP)' } }),
      ...(vending.identityMode === 'oidc' ? { Issuer: { value: vending.issuerUrl, description: 'OIDC issuer whose tokens the API accepts (compared exactly with iss)' } } : {}),
      IotEndpoint: { value: vending.iotEndpoint, description: 'AWS IoT data endpoint (iot:Data-ATS) the vended URLs point at' },
      Region: { value: vending.iotRegion, description: 'Region of the IoT endpoint and signing region' },
      IotPolicyName: { value: vending.iotPolicy.ref, description: 'AWS IoT policy for certificate or identity-pool principals, same namespace' },
    };
    for (const [outputId, output] of Object.entries(outputs)) new CfnOutput(this, outputId, output);
  }
}
