/**
 * The other configurations: shared scope with an imported user pool and a given endpoint, set
 * through CDK context strings as `cdk deploy -c key=value` passes them (one full app synth, nag
 * included); and per-user scope with a given endpoint, built from the construct directly.
 */
import { rmSync } from 'node:fs';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type VendingApp, createApp } from '../../lib/create-app.js';
import { MqttUrlVending, type MqttUrlVendingProps } from '../../lib/mqtt-url-vending.js';
import { UserPool, UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { asList, attachedStatements, cdkJsonContext, getAtt, identityStatements, iotArn, onlyResource, ref, tempOutdir } from './template-helpers.js';

describe('shared scope, imported pool, given endpoint (from context strings)', () => {
  const outdir = tempOutdir('shared');
  let built: VendingApp;
  let template: Template;

  beforeAll(() => {
    built = createApp({
      outdir,
      context: cdkJsonContext({
        stackName: 'VendingShared',
        scope: 'shared',
        iotEndpoint: 'abc123-ats.iot.eu-west-1.amazonaws.com',
        urlTtlSeconds: '600',
        sessionDurationSeconds: '1800',
        sessionCacheSize: '500',
        allowedOrigins: '',
        publishTopicTemplates: '["devices/${sub}/out/*"]',
        subscribeTopicTemplates: 'devices/${sub}/in/*, broadcast/${sub}',
        userPoolId: 'us-east-1_AbCdEf123',
        userPoolClientIds: 'client1abc,client2def',
        throttleRateLimit: '5.5',
        throttleBurstLimit: '10',
        logRetentionDays: '7',
        iotPolicyIdentity: 'cognito-identity',
      }),
    });
    built.app.synth(); // throws if cdk-nag reports anything
    template = Template.fromStack(built.stack);
  });

  afterAll(() => {
    rmSync(outdir, { recursive: true, force: true });
  });

  const fn = () => onlyResource(template, 'AWS::Lambda::Function');

  it('is cdk-nag clean', () => {
    expect(built.nag.validateScope(built.app).violations.map((v) => v.ruleName)).toEqual([]);
    expect(built.stack.stackName).toBe('VendingShared');
  });

  it('has no client role: the execution role holds the IoT grants, in the endpoint region', () => {
    template.resourceCountIs('AWS::IAM::Role', 1);
    const executionRole = (fn()[1].Properties?.['Role'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const logGroup = (fn()[1].Properties?.['LoggingConfig'] as { LogGroup: { Ref: string } }).LogGroup.Ref;
    expect(attachedStatements(template, executionRole)).toEqual([
      { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: getAtt(logGroup, 'Arn') },
      { Action: 'iot:Connect', Effect: 'Allow', Resource: [iotArn('client/????????-????-????-????-????????????', 'eu-west-1'), iotArn('client/????????-????-????-????-????????????-*', 'eu-west-1')] },
      { Action: 'iot:Publish', Effect: 'Allow', Resource: iotArn('topic/devices/*/out/*', 'eu-west-1') },
      // Resources sorted by the recommended @aws-cdk/aws-iam:minimizePolicies.
      { Action: 'iot:Receive', Effect: 'Allow', Resource: [iotArn('topic/broadcast/*', 'eu-west-1'), iotArn('topic/devices/*/in/*', 'eu-west-1')] },
      {
        Action: 'iot:Subscribe',
        Effect: 'Allow',
        Resource: [iotArn('topicfilter/broadcast/*', 'eu-west-1'), iotArn('topicfilter/devices/*/in/*', 'eu-west-1')],
      },
    ]);
    expect(identityStatements(template).flatMap((s) => asList(s.statement.Action))).not.toContain('sts:AssumeRole');
  });

  it('sets no CLIENT_ROLE_ARN, and the given endpoint, its region and the context values', () => {
    expect(fn()[1].Properties?.['Environment']).toEqual({
      Variables: {
        IOT_ENDPOINT: 'abc123-ats.iot.eu-west-1.amazonaws.com',
        IOT_REGION: 'eu-west-1',
        URL_TTL_SECONDS: '600',
        PUBLISH_TOPIC_TEMPLATES: '["devices/${sub}/out/*"]',
        SUBSCRIBE_TOPIC_TEMPLATES: '["devices/${sub}/in/*","broadcast/${sub}"]',
        MAX_GROUPS: '4',
        ALLOW_RETAIN: 'false',
        SESSION_DURATION_SECONDS: '1800',
        SESSION_CACHE_SIZE: '500',
        USER_RATE_PER_SECOND: '1',
        USER_RATE_BURST: '5',
        // The metrics' service dimension: stack name and construct id.
        METRICS_SERVICE: 'VendingShared/MqttUrlVending',
        // The issuer's region comes from the pool id, not the stack.
        IDENTITY_MODE: 'cognito',
        ISSUER_URL: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123',
      },
    });
  });

  it('creates no user pool and no endpoint discovery', () => {
    template.resourceCountIs('AWS::Cognito::UserPool', 0);
    template.resourceCountIs('AWS::Cognito::UserPoolClient', 0);
    template.resourceCountIs('Custom::AWS', 0);
    template.resourceCountIs('AWS::Lambda::Function', 1);
  });

  it('binds the authorizer to the imported pool and every given client', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      JwtConfiguration: {
        Audience: ['client1abc', 'client2def'],
        // The issuer's region comes from the pool id, not the stack.
        Issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123',
      },
    });
  });

  it('has no CORS configuration when no origin is allowed, and the given throttling and retention', () => {
    const [, api] = onlyResource(template, 'AWS::ApiGatewayV2::Api');
    expect(api.Properties?.['CorsConfiguration']).toBeUndefined();
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { DefaultRouteSettings: { ThrottlingRateLimit: 5.5, ThrottlingBurstLimit: 10 } });
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup'));
    expect(groups.map((g) => g['Properties'])).toEqual([{ RetentionInDays: 7 }, { RetentionInDays: 7 }]);
  });

  it('writes the AWS IoT policy with the Cognito identity id in place of the sub', () => {
    const variable = '${cognito-identity.amazonaws.com:sub}';
    const [, policy] = onlyResource(template, 'AWS::IoT::Policy');
    expect((policy.Properties?.['PolicyDocument'] as { Statement: unknown[] }).Statement).toEqual([
      { Action: 'iot:Connect', Effect: 'Allow', Resource: [iotArn(`client/${variable}`, 'eu-west-1'), iotArn(`client/${variable}-*`, 'eu-west-1')] },
      { Action: 'iot:Publish', Effect: 'Allow', Resource: iotArn(`topic/devices/${variable}/out/*`, 'eu-west-1') },
      { Action: 'iot:Receive', Effect: 'Allow', Resource: [iotArn(`topic/broadcast/${variable}`, 'eu-west-1'), iotArn(`topic/devices/${variable}/in/*`, 'eu-west-1')] },
      {
        Action: 'iot:Subscribe',
        Effect: 'Allow',
        Resource: [iotArn(`topicfilter/broadcast/${variable}`, 'eu-west-1'), iotArn(`topicfilter/devices/${variable}/in/*`, 'eu-west-1')],
      },
    ]);
  });

  it('outputs the given endpoint, its region and the imported pool', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs['IotEndpoint']?.Value).toBe('abc123-ats.iot.eu-west-1.amazonaws.com');
    expect(outputs['Region']?.Value).toBe('eu-west-1');
    expect(outputs['UserPoolId']?.Value).toBe('us-east-1_AbCdEf123');
    expect(outputs['UserPoolClientId']?.Value).toBe('client1abc');
  });
});

