/**
 * The AWS IoT grants for a topic namespace, as IAM statements (for the role that signs vended URLs)
 * and as an AWS IoT policy document (for principals AWS IoT authorizes itself). Both cover the same
 * namespace; only the way the per-user part is expressed differs.
 */
import { ArnFormat, type Stack } from 'aws-cdk-lib';
import { Effect, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { UUID_CLIENT_ID_IAM_PATTERNS } from '../lambda/vending/identity.js';
import { unique } from '../lambda/vending/topic-templates.js';
import { toPolicyVariableResourceName, toWildcardResourceName } from './topic-templates.js';

/**
 * The validated topic templates of a deployment. Publish and Receive are granted on different lists
 * on purpose (least privilege, narrower than the design's "Publish/Receive on both lists"): a user
 * publishes only to `publish` topics and receives only from the `subscribe` ones.
 */
export interface TopicNamespace {
  /** Templates the user may publish to (`iot:Publish`). */
  readonly publish: readonly string[];
  /** Templates the user may subscribe to (`iot:Subscribe` on the filter) and receive from (`iot:Receive`). */
  readonly subscribe: readonly string[];
  /** Whether publishing retained messages is granted (`iot:RetainPublish` on the publish templates). */
  readonly allowRetain: boolean;
}

/**
 * Which identity AWS IoT substitutes for `${sub}` in the provisioned AWS IoT policy.
 * - `thing-name`: `${iot:Connection.Thing.ThingName}`, for X.509 certificates attached to a thing
 *   named after the user (the connection must be attached to that thing; the client ID is the thing
 *   name itself).
 * - `cognito-identity`: `${cognito-identity.amazonaws.com:sub}`, for Cognito identity pool identities.
 */
export type IotPolicyIdentity = 'thing-name' | 'cognito-identity';

const POLICY_VARIABLES: Readonly<Record<IotPolicyIdentity, string>> = {
  'thing-name': '${iot:Connection.Thing.ThingName}',
  'cognito-identity': '${cognito-identity.amazonaws.com:sub}',
};

/** Every {@link IotPolicyIdentity}, for validation. */
export const IOT_POLICY_IDENTITIES: readonly IotPolicyIdentity[] = Object.freeze(Object.keys(POLICY_VARIABLES) as IotPolicyIdentity[]);

type ResourceKind = 'client' | 'topic' | 'topicfilter';

function iotArn(stack: Stack, region: string, kind: ResourceKind, name: string): string {
  return stack.formatArn({ service: 'iot', region, resource: kind, resourceName: name, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
}

/**
 * IAM statements granting the whole namespace, `${sub}` and `${group}` widened to `*`, and the UUID-shaped client
 * IDs Cognito users are vended: this is the ceiling. In per-user scope the Lambda's session policy
 * narrows it to one caller's `sub` at run time; in shared scope it is what every caller gets.
 *
 * @param region - the region of the IoT endpoint (the stack's own unless an endpoint was given)
 */
export function iotRoleStatements(stack: Stack, region: string, namespace: TopicNamespace): PolicyStatement[] {
  return iotStatements(stack, region, namespace, toWildcardResourceName, UUID_CLIENT_ID_IAM_PATTERNS);
}

/**
 * The AWS IoT policy document for the same namespace, with `${sub}` replaced by the policy
 * variable of `identity`. `${group}` templates are left out: AWS IoT policy variables cannot name a
 * user-pool group (https://docs.aws.amazon.com/iot/latest/developerguide/iot-policy-variables.html),
 * and a statement left without resources is dropped. For `thing-name`, CONNECT also requires the certificate to be attached
 * to a thing, as AWS recommends for thing policy variables.
 * https://docs.aws.amazon.com/iot/latest/developerguide/thing-policy-variables.html
 *
 * Client IDs: with `thing-name`, exactly the thing's name (`${iot:Connection.Thing.ThingName}`
 * resolves only for a certificate attached to that thing, and a `-*` suffix would let thing `a`
 * connect as thing `a-b` and disconnect it); with `cognito-identity`, `<id>` and `<id>-*`, so one
 * identity can hold several connections (identity ids, `<region>:<uuid>`, have a fixed format, so
 * `-*` cannot reach another's). The Lambda's per-user session policies follow the same idea: `-*`
 * for UUID subs only.
 */
export function iotPolicyDocument(stack: Stack, region: string, namespace: TopicNamespace, identity: IotPolicyIdentity): PolicyDocument {
  const variable = POLICY_VARIABLES[identity];
  // `<thing>-*` would resolve only for a thing exclusively attached to the connection's certificate,
  // and it would let device `a` take over device `a-b`'s client ID: a thing gets its exact name only.
  const clientIds = identity === 'thing-name' ? [variable] : [variable, `${variable}-*`];
  const statements = iotStatements(stack, region, namespace, (template) => toPolicyVariableResourceName(template, variable), clientIds);
  if (identity === 'thing-name') {
    statements[0]?.addCondition('Bool', { 'iot:Connection.Thing.IsAttached': 'true' });
  }
  return new PolicyDocument({ statements });
}

function iotStatements(
  stack: Stack,
  region: string,
  namespace: TopicNamespace,
  resourceName: (template: string) => string | undefined,
  clientIds: readonly string[],
): PolicyStatement[] {
  const names = (templates: readonly string[]) => unique(templates.map(resourceName).filter((name): name is string => name !== undefined));
  const publishTopics = names(namespace.publish);
  const subscribeTopics = names(namespace.subscribe);
  const statements = [
    new PolicyStatement({
      effect: Effect.ALLOW,
      actions: ['iot:Connect'],
      resources: clientIds.map((clientId) => iotArn(stack, region, 'client', clientId)),
    }),
    new PolicyStatement({
      effect: Effect.ALLOW,
      // https://docs.aws.amazon.com/iot/latest/developerguide/retained-message-policy-examples.html
      actions: namespace.allowRetain ? ['iot:Publish', 'iot:RetainPublish'] : ['iot:Publish'],
      resources: publishTopics.map((topic) => iotArn(stack, region, 'topic', topic)),
    }),
    // Receive is checked on delivery, so it follows what may be subscribed to, not what may be published.
    new PolicyStatement({
      effect: Effect.ALLOW,
      actions: ['iot:Receive'],
      resources: subscribeTopics.map((topic) => iotArn(stack, region, 'topic', topic)),
    }),
    new PolicyStatement({
      effect: Effect.ALLOW,
      actions: ['iot:Subscribe'],
      resources: subscribeTopics.map((filter) => iotArn(stack, region, 'topicfilter', filter)),
    }),
  ];
  return statements.filter((statement) => statement.resources.length > 0);
}
