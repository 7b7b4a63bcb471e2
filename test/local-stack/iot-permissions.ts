/**
 * AWS IoT's authorization model for IAM-authenticated (SigV4) connections, on top of
 * {@link evaluateIntersection}: which action and which resource ARN each MQTT operation is checked
 * against, and the local equivalent of the client role's identity policy that CDK deploys.
 *
 * Actions and resources: https://docs.aws.amazon.com/iot/latest/developerguide/iot-policy-actions.html
 */
import { evaluateIntersection, parsePolicy, type ParsedPolicy, type PolicyDecision } from './iam-policy.js';
import { UUID_CLIENT_ID_IAM_PATTERNS } from '../../lambda/vending/identity.js';

/** Where the emulated AWS IoT endpoint lives: the ARNs of its resources are built from this. */
export interface IotResourceScope {
  /** For example `aws`. */
  readonly partition: string;
  /** For example `us-east-1`. */
  readonly region: string;
  /** Twelve digits, for example `000000000000`. */
  readonly account: string;
}

/** The topic templates, each containing `${sub}`, as the Lambda receives them. */
export interface TopicTemplates {
  readonly publish: readonly string[];
  readonly subscribe: readonly string[];
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
 * The client role's identity policy as the CDK construct grants it, for every user at once: the
 * topic templates with `${sub}` widened to the IAM wildcard `*`, and UUID-shaped client IDs for connecting.
 * Per-user narrowing is the session policy's job, exactly as in the deployed stack.
 */
export function clientRolePolicy(scope: IotResourceScope, templates: TopicTemplates): ParsedPolicy {
  const widen = (template: string): string => template.split('${sub}').join('*');
  const publish = [...new Set(templates.publish.map(widen))];
  const subscribe = [...new Set(templates.subscribe.map(widen))];
  return parsePolicy({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: 'iot:Connect', Resource: UUID_CLIENT_ID_IAM_PATTERNS.map((pattern) => iotArn(scope, `client/${pattern}`)) },
      { Effect: 'Allow', Action: 'iot:Publish', Resource: publish.map((topic) => iotArn(scope, `topic/${topic}`)) },
      { Effect: 'Allow', Action: 'iot:Receive', Resource: subscribe.map((topic) => iotArn(scope, `topic/${topic}`)) },
      { Effect: 'Allow', Action: 'iot:Subscribe', Resource: subscribe.map((filter) => iotArn(scope, `topicfilter/${filter}`)) },
    ],
  });
}