describe('per-user scope with a given endpoint (construct props)', () => {
  // Bundling is skipped here (CDK's own `aws:cdk:bundling-stacks`); the app test bundles for real.
  const synth = (props: ConstructorParameters<typeof MqttUrlVending>[2]): { template: Template; vending: MqttUrlVending; stack: Stack } => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Probe');
    const vending = new MqttUrlVending(stack, 'Vending', props);
    return { template: Template.fromStack(stack), vending, stack };
  };

  it('scopes the client role to the endpoint region and grants Subscribe on subscribe templates only', () => {
    const { template, vending, stack } = synth({
      iotEndpoint: 'ABC123-ats.iot.ap-southeast-2.amazonaws.com',
      publishTopicTemplates: ['telemetry/${sub}/*'],
      subscribeTopicTemplates: ['commands/${sub}/*', 'telemetry/${sub}/*'],
      urlTtl: Duration.minutes(15),
      sessionDuration: Duration.minutes(20),
    });
    const clientRole = stack.resolve(vending.clientRole?.roleArn) as { 'Fn::GetAtt': [string, string] };
    const role = template.toJSON().Resources[clientRole['Fn::GetAtt'][0]].Properties;
    expect(role.Policies[0].PolicyDocument.Statement).toEqual([
      { Action: 'iot:Connect', Effect: 'Allow', Resource: [iotArn('client/????????-????-????-????-????????????', 'ap-southeast-2'), iotArn('client/????????-????-????-????-????????????-*', 'ap-southeast-2')] },
      { Action: 'iot:Publish', Effect: 'Allow', Resource: iotArn('topic/telemetry/*/*', 'ap-southeast-2') },
      { Action: 'iot:Receive', Effect: 'Allow', Resource: [iotArn('topic/commands/*/*', 'ap-southeast-2'), iotArn('topic/telemetry/*/*', 'ap-southeast-2')] },
      { Action: 'iot:Subscribe', Effect: 'Allow', Resource: [iotArn('topicfilter/commands/*/*', 'ap-southeast-2'), iotArn('topicfilter/telemetry/*/*', 'ap-southeast-2')] },
    ]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          IOT_ENDPOINT: 'abc123-ats.iot.ap-southeast-2.amazonaws.com',
          IOT_REGION: 'ap-southeast-2',
          CLIENT_ROLE_ARN: clientRole,
          URL_TTL_SECONDS: '900',
          PUBLISH_TOPIC_TEMPLATES: '["telemetry/${sub}/*"]',
          SUBSCRIBE_TOPIC_TEMPLATES: '["commands/${sub}/*","telemetry/${sub}/*"]',
          SESSION_DURATION_SECONDS: '1200',
          SESSION_CACHE_SIZE: '10000',
        },
      },
    });
    expect(vending.iotRegion).toBe('ap-southeast-2');
    expect(vending.clientRole).toBeDefined();
  });

  it('signs in the stack region when the endpoint name carries none (custom domain)', () => {
    const { template, vending, stack } = synth({ iotEndpoint: 'mqtt.example.com' });
    expect(stack.resolve(vending.iotRegion)).toEqual(ref('AWS::Region'));
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { IOT_ENDPOINT: 'mqtt.example.com', IOT_REGION: ref('AWS::Region') } } });
    template.resourceCountIs('Custom::AWS', 0);
  });
});

