/**
 * AWS IoT's authorization model for IAM-authenticated (SigV4) connections, on top of
 * {@link evaluateIntersection}: which action and which resource ARN each MQTT operation is checked
 * against, and the local equivalent of the client role's identity policy that CDK deploys.
 *
 * Actions and resources: https://docs.aws.amazon.com/iot/latest/developerguide/iot-policy-actions.html
 */
import { UUID_CLIENT_ID_IAM_PATTERNS } from '../lambda/vending/identity.js';
import { unique, type TopicTemplates } from '../lambda/vending/topic-templates.js';
// lib/topic-templates.ts is CDK-free (no aws-cdk-lib import), so the local stack widens templates
// with the very function the construct's role policy uses.
import { toWildcardResourceName } from '../lib/topic-templates.js';
import { evaluateIntersection, parsePolicy, type ParsedPolicy, type PolicyDecision } from './iam-policy.js';

/** Where the emulated AWS IoT endpoint lives: the ARNs of its resources are built from this. */
export interface IotResourceScope {
  /** For example `aws`. */
  readonly partition: string;
  /** For example `us-east-1`. */
  readonly region: string;
  /** Twelve digits, for example `000000000000`. */
  readonly account: string;
}

/** What one authenticated connection may do; every answer is a full IAM decision. */
export interface IotPermissions {
  /** `iot:Connect` on `client/<clientId>`. */
  connect(clientId: string): PolicyDecision;
  /** `iot:Subscribe` on `topicfilter/<filter>` (MQTT wildcards literal). */
  subscribe(topicFilter: string): PolicyDecision;
  /** `iot:Publish` on `topic/<topic>`, plus `iot:RetainPublish` when the RETAIN flag is set. */
  publish(topic: string, retain: boolean): PolicyDecision;
  /** `iot:Receive` on `topic/<topic>`, checked for every message delivered. */
  receive(topic: string): PolicyDecision;
}

/** Builds the ARN of an AWS IoT resource such as `client/abc` or `topic/users/abc/chat`. */
export function iotArn(scope: IotResourceScope, resource: string): string {
  return `arn:${scope.partition}:iot:${scope.region}:${scope.account}:${resource}`;
}

/**
 * Evaluates the MQTT operations of one connection against the intersection of its policies (the
 * role's identity policy, plus the session policy when the session has one).
 */
export function iotPermissions(scope: IotResourceScope, policies: readonly ParsedPolicy[]): IotPermissions {
  const check = (action: string, resource: string): PolicyDecision => evaluateIntersection(policies, action, iotArn(scope, resource));
  return {
    connect: (clientId) => check('iot:Connect', `client/${clientId}`),
    subscribe: (topicFilter) => check('iot:Subscribe', `topicfilter/${topicFilter}`),
    publish: (topic, retain) => {
      const publish = check('iot:Publish', `topic/${topic}`);
      // https://docs.aws.amazon.com/iot/latest/developerguide/retained-message-policy-examples.html
      return publish === 'allow' && retain ? check('iot:RetainPublish', `topic/${topic}`) : publish;
    },
    receive: (topic) => check('iot:Receive', `topic/${topic}`),
  };
}

/**
 * The client role's identity policy as the CDK construct grants it (`iotRoleStatements` in
 * `lib/iot-permissions.ts`, which needs a CDK `Stack`), for every user at once: the topic templates
 * widened by the construct's own `toWildcardResourceName` (`${sub}` and `${group}` → `*`), and
 * UUID-shaped client IDs for connecting. Per-user narrowing is the session policy's job, exactly as in
 * the deployed stack.
 *
 * @param allowRetain the deployment's `allowRetain` (`ALLOW_RETAIN`): adds `iot:RetainPublish` on the
 *   widened publish templates, so a retained PUBLISH is allowed where a plain one is (AWS IoT checks
 *   both actions for a PUBLISH with RETAIN)
 */
export function clientRolePolicy(scope: IotResourceScope, templates: TopicTemplates, allowRetain = false): ParsedPolicy {
  const publish = unique(templates.publish.map(toWildcardResourceName));
  const subscribe = unique(templates.subscribe.map(toWildcardResourceName));
  const publishArns = publish.map((topic) => iotArn(scope, `topic/${topic}`));
  return parsePolicy({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: 'iot:Connect', Resource: UUID_CLIENT_ID_IAM_PATTERNS.map((pattern) => iotArn(scope, `client/${pattern}`)) },
      { Effect: 'Allow', Action: 'iot:Publish', Resource: publishArns },
      ...(allowRetain ? [{ Effect: 'Allow', Action: 'iot:RetainPublish', Resource: publishArns }] : []),
      { Effect: 'Allow', Action: 'iot:Receive', Resource: subscribe.map((topic) => iotArn(scope, `topic/${topic}`)) },
      { Effect: 'Allow', Action: 'iot:Subscribe', Resource: subscribe.map((filter) => iotArn(scope, `topicfilter/${filter}`)) },
    ],
  });
}
