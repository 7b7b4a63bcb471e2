/**
 * The app exactly as `cdk synth` runs it (bin/app.ts → createApp), with the default context:
 * per-user scope, new user pool, discovered IoT endpoint. Synthesized once (bundling runs esbuild)
 * and shared by every assertion.
 */
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type VendingApp, createApp } from '../../lib/create-app.js';
import { CONTEXT_DEFAULTS } from '../../lib/stack-context.js';
import { asList, attachedStatements, type CfnResourceJson, cdkJsonContext, getAtt, identityStatements, iotArn, onlyResource, ref, tempOutdir } from './template-helpers.js';
import { optionalTool } from '../optional-tool.js';

const run = promisify(execFile);
const outdir = tempOutdir('app');
let built: VendingApp;
let template: Template;
let templateText: string;
let templatePath: string;

beforeAll(() => {
  built = createApp({ outdir, context: cdkJsonContext() });
  // Throws "Validation failed" if cdk-nag (registered as a validation plugin) reports anything.
  const assembly = built.app.synth();
  const artifact = assembly.getStackArtifact(built.stack.artifactId);
  templatePath = join(assembly.directory, artifact.templateFile);
  templateText = readFileSync(templatePath, 'utf8');
  template = Template.fromJSON(JSON.parse(templateText) as Record<string, unknown>);
});

afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
});

