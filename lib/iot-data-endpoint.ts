/**
 * Discovers the account's AWS IoT data endpoint (`iot:Data-ATS`) at deploy time, so the stack needs
 * no endpoint in its configuration and `cdk synth` needs no AWS account.
 */
import { Validations } from 'aws-cdk-lib';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';

/** Props of {@link IotDataEndpoint}. */
export interface IotDataEndpointProps {
  /** Retention of the discovery function's log group. */
  readonly logRetention: RetentionDays;
}

/** An `AwsCustomResource` calling IoT `DescribeEndpoint` for the ATS data endpoint. */
export class IotDataEndpoint extends Construct {
  /** The endpoint host name, e.g. `abc123-ats.iot.eu-west-1.amazonaws.com` (a deploy-time token). */
  readonly endpointAddress: string;

  /** The role of the provider function: write to its own log group, call `DescribeEndpoint`. */
  readonly role: Role;

  constructor(scope: Construct, id: string, props: IotDataEndpointProps) {
    super(scope, id);

    const logGroup = new LogGroup(this, 'ProviderLogs', { retention: props.logRetention });
    // An explicit role instead of the provider's default keeps AWSLambdaBasicExecutionRole (logs on
    // every log group in the account) out of the stack.
    this.role = new Role(this, 'ProviderRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Discovers the AWS IoT data endpoint at deploy time',
    });
    logGroup.grantWrite(this.role);

    const call = {
      service: 'Iot',
      action: 'DescribeEndpoint',
      parameters: { endpointType: 'iot:Data-ATS' },
      physicalResourceId: PhysicalResourceId.fromResponse('endpointAddress'),
      outputPaths: ['endpointAddress'],
    };
    const describeEndpoint = new PolicyStatement({
      effect: Effect.ALLOW,
      actions: ['iot:DescribeEndpoint'],
      // DescribeEndpoint supports no resource-level permissions: `*` is the only valid resource.
      // https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsiot.html
      resources: ['*'],
    });
    const resource = new AwsCustomResource(this, 'DescribeEndpoint', {
      onCreate: call,
      onUpdate: call,
      policy: AwsCustomResourcePolicy.fromStatements([describeEndpoint]),
      role: this.role,
      logGroup,
      // The Lambda runtime's bundled SDK has DescribeEndpoint; downloading the latest SDK at deploy
      // time needs internet access from the function and adds minutes for nothing.
      installLatestAwsSdk: false,
    });
    this.endpointAddress = resource.getResponseField('endpointAddress');

    const policy = resource.node.findChild('CustomResourcePolicy');
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'iot:DescribeEndpoint does not support resource-level permissions, so its only valid resource is "*"; the statement grants that single read-only action.',
    });
  }
}
