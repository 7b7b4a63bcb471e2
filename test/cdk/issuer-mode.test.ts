/**
 * Issuer mode: any OIDC issuer in place of a Cognito user pool. One full app synth from context
 * strings as `cdk deploy -c key=value` passes them (Auth0-style: trailing-slash issuer, namespaced
 * groups claim, a required scope; cdk-nag included), and construct-level synths for the other
 * settings and for what both modes share (route scopes, the China rule, the issuer the function pins).
 */
import { rmSync } from 'node:fs';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { UserPool, UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambda/vending/config.js';
import { type VendingApp, createApp } from '../../lib/create-app.js';
import { MqttUrlVending, type MqttUrlVendingProps } from '../../lib/mqtt-url-vending.js';
import { type CfnResourceJson, cdkJsonContext, getAtt, onlyResource, ref, tempOutdir } from './template-helpers.js';

const AUTH0_ISSUER = 'https://example.us.auth0.com/';
const AUDIENCE = 'https://mqtt.example.com';

/** The rules of a template that name the China partition. */
function chinaRules(template: Template): unknown[] {
  const rules = (template.toJSON() as { Rules?: Record<string, unknown> }).Rules ?? {};
  return Object.values(rules).filter((rule) => JSON.stringify(rule).includes('aws-cn'));
}

/** The function's environment variables. */
function environment(template: Template): Record<string, unknown> {
  const [, fn] = onlyResource(template, 'AWS::Lambda::Function', { Handler: 'index.handler' });
  return (fn.Properties?.['Environment'] as { Variables: Record<string, unknown> }).Variables;
}

describe('issuer mode from context strings (Auth0-style issuer, namespaced groups claim, a required scope)', () => {
  const outdir = tempOutdir('issuer');
  let built: VendingApp;
  let template: Template;

  beforeAll(() => {
    built = createApp({
      outdir,
      context: cdkJsonContext({
        stackName: 'VendingIssuer',
        iotEndpoint: 'abc123-ats.iot.eu-west-1.amazonaws.com',
        issuerUrl: AUTH0_ISSUER,
        audiences: AUDIENCE,
        groupsClaim: 'https://example.com/groups',
        requiredScopes: 'mqtt:connect',
        publishTopicTemplates: 'users/${sub}/*, rooms/${group}/*',
        subscribeTopicTemplates: 'users/${sub}/*, rooms/${group}/*',
      }),
    });
    built.app.synth(); // throws if cdk-nag reports anything unacknowledged
    template = Template.fromStack(built.stack);
  });

  afterAll(() => {
    rmSync(outdir, { recursive: true, force: true });
  });

  it('is cdk-nag clean with no acknowledgement beyond the IoT wildcards (no Cognito finding to set aside)', () => {
    expect(built.nag.validateScope(built.app).violations.map((v) => v.ruleName)).toEqual([]);
    const acknowledged = built.app.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).flatMap((m) => Object.keys(m.data as Record<string, string>)));
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(acknowledged.filter((id) => !id.includes('AwsSolutions-IAM5['))).toEqual([]);
  });

  it('creates no user pool and no app client', () => {
    template.resourceCountIs('AWS::Cognito::UserPool', 0);
    template.resourceCountIs('AWS::Cognito::UserPoolClient', 0);
    const types = Object.values(template.toJSON().Resources as Record<string, CfnResourceJson>).map((resource) => resource.Type);
    expect(types.filter((type) => type.startsWith('AWS::Cognito::'))).toEqual([]);
    expect(built.stack.vending.userPool).toBeUndefined();
    expect(built.stack.vending.userPoolClient).toBeUndefined();
    expect(built.stack.vending.userPoolClients).toEqual([]);
    expect(built.stack.vending.identityMode).toBe('oidc');
  });

  it('checks the exact issuer (trailing slash kept) and the audiences in the JWT authorizer', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: AUTH0_ISSUER, Audience: [AUDIENCE] },
    });
    const [, authorizer] = onlyResource(template, 'AWS::ApiGatewayV2::Authorizer');
    expect(authorizer.Properties?.['JwtConfiguration']).toEqual({ Issuer: AUTH0_ISSUER, Audience: [AUDIENCE] });
  });

  it('requires the scope on the route', () => {
    const [authorizerId] = onlyResource(template, 'AWS::ApiGatewayV2::Authorizer');
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'GET /mqtt-url',
      AuthorizationType: 'JWT',
      AuthorizerId: ref(authorizerId),
      AuthorizationScopes: ['mqtt:connect'],
    });
  });

  it('emits no China-partition rule: an issuer needs no Cognito user pool', () => {
    expect(chinaRules(template)).toEqual([]);
  });

  it('tells the function the mode, the issuer exactly, the audiences, the principal and groups claims', () => {
    expect(environment(template)).toEqual({
      IOT_ENDPOINT: 'abc123-ats.iot.eu-west-1.amazonaws.com',
      IOT_REGION: 'eu-west-1',
      CLIENT_ROLE_ARN: built.stack.resolve(built.stack.vending.clientRole?.roleArn) as unknown,
      URL_TTL_SECONDS: '300',
      PUBLISH_TOPIC_TEMPLATES: '["users/${sub}/*","rooms/${group}/*"]',
      SUBSCRIBE_TOPIC_TEMPLATES: '["users/${sub}/*","rooms/${group}/*"]',
      MAX_GROUPS: '4',
      ALLOW_RETAIN: 'false',
      SESSION_DURATION_SECONDS: '3600',
      SESSION_CACHE_SIZE: '10000',
      USER_RATE_PER_SECOND: '1',
      USER_RATE_BURST: '5',
      METRICS_SERVICE: 'VendingIssuer/MqttUrlVending',
      IDENTITY_MODE: 'oidc',
      ISSUER_URL: AUTH0_ISSUER,
      AUDIENCES: JSON.stringify([AUDIENCE]),
      PRINCIPAL_CLAIM: 'sub',
      GROUPS_CLAIM: 'https://example.com/groups',
    });
    expect(environment(template)['CLIENT_ROLE_ARN']).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/ClientRole/), 'Arn'] });
  });

  it('keeps the raw subject out of the access log (an issuer subject is not a UUID)', () => {
    const [, stage] = onlyResource(template, 'AWS::ApiGatewayV2::Stage');
    const format = JSON.parse((stage.Properties?.['AccessLogSettings'] as { Format: string }).Format) as Record<string, string>;
    expect(format['requestId']).toBe('$context.requestId');
    expect(Object.values(format).filter((value) => value.includes('claims'))).toEqual([]);
  });

  it('outputs the issuer in place of the user pool', () => {
    const [apiId] = onlyResource(template, 'AWS::ApiGatewayV2::Api');
    const [iotPolicyId] = onlyResource(template, 'AWS::IoT::Policy');
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.fromEntries(Object.entries(outputs).map(([key, output]) => [key, output.Value]))).toEqual({
      ApiUrl: getAtt(apiId, 'ApiEndpoint'),
      Issuer: AUTH0_ISSUER,
      IotEndpoint: 'abc123-ats.iot.eu-west-1.amazonaws.com',
      Region: 'eu-west-1',
      IotPolicyName: ref(iotPolicyId),
    });
  });
});

