/**
 * A new CDK user's first steps, with the packed tarball: `cdk init app --language typescript` (the
 * CDK CLI this repository pins; `--generate-only` needs no network), `MqttUrlVending` added to the
 * generated stack as the README shows, a test in the template's style, then the template's own
 * tools: `npm run build` (its `tsc`), `cdk synth` (its `cdk.json` app, run by tsx) and `npm test`
 * (jest with @swc/jest, so the app and its tests are CommonJS and load the package's CommonJS copy).
 * The test also `require`s the signer.
 *
 * What the template names is installed at exact versions, resolved once, so the test never floats:
 * when a newer CLI's template names other packages or ranges, the first test says so, and the pins
 * below are resolved again.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockedVersion, npmEnv, npmInstall, packTarball, root, run } from './packed.js';

/**
 * What `cdk init app --language typescript` of aws-cdk 2.1148.1 names: `[range in the template,
 * exact version installed]`. Resolved on 2026-12-07 (`npm view '<name>@<range>' version`): the newest
 * in range that day, except aws-cdk-lib, constructs, tsx and typescript, which are this repository's
 * own (in range, and already in npm's cache after `npm ci`; aws-cdk-lib 2.276.0 is also the construct's
 * lowest supported peer).
 */
const TEMPLATE_PINS = {
  devDependencies: {
    '@swc/core': ['^1.15.0', '1.16.22'],
    '@swc/jest': ['^0.2.39', '0.2.39'],
    '@types/jest': ['^30', '30.0.0'],
    '@types/node': ['^24.10.1', '24.19.4'],
    jest: ['^30', '30.5.2'],
    'aws-cdk': ['2.1148.1', '2.1148.1'],
    tsx: ['^4.23.0', '4.23.15'],
    typescript: ['~7.0.2', '7.0.2'],
  },
  dependencies: {
    'aws-cdk-lib': ['^2.275.0', '2.276.0'],
    constructs: ['^10.5.0', '10.8.1'],
  },
} as const;

/** The URL the README documents for AWS's example credentials (test/fixtures/iot-presign.json). */
const fixture = JSON.parse(readFileSync(join(root, 'test/fixtures/iot-presign.json'), 'utf8')) as {
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
  iot: Array<{ host: string; region: string; signingDate: string; expiresIn: number | null; urlWithSessionToken?: string }>;
};
const vector = fixture.iot.find((entry) => entry.urlWithSessionToken !== undefined);

/** The CDK CLI's environment: no AWS, no version check, no telemetry, no notices. */
const cdkEnv: NodeJS.ProcessEnv = {
  ...npmEnv,
  AWS_EC2_METADATA_DISABLED: 'true',
  CDK_DISABLE_VERSION_CHECK: 'true',
  CDK_DISABLE_CLI_TELEMETRY: 'true',
};

let work: string;
let app: string;
let generated: { dependencies: Record<string, string>; devDependencies: Record<string, string>; scripts: Record<string, string> };

/** A failed command's output is the assertion message. */
async function sh(command: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(command, args, { cwd: app, env: cdkEnv, maxBuffer: 64 * 1024 * 1024 });
    return `${stdout}${stderr}`;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${stdout}${stderr}`);
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'aws-signv4-mqtt-cdk-init-'));
  const tarball = await packTarball(work);
  app = join(work, 'mqtt-app');
  mkdirSync(app);
  await sh(join(root, 'node_modules/.bin/cdk'), ['init', 'app', '--language', 'typescript', '--generate-only']);
  generated = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as typeof generated;
  const pinned = (section: keyof typeof TEMPLATE_PINS) =>
    Object.fromEntries(Object.keys(generated[section]).map((name) => [name, (TEMPLATE_PINS[section] as Record<string, readonly [string, string]>)[name]?.[1] ?? generated[section][name]]));
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify(
      { ...generated, devDependencies: pinned('devDependencies'), dependencies: { ...pinned('dependencies'), 'aws-signv4-mqtt': `file:${tarball}` } },
      null,
      2,
    ),
  );
  await npmInstall(app);

  // The construct, as the README's "Embed the construct" section adds it, in the generated stack.
  const stackFile = join(app, 'lib/mqtt-app-stack.ts');
  const stack = readFileSync(stackFile, 'utf8');
  const withConstruct = stack
    .replace(
      "import { Construct } from 'constructs';\n",
      "import { Construct } from 'constructs';\nimport { UserPool } from 'aws-cdk-lib/aws-cognito';\nimport { MqttUrlVending } from 'aws-signv4-mqtt/cdk';\n",
    )
    .replace(
      '    // The code that defines your stack goes here\n',
      `    // The code that defines your stack goes here
    const userPool = new UserPool(this, 'Users', { selfSignUpEnabled: false, signInAliases: { email: true } });
    const webClient = userPool.addClient('Web', { authFlows: { userSrp: true } });

    const mqtt = new MqttUrlVending(this, 'Mqtt', {
      userPool,
      userPoolClients: [webClient],
      userPoolIssuer: 'original', // the issuer form your pool's tokens carry
      publishTopicTemplates: ['users/\${sub}/*', 'rooms/\${group}/*'],
      subscribeTopicTemplates: ['users/\${sub}/*', 'rooms/\${group}/*', 'telemetry/*'],
      allowedOrigins: ['https://app.example.com'],
    });
    new cdk.CfnOutput(this, 'ApiUrl', { value: mqtt.url });
`,
    );
  if (withConstruct === stack || !withConstruct.includes('MqttUrlVending(this')) throw new Error(`The generated stack changed shape:\n${stack}`);
  writeFileSync(stackFile, withConstruct);

  // The generated test is commented out; this one is in its style (cdk.App, Template.fromStack).
  rmSync(join(app, 'test/mqtt-app.test.ts'));
  writeFileSync(
    join(app, 'test/mqtt-app.test.ts'),
    `import * as cdk from 'aws-cdk-lib/core';
import { Template } from 'aws-cdk-lib/assertions';
import * as MqttApp from '../lib/mqtt-app-stack';

test('MQTT URL vending API Created', () => {
  const app = new cdk.App();
    // WHEN
  const stack = new MqttApp.MqttAppStack(app, 'MyTestStack');
    // THEN
  const template = Template.fromStack(stack);

  template.hasResourceProperties('AWS::Lambda::Function', {
    Handler: 'index.handler',
    Runtime: 'nodejs24.x',
  });
  template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
    RouteKey: 'GET /mqtt-url',
    AuthorizationType: 'JWT',
  });
});