describe('grants: private, group, shared and read-only templates, retained messages (from context strings)', () => {
  const outdir = tempOutdir('grants');
  let built: VendingApp;
  let template: Template;

  beforeAll(() => {
    built = createApp({
      outdir,
      context: cdkJsonContext({
        stackName: 'VendingGrants',
        iotEndpoint: 'abc123-ats.iot.eu-west-1.amazonaws.com',
        publishTopicTemplates: '["users/${sub}/*","rooms/${group}/*","lobby/*"]',
        subscribeTopicTemplates: 'users/${sub}/*, rooms/${group}/*, lobby/*, telemetry/*',
        groupPrefix: 'team-',
        maxGroups: '3',
        allowRetain: 'true',
      }),
    });
    built.app.synth(); // throws if cdk-nag reports anything unacknowledged
    template = Template.fromStack(built.stack);
  });

  afterAll(() => {
    rmSync(outdir, { recursive: true, force: true });
  });

  it('is cdk-nag clean, each wildcard acknowledged with the reason', () => {
    expect(built.nag.validateScope(built.app).violations.map((v) => v.ruleName)).toEqual([]);
  });

  it('passes the group and retain settings to the function', () => {
    expect(onlyResource(template, 'AWS::Lambda::Function')[1].Properties?.['Environment']).toMatchObject({
      Variables: { GROUP_PREFIX: 'team-', MAX_GROUPS: '3', ALLOW_RETAIN: 'true', SUBSCRIBE_TOPIC_TEMPLATES: '["users/${sub}/*","rooms/${group}/*","lobby/*","telemetry/*"]' },
    });
  });

  it("widens ${sub} and ${group} to * in the client role's ceiling, with RetainPublish on the publish templates", () => {
    const clientRole = onlyResource(template, 'AWS::IAM::Role', { AssumeRolePolicyDocument: Match.objectLike({ Statement: Match.arrayWith([Match.objectLike({ Principal: { AWS: Match.anyValue() } })]) }) })[0];
    const statements = identityStatements(template).filter((found) => found.source === clientRole).map((found) => found.statement);
    const actionsOn = (resource: string) => statements.filter((s) => asList(s.Resource).some((r) => JSON.stringify(r) === JSON.stringify(iotArn(resource, 'eu-west-1')))).flatMap((s) => asList(s.Action));
    expect(actionsOn('topic/rooms/*/*').sort()).toEqual(['iot:Publish', 'iot:Receive', 'iot:RetainPublish']);
    expect(actionsOn('topic/lobby/*').sort()).toEqual(['iot:Publish', 'iot:Receive', 'iot:RetainPublish']);
    expect(actionsOn('topic/telemetry/*')).toEqual(['iot:Receive']);
    expect(actionsOn('topicfilter/rooms/*/*')).toEqual(['iot:Subscribe']);
  });

  it('leaves the ${group} templates out of the AWS::IoT::Policy (IoT policy variables cannot name a pool group)', () => {
    const document = onlyResource(template, 'AWS::IoT::Policy')[1].Properties?.['PolicyDocument'] as { Statement: { Action: string | string[]; Resource: unknown }[] };
    const text = JSON.stringify(document);
    expect(text).not.toContain('rooms');
    expect(text).toContain('topic/lobby/*');
    expect(text).toContain('topic/telemetry/*');
    const publish = document.Statement.find((s) => asList(s.Action).includes('iot:Publish'));
    expect(asList(publish?.Action)).toEqual(['iot:Publish', 'iot:RetainPublish']);
  });
});