describe('issuer mode from construct props', () => {
  // Bundling is skipped here (CDK's own `aws:cdk:bundling-stacks`); the app tests bundle for real.
  const synth = (props: MqttUrlVendingProps): { template: Template; vending: MqttUrlVending } => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Probe');
    const vending = new MqttUrlVending(stack, 'Vending', { iotEndpoint: 'abc123-ats.iot.eu-west-1.amazonaws.com', ...props });
    return { template: Template.fromStack(stack), vending };
  };

  it('passes a JWKS URI, another principal claim, a JSON Pointer groups claim and several audiences; the issuer as given', () => {
    const issuer = 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0';
    const { template, vending } = synth({
      issuer: {
        url: issuer,
        audiences: ['api://mqtt', '11111111-2222-3333-4444-555555555555'],
        principalClaim: 'oid',
        groupsClaim: '/realm_access/roles',
        jwksUri: 'https://login.microsoftonline.com/common/discovery/v2.0/keys',
      },
      publishTopicTemplates: ['users/${sub}/*', 'rooms/${group}/*'],
      subscribeTopicTemplates: ['users/${sub}/*', 'rooms/${group}/*'],
    });
    expect(environment(template)).toMatchObject({
      IDENTITY_MODE: 'oidc',
      ISSUER_URL: issuer,
      AUDIENCES: '["api://mqtt","11111111-2222-3333-4444-555555555555"]',
      PRINCIPAL_CLAIM: 'oid',
      GROUPS_CLAIM: '/realm_access/roles',
      JWKS_URI: 'https://login.microsoftonline.com/common/discovery/v2.0/keys',
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { JwtConfiguration: { Issuer: issuer, Audience: ['api://mqtt', '11111111-2222-3333-4444-555555555555'] } });
    expect(vending.issuerUrl).toBe(issuer);
  });

  it('sets no GROUPS_CLAIM or JWKS_URI when not given, and requires no scope by default', () => {
    const { template } = synth({ issuer: { url: AUTH0_ISSUER, audiences: [AUDIENCE] } });
    const variables = environment(template);
    expect(variables).toMatchObject({ IDENTITY_MODE: 'oidc', ISSUER_URL: AUTH0_ISSUER, AUDIENCES: `["${AUDIENCE}"]`, PRINCIPAL_CLAIM: 'sub' });
    expect(Object.keys(variables)).not.toContain('GROUPS_CLAIM');
    expect(Object.keys(variables)).not.toContain('JWKS_URI');
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { AuthorizationType: 'JWT', AuthorizationScopes: Match.absent() });
    template.resourceCountIs('AWS::Cognito::UserPool', 0);
    expect(chinaRules(template)).toEqual([]);
  });

  it('accepts plain http for a loopback issuer only, as connectMqtt does for apiUrl', () => {
    for (const url of ['http://localhost:8080/realms/demo', 'http://127.0.0.2/', 'http://[::1]:9000/issuer/']) {
      const { template } = synth({ issuer: { url, audiences: ['local'] } });
      template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { JwtConfiguration: { Issuer: url } });
    }
  });
});