const fn = (): [string, CfnResourceJson] => onlyResource(template, 'AWS::Lambda::Function', { Handler: 'index.handler', Runtime: 'nodejs24.x', Architectures: ['arm64'] });
const functionLogGroupId = (): string => ((fn()[1].Properties?.['LoggingConfig'] as { LogGroup: { Ref: string } }).LogGroup.Ref);
const executionRoleId = (): string => (fn()[1].Properties?.['Role'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
const clientRoleId = (): string =>
  onlyResource(template, 'AWS::IAM::Role', { AssumeRolePolicyDocument: Match.objectLike({ Statement: [Match.objectLike({ Principal: { AWS: Match.anyValue() } })] }) })[0];
const userPoolId = (): string => onlyResource(template, 'AWS::Cognito::UserPool')[0];
const userPoolClientId = (): string => onlyResource(template, 'AWS::Cognito::UserPoolClient')[0];
const endpointResourceId = (): string => onlyResource(template, 'Custom::AWS')[0];

describe('cdk-nag (AwsSolutions)', () => {
  it('reports no unacknowledged finding on the synthesized app', () => {
    const report = built.nag.validateScope(built.app);
    expect(report.violations.map((v) => `${v.ruleName} @ ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('does catch an unacknowledged finding (the check above can fail)', () => {
    const app = new App();
    const stack = new Stack(app, 'Probe');
    new Role(stack, 'Wide', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') })
      .addToPolicy(new PolicyStatement({ actions: ['iot:Publish'], resources: ['*'] }));
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(report.violations.map((v) => v.ruleName)).toContain('AwsSolutions-IAM5[Resource::*]');
  });

  it('acknowledges only specific findings, each with a reason', () => {
    const acknowledged = built.app.node.findAll().flatMap((c) =>
      c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).map((m) => ({ path: c.node.path, data: m.data as Record<string, string> })),
    );
    const entries = acknowledged.flatMap((a) => Object.entries(a.data).map(([id, reason]) => ({ at: `${a.path} ${id}`, reason })));
    const vending = 'MqttUrlVending/MqttUrlVending';
    const iot = 'arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>';
    // Narrowest scope: each on the construct concerned, never on the app or the stack.
    expect(entries.map((e) => e.at).sort()).toEqual([
      `${vending}/ClientRole Annotation::AwsSolutions-IAM5[Resource::${iot}:client/????????-????-????-????-????????????-*]`,
      `${vending}/ClientRole Annotation::AwsSolutions-IAM5[Resource::${iot}:topic/users/*/*]`,
      `${vending}/ClientRole Annotation::AwsSolutions-IAM5[Resource::${iot}:topicfilter/users/*/*]`,
      `${vending}/IotEndpoint/DescribeEndpoint/CustomResourcePolicy Annotation::AwsSolutions-IAM5[Resource::*]`,
      `${vending}/UserPool Annotation::AwsSolutions-COG2`,
      `${vending}/UserPool Annotation::AwsSolutions-COG8`,
    ]);
    for (const { at, reason } of entries) expect(reason.length, at).toBeGreaterThan(60);
  });
});

const cfnLint = optionalTool('cfn-lint', 'pip install "cfn-lint>=1,<2"');

describe('cfn-lint', () => {
  it.skipIf(!cfnLint.available)(`reports no error on the synthesized template${cfnLint.skipNote}`, async () => {
    let stdout: string;
    try {
      ({ stdout } = await run('cfn-lint', ['--format', 'json', templatePath], { maxBuffer: 10 * 1024 * 1024 }));
    } catch (error) {
      // cfn-lint exits non-zero for warnings too (4); only a missing binary or a crash is fatal here.
      const failure = error as { code?: unknown; stdout?: string };
      if (typeof failure.stdout !== 'string' || failure.stdout === '') throw error;
      stdout = failure.stdout;
    }
    const matches = JSON.parse(stdout) as { Level: string; Rule: { Id: string }; Message: string; Location: { Path: (string | number)[] } }[];
    // cfn-lint 1.x bundles resource schemas that may predate UserPool's IssuerConfiguration, a
    // documented property (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-cognito-userpool-issuerconfiguration.html):
    // exactly that finding is set aside, anything else fails.
    const outdatedSchema = (m: (typeof matches)[number]) => m.Rule.Id === 'E3002' && m.Message.includes("'IssuerConfiguration' was unexpected") && m.Location.Path.includes(userPoolId());
    expect(matches.filter((m) => m.Level === 'Error' && !outdatedSchema(m)).map((m) => `${m.Rule.Id} ${m.Message}`)).toEqual([]);
  });
});

describe('function', () => {
  it('is the newest Node.js runtime, arm64, small, quick to time out, JSON logging into its own log group', () => {
    const [, resource] = fn();
    expect(resource.Properties).toMatchObject({ MemorySize: 256, Timeout: 10 });
    expect(resource.Properties?.['LoggingConfig']).toEqual({ LogFormat: 'JSON', ApplicationLogLevel: 'INFO', SystemLogLevel: 'WARN', LogGroup: ref(functionLogGroupId()) });
    expect(template.toJSON().Resources[functionLogGroupId()].Properties).toEqual({ RetentionInDays: 30 });
  });

  it('gets exactly the environment contract: endpoint, region, client role, TTL, templates, session settings, identity', () => {
    expect(fn()[1].Properties?.['Environment']).toEqual({
      Variables: {
        IOT_ENDPOINT: getAtt(endpointResourceId(), 'endpointAddress'),
        IOT_REGION: ref('AWS::Region'),
        CLIENT_ROLE_ARN: getAtt(clientRoleId(), 'Arn'),
        URL_TTL_SECONDS: '300',
        PUBLISH_TOPIC_TEMPLATES: '["users/${sub}/*"]',
        SUBSCRIBE_TOPIC_TEMPLATES: '["users/${sub}/*"]',
        MAX_GROUPS: '4',
        ALLOW_RETAIN: 'false',
        SESSION_DURATION_SECONDS: '3600',
        SESSION_CACHE_SIZE: '10000',
        USER_RATE_PER_SECOND: '1',
        USER_RATE_BURST: '5',
        // The metrics' service dimension: stack name and construct id.
        METRICS_SERVICE: 'MqttUrlVending/MqttUrlVending',
        // Cognito mode: the pool's ORIGINAL issuer, pinned by the function as by the authorizer.
        IDENTITY_MODE: 'cognito',
        ISSUER_URL: { 'Fn::Join': ['', ['https://cognito-idp.', ref('AWS::Region'), '.amazonaws.com/', ref(userPoolId())]] },
      },
    });
  });

  it('pins the very issuer the authorizer checks', () => {
    const [, authorizer] = onlyResource(template, 'AWS::ApiGatewayV2::Authorizer');
    const variables = (fn()[1].Properties?.['Environment'] as { Variables: Record<string, unknown> }).Variables;
    expect(variables['ISSUER_URL']).toEqual((authorizer.Properties?.['JwtConfiguration'] as { Issuer: unknown }).Issuer);
  });

  it('is bundled by the local esbuild into an ESM file that loads and answers a claimless request with 401', async () => {
    const code = fn()[1].Properties?.['Code'] as { S3Key: string };
    const assetDir = join(outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
    const script = `import(${JSON.stringify(join(assetDir, 'index.mjs'))}).then(async (m) => {
      const r = await m.handler({ requestContext: { requestId: 'r', authorizer: { jwt: { claims: {} } } } });
      process.stdout.write(JSON.stringify({ status: r.statusCode }) + '\\n');
    })`;
    const { stdout } = await run(process.execPath, ['-e', script], {
      env: {
        PATH: process.env['PATH'] ?? '',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_REGION: 'eu-west-1',
        IOT_ENDPOINT: 'abc123-ats.iot.eu-west-1.amazonaws.com',
        CLIENT_ROLE_ARN: 'arn:aws:iam::123456789012:role/client',
        // What the construct sets in Cognito mode, with the pool's issuer resolved.
        IDENTITY_MODE: 'cognito',
        ISSUER_URL: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123',
      },
    });
    expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}')).toEqual({ status: 401 });
  });
});

describe('HTTP API', () => {
  it('has exactly one route, GET /mqtt-url, behind the JWT authorizer and proxied to the function', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 1);
    const [authorizerId] = onlyResource(template, 'AWS::ApiGatewayV2::Authorizer');
    const [integrationId] = onlyResource(template, 'AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: getAtt(fn()[0], 'Arn'),
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'GET /mqtt-url',
      AuthorizationType: 'JWT',
      AuthorizerId: ref(authorizerId),
      Target: { 'Fn::Join': ['', ['integrations/', ref(integrationId)]] },
    });
  });

  it('binds the authorizer to the user pool (issuer) and its app client (audience)', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Audience: [ref(userPoolClientId())],
        Issuer: { 'Fn::Join': ['', ['https://cognito-idp.', ref('AWS::Region'), '.amazonaws.com/', ref(userPoolId())]] },
      },
    });
  });

  it('lets the function be invoked by this API on this route only', () => {
    const [apiId] = onlyResource(template, 'AWS::ApiGatewayV2::Api');
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      FunctionName: getAtt(fn()[0], 'Arn'),
      SourceArn: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([ref(apiId), '/*/*/mqtt-url'])] }),
    });
  });

  it('configures no CORS by default: only same-origin and non-browser callers', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP', CorsConfiguration: Match.absent() });
  });

  it('throttles the $default stage and writes JSON access logs to a log group with retention', () => {
    const [, stage] = onlyResource(template, 'AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
    const settings = stage.Properties?.['AccessLogSettings'] as { DestinationArn: { 'Fn::GetAtt': [string, string] }; Format: string };
    const logGroupId = settings.DestinationArn['Fn::GetAtt'][0];
    expect(template.toJSON().Resources[logGroupId]).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } });
    const format = JSON.parse(settings.Format) as Record<string, string>;
    expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status', routeKey: '$context.routeKey', sub: '$context.authorizer.claims.sub' });
  });
});

describe('IAM', () => {
  it('execution role: trusted by Lambda, may only write its logs and assume the client role', () => {
    const execution = executionRoleId();
    expect(template.toJSON().Resources[execution].Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
    ]);
    expect(template.toJSON().Resources[execution].Properties.Policies).toBeUndefined();
    expect(template.toJSON().Resources[execution].Properties.ManagedPolicyArns).toBeUndefined();
    expect(attachedStatements(template, execution)).toEqual([
      { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: getAtt(functionLogGroupId(), 'Arn') },
      { Action: 'sts:AssumeRole', Effect: 'Allow', Resource: getAtt(clientRoleId(), 'Arn') },
    ]);
  });

  it('client role: trusted by the execution role alone, granted the IoT namespace in this account and region', () => {
    const client = template.toJSON().Resources[clientRoleId()].Properties;
    expect(client.AssumeRolePolicyDocument.Statement).toEqual([{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { AWS: getAtt(executionRoleId(), 'Arn') } }]);
    expect(client.MaxSessionDuration).toBe(3600);
    expect(client.ManagedPolicyArns).toBeUndefined();
    expect(client.Policies).toEqual([
      {
        PolicyName: 'IotNamespace',
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            // Only UUID-shaped client IDs (Cognito subs, with or without a suffix), never client/*.
            { Action: 'iot:Connect', Effect: 'Allow', Resource: [iotArn('client/????????-????-????-????-????????????'), iotArn('client/????????-????-????-????-????????????-*')] },
            // One list for both (the default): the recommended @aws-cdk/aws-iam:minimizePolicies merges them.
            { Action: ['iot:Publish', 'iot:Receive'], Effect: 'Allow', Resource: iotArn('topic/users/*/*') },
            { Action: 'iot:Subscribe', Effect: 'Allow', Resource: iotArn('topicfilter/users/*/*') },
          ],
        },
      },
    ]);
    expect(attachedStatements(template, clientRoleId())).toEqual([]);
  });

  it('endpoint discovery: only iot:DescribeEndpoint (resource "*", no resource-level permissions exist) plus its own logs', () => {
    const [, custom] = onlyResource(template, 'Custom::AWS', { InstallLatestAwsSdk: false });
    expect(JSON.parse(custom.Properties?.['Create'] as string)).toMatchObject({ service: 'Iot', action: 'DescribeEndpoint', parameters: { endpointType: 'iot:Data-ATS' } });
    const provider = custom.Properties?.['ServiceToken'] as { 'Fn::GetAtt': [string, string] };
    const providerFunction = template.toJSON().Resources[provider['Fn::GetAtt'][0]].Properties;
    const providerRole = providerFunction.Role['Fn::GetAtt'][0] as string;
    expect(template.toJSON().Resources[providerRole].Properties.ManagedPolicyArns).toBeUndefined();
    const logGroup = providerFunction.LoggingConfig.LogGroup.Ref as string;
    expect(template.toJSON().Resources[logGroup].Properties).toEqual({ RetentionInDays: 30 });
    expect(attachedStatements(template, providerRole).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual([
      { Action: 'iot:DescribeEndpoint', Effect: 'Allow', Resource: '*' },
      { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: getAtt(logGroup, 'Arn') },
    ]);
  });

  it('has no "*" resource except DescribeEndpoint, no wildcard action, no managed policy', () => {
    const statements = identityStatements(template);
    expect(statements.length).toBeGreaterThan(0);
    for (const { source, statement } of statements) {
      expect(statement.Effect, source).toBe('Allow');
      for (const action of asList(statement.Action)) expect(action, source).not.toContain('*');
      if (asList(statement.Resource).includes('*')) expect(statement.Action, source).toBe('iot:DescribeEndpoint');
    }
    for (const role of Object.values(template.findResources('AWS::IAM::Role'))) expect(role['Properties'].ManagedPolicyArns).toBeUndefined();
  });

  it('never writes a literal partition or account into the template', () => {
    expect(templateText).not.toContain('arn:aws:');
    expect(templateText).not.toMatch(/(?<![\w-])\d{12}(?![\w-])/);
  });
});

describe('AWS IoT policy', () => {
  it('grants the same namespace with the thing name in place of the sub, for attached things only, as the exact client ID', () => {
    const variable = '${iot:Connection.Thing.ThingName}';
    const [, policy] = onlyResource(template, 'AWS::IoT::Policy');
    // No `<thing>-*`: it would resolve only with an exclusive thing association, and let thing `a`
    // connect as thing `a-b`.
    expect(policy.Properties).toEqual({
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Action: 'iot:Connect',
            Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } },
            Effect: 'Allow',
            Resource: iotArn(`client/${variable}`),
          },
          { Action: ['iot:Publish', 'iot:Receive'], Effect: 'Allow', Resource: iotArn(`topic/users/${variable}/*`) },
          { Action: 'iot:Subscribe', Effect: 'Allow', Resource: iotArn(`topicfilter/users/${variable}/*`) },
        ],
      },
    });
  });

  it('is retained on stack deletion, so `cdk destroy` cannot fail on a policy still attached to certificates', () => {
    const [, policy] = onlyResource(template, 'AWS::IoT::Policy');
    expect(policy).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });
});

describe('partition guard', () => {
  it('fails the deployment at once in the China partition, which has no Cognito user pools', () => {
    const rules = (template.toJSON() as { Rules?: Record<string, { Assertions: { Assert: unknown; AssertDescription: string }[] }> }).Rules ?? {};
    const guards = Object.values(rules).filter((rule) => JSON.stringify(rule).includes('aws-cn'));
    expect(guards).toHaveLength(1);
    expect(guards[0]?.Assertions).toEqual([
      { Assert: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'AWS::Partition' }, 'aws-cn'] }] }, AssertDescription: expect.stringMatching(/Cognito user pools.*China \(aws-cn\) partition/) as unknown },
    ]);
  });
});

describe('Cognito', () => {
  it('pins the created pool to the ORIGINAL issuer form the JWT authorizer checks', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', { IssuerConfiguration: { Type: 'ORIGINAL' } });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      JwtConfiguration: { Issuer: { 'Fn::Join': ['', Match.arrayWith(['https://cognito-idp.', { Ref: 'AWS::Region' }, '.amazonaws.com/', ref(userPoolId())])] } },
    });
  });

  it('creates a pool with admin-only sign-up, email sign-in, a strong password policy and optional TOTP MFA', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      UsernameAttributes: ['email'],
      MfaConfiguration: 'OPTIONAL',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      Policies: { PasswordPolicy: { MinimumLength: 12, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true } },
    });
  });

  it('creates a secretless client for USER_PASSWORD_AUTH and SRP, with no OAuth flows', () => {
    const [, client] = onlyResource(template, 'AWS::Cognito::UserPoolClient', { UserPoolId: ref(userPoolId()), GenerateSecret: false });
    expect(new Set(client.Properties?.['ExplicitAuthFlows'] as string[])).toEqual(new Set(['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']));
    expect(client.Properties?.['AllowedOAuthFlows']).toBeUndefined();
    expect(client.Properties?.['PreventUserExistenceErrors']).toBe('ENABLED');
  });
});

describe('stack', () => {
  it('outputs what a web app needs', () => {
    const [apiId] = onlyResource(template, 'AWS::ApiGatewayV2::Api');
    const [iotPolicyId] = onlyResource(template, 'AWS::IoT::Policy');
    expect(Object.fromEntries(Object.entries(template.toJSON().Outputs as Record<string, { Value: unknown }>).map(([k, v]) => [k, v.Value]))).toEqual({
      ApiUrl: getAtt(apiId, 'ApiEndpoint'),
      UserPoolId: ref(userPoolId()),
      UserPoolClientId: ref(userPoolClientId()),
      IotEndpoint: getAtt(endpointResourceId(), 'endpointAddress'),
      Region: ref('AWS::Region'),
      IotPolicyName: ref(iotPolicyId),
    });
  });

  it('gives no resource a fixed physical name', () => {
    const named = ['RoleName', 'FunctionName', 'LogGroupName', 'UserPoolName', 'ClientName', 'TopicName', 'StageName'];
    for (const [id, resource] of Object.entries(template.toJSON().Resources as Record<string, CfnResourceJson>)) {
      for (const key of named) {
        if (key === 'StageName' && resource.Type === 'AWS::ApiGatewayV2::Stage') continue; // `$default`, per API
        // A literal string is a fixed name; references (a permission's FunctionName) are fine.
        expect(typeof resource.Properties?.[key], `${id}.${key}`).not.toBe('string');
      }
      if (resource.Type === 'AWS::IoT::Policy') expect(resource.Properties?.['PolicyName'], id).toBeUndefined();
    }
  });

  it('is environment-agnostic (synth needs no account)', () => {
    expect(built.stack.resolve(built.stack.account)).toEqual(ref('AWS::AccountId'));
    expect(built.stack.resolve(built.stack.region)).toEqual(ref('AWS::Region'));
  });
});

describe('cdk.json', () => {
  const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { notices: unknown; context: Record<string, unknown> };

  it('documents every context key with the default the stack uses', () => {
    for (const [key, value] of Object.entries(CONTEXT_DEFAULTS)) expect(cdkJson.context[key], key).toEqual(value);
    expect(cdkJson.context['stackName']).toBe('MqttUrlVending');
  });

  it('keeps notices and telemetry off', () => {
    expect(cdkJson.notices).toBe(false);
    expect(cdkJson.context['cli-telemetry']).toBe(false);
  });
});
