/**
 * The stack `cdk deploy` ships: CDK context → {@link MqttUrlVending}, plus the outputs a web app
 * needs to sign in and vend URLs. Environment-agnostic, so `cdk synth` needs no AWS account.
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

    const outputs: Record<string, { value: string; description: string }> = {
      ApiUrl: { value: this.vending.url, description: 'Base URL of the vending API; GET <ApiUrl>/mqtt-url with a Cognito ID or access token' },
      UserPoolId: { value: this.vending.userPool.userPoolId, description: 'Cognito user pool that signs users in' },
      UserPoolClientId: { value: this.vending.userPoolClient.userPoolClientId, description: 'App client id for InitiateAuth (USER_PASSWORD_AUTH or SRP)' },
      IotEndpoint: { value: this.vending.iotEndpoint, description: 'AWS IoT data endpoint (iot:Data-ATS) the vended URLs point at' },
      Region: { value: this.vending.iotRegion, description: 'Region of the IoT endpoint and signing region' },
      IotPolicyName: { value: this.vending.iotPolicy.ref, description: 'AWS IoT policy for certificate or identity-pool principals, same namespace' },
    };
    for (const [outputId, output] of Object.entries(outputs)) new CfnOutput(this, outputId, output);
  }
}