describe('both modes', () => {
  const synth = (props: MqttUrlVendingProps): Template => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Probe');
    new MqttUrlVending(stack, 'Vending', { iotEndpoint: 'abc123-ats.iot.eu-west-1.amazonaws.com', ...props });
    return Template.fromStack(stack);
  };

  it('requires the route scopes in Cognito mode too', () => {
    const template = synth({ requiredScopes: ['aws.cognito.signin.user.admin', 'mqtt/connect'] });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { AuthorizationType: 'JWT', AuthorizationScopes: ['aws.cognito.signin.user.admin', 'mqtt/connect'] });
  });

  it('keeps the China-partition rule in Cognito mode only', () => {
    expect(chinaRules(synth({}))).toHaveLength(1);
    expect(chinaRules(synth({ issuer: { url: AUTH0_ISSUER, audiences: [AUDIENCE] } }))).toEqual([]);
  });

  it('pins the UPDATED issuer of a brought pool in the function as in the authorizer, and sets no issuer-only variable', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Probe');
    const vending = new MqttUrlVending(stack, 'Vending', {
      iotEndpoint: 'abc123-ats.iot.eu-west-1.amazonaws.com',
      userPool: UserPool.fromUserPoolId(stack, 'Pool', 'eu-west-2_AbCdEf123'),
      userPoolClients: [UserPoolClient.fromUserPoolClientId(stack, 'Client', 'client1abc')],
      userPoolIssuer: 'updated',
    });
    const template = Template.fromStack(stack);
    const issuer = { 'Fn::Join': ['', ['https://issuer-cognito-idp.eu-west-2.', { Ref: 'AWS::URLSuffix' }, '/eu-west-2_AbCdEf123']] };
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { JwtConfiguration: { Issuer: issuer } });
    const variables = environment(template);
    expect(variables).toMatchObject({ IDENTITY_MODE: 'cognito', ISSUER_URL: issuer });
    for (const name of ['AUDIENCES', 'PRINCIPAL_CLAIM', 'GROUPS_CLAIM', 'JWKS_URI']) expect(Object.keys(variables)).not.toContain(name);
    expect(vending.identityMode).toBe('cognito');
    expect(vending.userPool?.userPoolId).toBe('eu-west-2_AbCdEf123');
  });

  it('sets an ISSUER_URL the function accepts, for pools of either issuer form (deployed in the aws partition)', () => {
    for (const userPoolIssuer of ['original', 'updated'] as const) {
      const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Probe');
      new MqttUrlVending(stack, 'Vending', {
        iotEndpoint: 'abc123-ats.iot.eu-west-2.amazonaws.com',
        scope: 'shared', // no client role ARN to resolve
        userPool: UserPool.fromUserPoolId(stack, 'Pool', 'eu-west-2_AbCdEf123'),
        userPoolClients: [UserPoolClient.fromUserPoolClientId(stack, 'Client', 'client1abc')],
        userPoolIssuer,
      });
      const variables = environment(Template.fromStack(stack));
      // What CloudFormation makes of the value in the aws partition.
      const deployed = (value: unknown): string => {
        if (typeof value === 'string') return value;
        const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
        if (join !== undefined) return join[1].map(deployed).join(join[0]);
        if (JSON.stringify(value) === JSON.stringify({ Ref: 'AWS::URLSuffix' })) return 'amazonaws.com';
        throw new Error(`unexpected ${JSON.stringify(value)}`);
      };
      const env = Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, deployed(value)]));
      expect(env['ISSUER_URL']).toBe(`https://${userPoolIssuer === 'original' ? '' : 'issuer-'}cognito-idp.eu-west-2.amazonaws.com/eu-west-2_AbCdEf123`);
      expect(() => parseConfig(env), `${userPoolIssuer}: ${env['ISSUER_URL']}`).not.toThrow();
    }
  });
});