describe('a pool with UPDATED issuers', () => {
  const build = (props: Partial<MqttUrlVendingProps>) => {
    const stack = new Stack(new App(), 'Issuers');
    new MqttUrlVending(stack, 'Vending', { iotEndpoint: 'abc123-ats.iot.eu-west-1.amazonaws.com', userPoolIssuer: 'updated', ...props });
    return { stack, template: Template.fromStack(stack) };
  };

  it('pins a created pool to UPDATED and checks the issuer-cognito-idp form', () => {
    const { template } = build({});
    template.hasResourceProperties('AWS::Cognito::UserPool', { IssuerConfiguration: { Type: 'UPDATED' } });
    const [poolId] = onlyResource(template, 'AWS::Cognito::UserPool');
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Issuer: { 'Fn::Join': ['', Match.arrayWith(['https://issuer-cognito-idp.', { Ref: 'AWS::Region' }, ref(poolId)])] } },
    });
  });

  it('checks the stated form for a pool the app brings, with its clients as audiences', () => {
    const { template } = build({
      userPool: UserPool.fromUserPoolId(new Stack(), 'Pool', 'eu-west-2_AbCdEf123'),
      userPoolClients: [UserPoolClient.fromUserPoolClientId(new Stack(), 'Client', 'client1abc')],
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      JwtConfiguration: { Audience: ['client1abc'], Issuer: { 'Fn::Join': ['', ['https://issuer-cognito-idp.eu-west-2.', { Ref: 'AWS::URLSuffix' }, '/eu-west-2_AbCdEf123']] } },
    });
  });
});
