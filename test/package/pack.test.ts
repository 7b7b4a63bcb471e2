/**
 * The package as `npm pack` makes it: what a user installs. The build `prepack` runs (`npm run
 * build`) already ran in the suite's global setup, so the pack skips scripts rather than rebuilding
 * `dist/` under the other tests' feet. The tarball is unpacked and read, not the working tree, so a
 * file that is built but not shipped, or shipped but pointing at something absent, shows here.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

let work: string;
/** The unpacked tarball (`package/` inside it). */
let unpacked: string;
let shipped: string[];

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'aws-signv4-mqtt-pack-'));
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], {
    cwd: root,
    env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false' },
    maxBuffer: 16 * 1024 * 1024,
  });
  const [report] = JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{ filename: string }>;
  if (report === undefined) throw new Error(`npm pack reported nothing: ${stdout}`);
  await run('tar', ['-xzf', join(work, report.filename), '-C', work]);
  unpacked = join(work, 'package');
  shipped = walk(unpacked).map((file) => relative(unpacked, file));
}, 120_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('ships the MIT-0 LICENSE, the README and the built entry points', () => {
    expect(shipped).toEqual(
      expect.arrayContaining(['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json', 'dist/lambda/sigv4.js', 'dist/web/connect-mqtt.js', 'dist/bin/aws-signv4-mqtt.js', 'dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/handler/index.mjs']),
    );
    expect(readFileSync(join(unpacked, 'LICENSE'), 'utf8')).toMatch(/^MIT No Attribution\n/);
    const pkg = JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8')) as { license: string; engines: { node: string }; type: string };
    expect(pkg.license).toBe('MIT-0');
    // require() of ES modules works from Node 20.19 on: the package is ESM-only.
    expect(pkg.type).toBe('module');
    expect(pkg.engines.node).toBe('>=20.19');
  });

  it('maps aws-signv4-mqtt/cdk to the construct, with aws-cdk-lib and constructs as optional peers', () => {
    const pkg = JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional: boolean }>;
      dependencies: Record<string, string>;
    };
    expect(pkg.exports['./cdk']).toEqual({ types: './dist/lib/index.d.ts', default: './dist/lib/index.js' });
    for (const peer of ['aws-cdk-lib', 'constructs', 'mqtt']) expect(pkg.peerDependenciesMeta[peer], peer).toEqual({ optional: true });
    expect(Object.keys(pkg.peerDependencies).sort()).toEqual(['aws-cdk-lib', 'constructs', 'mqtt']);
    // Nothing a signer-only user would not need: the construct's needs are peers, the bundle is prebuilt.
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['@aws-sdk/credential-providers', '@aws-sdk/types']);
  });

  it('ships the handler as one minified bundle that holds the vending code and the SDK', () => {
    const bundle = readFileSync(join(unpacked, 'dist/handler/index.mjs'), 'utf8');
    expect(shipped.filter((file) => file.startsWith('dist/handler/'))).toEqual(['dist/handler/index.mjs']);
    expect(bundle).toContain('too_many_groups');
    expect(bundle).toContain('AssumeRole');
    // Minified: long lines (template literals keep a few newlines), and small.
    expect(bundle.length / bundle.split('\n').length).toBeGreaterThan(1000);
    expect(bundle.length).toBeLessThan(600 * 1024);
  });

  it('ships no TypeScript sources and no test files', () => {
    expect(shipped.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
    expect(shipped.filter((file) => /(^|\/)test\//.test(file))).toEqual([]);
  });

  it('every source map embeds the sources it names, so none points at a file missing from the package', () => {
    const maps = shipped.filter((file) => file.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    for (const map of maps) {
      const parsed = JSON.parse(readFileSync(join(unpacked, map), 'utf8')) as { sources: string[]; sourcesContent?: Array<string | null> };
      expect(parsed.sourcesContent, map).toHaveLength(parsed.sources.length);
      for (const content of parsed.sourcesContent ?? []) expect(typeof content, map).toBe('string');
    }
  });
});

/**
 * A consumer's own CDK app, as a user would build it: a fresh folder with only `aws-cdk-lib` and
 * `constructs` (the versions this repository tests, from the npm cache or registry) and the packed
 * tarball. It synthesizes a stack that embeds `MqttUrlVending` with the app's own user pool, with
 * plain `node` (no tsx, no esbuild, no Docker), and typechecks a TypeScript consumer against the
 * shipped declarations.
 */
describe('a consumer CDK app with the packed tarball', () => {
  let consumer: string;
  let template: { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
  let assembly: string;

  beforeAll(async () => {
    consumer = join(work, 'consumer');
    mkdirSync(consumer);
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
    const versionOf = (name: string): string => lock.packages[`node_modules/${name}`]?.version ?? 'latest';
    const tarball = readdirSync(work).find((file) => file.endsWith('.tgz')) ?? '';
    writeFileSync(
      join(consumer, 'package.json'),
      JSON.stringify({
        name: 'consumer-app',
        private: true,
        type: 'module',
        dependencies: { 'aws-cdk-lib': versionOf('aws-cdk-lib'), constructs: versionOf('constructs'), 'aws-signv4-mqtt': `file:${join(work, tarball)}` },
      }),
    );
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], {
      cwd: consumer,
      env: { ...process.env, npm_config_update_notifier: 'false' },
      maxBuffer: 16 * 1024 * 1024,
    });
    writeFileSync(
      join(consumer, 'app.mjs'),
      `import { App, Stack } from 'aws-cdk-lib';
import { UserPool } from 'aws-cdk-lib/aws-cognito';
import { MqttUrlVending } from 'aws-signv4-mqtt/cdk';

const app = new App({ outdir: 'cdk.out' });
const stack = new Stack(app, 'ConsumerStack');
const userPool = new UserPool(stack, 'AppUsers');
const client = userPool.addClient('Web', { authFlows: { userSrp: true } });
new MqttUrlVending(stack, 'Mqtt', {
  userPool,
  userPoolClients: [client],
  publishTopicTemplates: ['users/\${sub}/*', 'rooms/\${group}/*'],
  subscribeTopicTemplates: ['users/\${sub}/*', 'rooms/\${group}/*', 'telemetry/*'],
  allowedOrigins: ['https://app.example.com'],
});
app.synth();
`,
    );
    await run(process.execPath, ['app.mjs'], { cwd: consumer, env: { PATH: process.env['PATH'] ?? '', AWS_EC2_METADATA_DISABLED: 'true', HOME: consumer } });
    assembly = join(consumer, 'cdk.out');
    template = JSON.parse(readFileSync(join(assembly, 'ConsumerStack.template.json'), 'utf8')) as typeof template;
  }, 240_000);

  const resources = (type: string) => Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);

  it('synthesizes with the prebuilt handler as the Lambda code asset', () => {
    const [[, fn] = ['', { Type: '' }]] = resources('AWS::Lambda::Function').filter(([, resource]) => resource.Properties?.['Handler'] === 'index.handler');
    expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
    const key = String((fn.Properties?.['Code'] as { S3Key: string }).S3Key);
    const asset = join(assembly, `asset.${key.replace(/\.zip$/, '')}`);
    const code = readFileSync(join(asset, 'index.mjs'), 'utf8');
    expect(code).toContain('too_many_groups');
    expect(readdirSync(asset)).toEqual(['index.mjs']);
  });

  it('routes GET /mqtt-url through a JWT authorizer on the app\'s own user pool', () => {
    const routes = resources('AWS::ApiGatewayV2::Route').map(([, route]) => route.Properties);
    expect(routes).toEqual([expect.objectContaining({ RouteKey: 'GET /mqtt-url', AuthorizationType: 'JWT' })]);
    const [[poolId = ''] = []] = resources('AWS::Cognito::UserPool');
    const authorizers = resources('AWS::ApiGatewayV2::Authorizer').map(([, authorizer]) => JSON.stringify(authorizer.Properties));
    expect(authorizers).toHaveLength(1);
    expect(authorizers[0]).toContain(poolId);
  });

  it('provisions the AWS::IoT::Policy for the private and shared templates', () => {
    const [[, policy] = ['', { Type: '' }]] = resources('AWS::IoT::Policy');
    const text = JSON.stringify(policy.Properties);
    expect(text).toContain('topic/telemetry/*');
    expect(text).not.toContain('rooms');
  });

  it('typechecks a TypeScript consumer against the shipped declarations', async () => {
    writeFileSync(
      join(consumer, 'consumer.ts'),
      `import { App, Stack } from 'aws-cdk-lib';
import { UserPool } from 'aws-cdk-lib/aws-cognito';
import { InvalidVendingConfigError, MqttUrlVending, type MqttUrlVendingProps, type VendingScope } from 'aws-signv4-mqtt/cdk';
import { signMqttUrl } from 'aws-signv4-mqtt';

const stack = new Stack(new App(), 'Typed');
const userPool = new UserPool(stack, 'Pool');
const scope: VendingScope = 'per-user';
const props: MqttUrlVendingProps = { userPool, userPoolClients: [userPool.addClient('Web')], scope, maxGroups: 2, allowRetain: true };
const vending = new MqttUrlVending(stack, 'Mqtt', props);
const url: string = vending.url;
const error: Error = new InvalidVendingConfigError('maxGroups', 'must be an integer', '0');
// @ts-expect-error maxGroups is a number: the declarations are real types, not any.
new MqttUrlVending(stack, 'Wrong', { maxGroups: 'four' });
const signed: string = signMqttUrl({ host: 'abc-ats.iot.eu-west-1.amazonaws.com', region: 'eu-west-1', credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'secret' } });
export { url, error, signed };
`,
    );
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['consumer.ts'] }),
    );
    const result = await run(join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], { cwd: consumer }).catch((error: { stdout?: string; code?: number }) => error);
    expect((result as { stdout?: string }).stdout ?? '').toBe('');
    expect((result as { code?: number }).code ?? 0).toBe(0);
  });
});