test('Signer required from CommonJS', () => {
  const { signMqttUrl } = require('aws-signv4-mqtt') as typeof import('aws-signv4-mqtt');
  expect(require.resolve('aws-signv4-mqtt')).toMatch(/aws-signv4-mqtt\\/dist\\/cjs\\/lambda\\/sigv4\\.js$/);

  const url = signMqttUrl({
    host: ${JSON.stringify(vector?.host)},
    region: ${JSON.stringify(vector?.region)},
    credentials: ${JSON.stringify(fixture.credentials)},
    expiresIn: ${JSON.stringify(vector?.expiresIn)},
    signingDate: new Date(${JSON.stringify(vector?.signingDate)}),
  });
  expect(url).toBe(${JSON.stringify(vector?.urlWithSessionToken)});
});
`,
  );
}, 300_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('a `cdk init app --language typescript` app with the packed tarball', () => {
  it('names the packages and ranges the pins were resolved from', () => {
    const named = (section: keyof typeof TEMPLATE_PINS) => Object.fromEntries(Object.entries(TEMPLATE_PINS[section]).map(([name, [range]]) => [name, range]));
    expect(generated.devDependencies).toEqual(named('devDependencies'));
    expect(generated.dependencies).toEqual(named('dependencies'));
    // The template is the pinned CLI's: its aws-cdk is the one that generated it.
    expect(TEMPLATE_PINS.devDependencies['aws-cdk'][1]).toBe(lockedVersion('aws-cdk'));
    expect(generated.scripts).toMatchObject({ build: 'tsc', test: 'jest' });
  });

  it("typechecks with the template's own tsc (`npm run build`)", async () => {
    await sh('npm', ['run', 'build']);
  });

  it('synthesizes with `cdk synth`, the construct deploying the prebuilt handler', async () => {
    await sh('npx', ['cdk', 'synth', '--quiet', '--no-notices']);
    const template = JSON.parse(readFileSync(join(app, 'cdk.out/MqttAppStack.template.json'), 'utf8')) as { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
    // The vending function's code asset is the package's one bundle (the other functions are CDK's).
    const bundles = Object.values(template.Resources)
      .filter((resource) => resource.Type === 'AWS::Lambda::Function')
      .map((resource) => join(app, 'cdk.out', `asset.${(resource.Properties?.['Code'] as { S3Key: string }).S3Key.replace(/\.zip$/, '')}`, 'index.mjs'))
      .filter((file) => existsSync(file) && readFileSync(file, 'utf8').includes('too_many_groups'));
    expect(bundles).toHaveLength(1);
    expect(readFileSync(bundles[0] ?? '', 'utf8')).toBe(readFileSync(join(app, 'node_modules/aws-signv4-mqtt/dist/handler/index.mjs'), 'utf8'));
    expect(Object.values(template.Resources).map((resource) => resource.Type)).toContain('AWS::ApiGatewayV2::Api');
  });

  it("passes the template's jest (@swc/jest, CommonJS): the construct's test and the signer's require", async () => {
    const report = join(work, 'jest.json');
    await sh('npm', ['test', '--', '--ci', '--json', `--outputFile=${report}`]);
    const result = JSON.parse(readFileSync(report, 'utf8')) as { success: boolean; numPassedTests: number; numFailedTests: number; numTotalTests: number };
    expect(result).toMatchObject({ success: true, numPassedTests: 2, numFailedTests: 0, numTotalTests: 2 });
  });
});
