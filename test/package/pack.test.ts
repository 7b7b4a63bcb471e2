/**
 * The package as `npm pack` makes it: what a user installs (see `packed.ts`). The tarball is unpacked
 * and read, not the working tree, so a file that is built but not shipped, or shipped but pointing
 * at something absent, shows here; publint and arethetypeswrong lint that very tarball.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockedVersion, npmInstall, packTarball, root, run } from './packed.js';

/** The entry points, each with its ES module and its CommonJS copy. */
const ENTRY_POINTS = [
  { specifier: 'aws-signv4-mqtt', subpath: '.', module: 'lambda/sigv4' },
  { specifier: 'aws-signv4-mqtt/web', subpath: './web', module: 'web/connect-mqtt' },
  { specifier: 'aws-signv4-mqtt/cdk', subpath: './cdk', module: 'lib/index' },
] as const;

/** Every exported error class, by entry point: `instanceof` must hold across the two copies. */
const ERROR_CLASSES = {
  'aws-signv4-mqtt': ['InvalidSigningOptionError', 'CredentialsNotFoundError', 'InvalidPrincipalInputError'],
  'aws-signv4-mqtt/web': ['ConnectMqttOptionError', 'VendingError', 'ClientIdConflictError'],
  'aws-signv4-mqtt/cdk': ['InvalidVendingConfigError'],
} as const;

let work: string;
let tarball: string;
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
  tarball = await packTarball(work);
  await run('tar', ['-xzf', tarball, '-C', work]);
  unpacked = join(work, 'package');
  shipped = walk(unpacked).map((file) => relative(unpacked, file));
}, 120_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('ships the MIT-0 LICENSE, the README and the built entry points', () => {
    expect(shipped).toEqual(
      expect.arrayContaining([
        'LICENSE', 'README.md', 'CHANGELOG.md', 'package.json', 'dist/bin/aws-signv4-mqtt.js', 'dist/handler/index.mjs', 'dist/cjs/package.json',
        ...ENTRY_POINTS.flatMap(({ module }) => [`dist/${module}.js`, `dist/${module}.d.ts`, `dist/cjs/${module}.js`, `dist/cjs/${module}.d.ts`]),
      ]),
    );
    expect(readFileSync(join(unpacked, 'LICENSE'), 'utf8')).toMatch(/^MIT No Attribution\n/);
    const pkg = JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8')) as { license: string; engines: { node: string }; type: string };
    expect(pkg.license).toBe('MIT-0');
    // ES modules in dist/, their CommonJS copy in dist/cjs/, which its own package.json marks CommonJS.
    expect(pkg.type).toBe('module');
    expect(JSON.parse(readFileSync(join(unpacked, 'dist/cjs/package.json'), 'utf8'))).toEqual({ type: 'commonjs' });
    expect(pkg.engines.node).toBe('>=20.19');
  });

  it('has an ES module and a CommonJS copy of every module, with the same declarations, and no CommonJS CLI', () => {
    const esm = shipped.filter((file) => /^dist\/(lambda|lib|web)\/.*\.(js|d\.ts)$/.test(file)).sort();
    const cjs = shipped.filter((file) => file.startsWith('dist/cjs/') && /\.(js|d\.ts)$/.test(file)).map((file) => file.replace('dist/cjs/', 'dist/')).sort();
    expect(cjs).toEqual(esm);
    for (const file of esm.filter((name) => name.endsWith('.d.ts'))) {
      expect(readFileSync(join(unpacked, file.replace('dist/', 'dist/cjs/')), 'utf8'), file).toBe(readFileSync(join(unpacked, file), 'utf8'));
    }
    expect(shipped.filter((file) => file.startsWith('dist/cjs/bin/'))).toEqual([]);
  });

  it('maps every entry point to its ES module for import and its CommonJS copy for require, each with its types', () => {
    const pkg = JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8')) as { exports: Record<string, unknown>; main: string; types: string };
    for (const { subpath, module } of ENTRY_POINTS) {
      expect(pkg.exports[subpath], subpath).toEqual({
        import: { types: `./dist/${module}.d.ts`, default: `./dist/${module}.js` },
        require: { types: `./dist/cjs/${module}.d.ts`, default: `./dist/cjs/${module}.js` },
      });
    }
    expect(Object.keys(pkg.exports).sort()).toEqual(['.', './cdk', './package.json', './web']);
    // For tools that read no `exports`: the signer, as CommonJS.
    expect([pkg.main, pkg.types]).toEqual(['./dist/cjs/lambda/sigv4.js', './dist/cjs/lambda/sigv4.d.ts']);
  });

  it('maps aws-signv4-mqtt/cdk to the construct, with aws-cdk-lib and constructs as optional peers', () => {
    const pkg = JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional: boolean }>;
      dependencies: Record<string, string>;
    };
    for (const peer of ['aws-cdk-lib', 'constructs', 'mqtt']) expect(pkg.peerDependenciesMeta[peer], peer).toEqual({ optional: true });
    expect(Object.keys(pkg.peerDependencies).sort()).toEqual(['aws-cdk-lib', 'constructs', 'mqtt']);
    // Nothing a signer-only user would not need: the construct's needs are peers, the bundle is prebuilt.
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['@aws-sdk/credential-providers', '@aws-sdk/types']);
  });

  it('ships the handler as one minified bundle that holds the vending code and the SDK', () => {
    const bundle = readFileSync(join(unpacked, 'dist/handler/index.mjs'), 'utf8');
    // One bundle, which the ES module and the CommonJS construct both deploy.
    expect(shipped.filter((file) => /(^|\/)handler\//.test(file) || file.endsWith('.mjs'))).toEqual(['dist/handler/index.mjs']);
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
 * Package lint of the very tarball: publint (the package.json against the files) and
 * arethetypeswrong (each entry point's types and JavaScript, as TypeScript resolves them with
 * `node16` from CommonJS and from ES modules, and with `bundler`). `node10` resolution, which knows no
 * `exports`, finds the signer alone (through `main`) and is not checked.
 */
describe('package lint of the packed tarball', () => {
  it('publint finds nothing, suggestions included', async () => {
    const { stdout } = await run(join(root, 'node_modules/.bin/publint'), [tarball, '--strict', '--level', 'suggestion'], { cwd: work });
    expect(stdout).toContain('All good!');
  });

  it('arethetypeswrong finds no problem for node16 (CommonJS and ESM) and bundler, for every entry point', async () => {
    const result = await run(join(root, 'node_modules/.bin/attw'), [tarball, '--profile', 'node16', '--format', 'json'], { cwd: work, maxBuffer: 64 * 1024 * 1024 }).catch(
      (error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }),
    );
    const report = JSON.parse(result.stdout) as {
      analysis: {
        problems: Array<{ kind: string; entrypoint?: string; resolutionKind?: string }>;
        entrypoints: Record<string, { resolutions: Record<string, { resolution?: { fileName: string } }> }>;
      };
    };
    expect(report.analysis.problems.filter((problem) => problem.resolutionKind !== 'node10')).toEqual([]);
    expect(Object.keys(report.analysis.entrypoints).sort()).toEqual(['.', './cdk', './package.json', './web']);
    for (const { subpath, module } of ENTRY_POINTS) {
      const { resolutions } = report.analysis.entrypoints[subpath] ?? { resolutions: {} };
      // TypeScript's own view: from CommonJS the CommonJS copy's types, from ESM and bundlers the ES module's.
      expect(resolutions['node16-cjs']?.resolution?.fileName, subpath).toBe(`/node_modules/aws-signv4-mqtt/dist/cjs/${module}.d.ts`);
      expect(resolutions['node16-esm']?.resolution?.fileName, subpath).toBe(`/node_modules/aws-signv4-mqtt/dist/${module}.d.ts`);
      expect(resolutions['bundler']?.resolution?.fileName, subpath).toBe(`/node_modules/aws-signv4-mqtt/dist/${module}.d.ts`);
    }
  });
});

/**
 * A consumer's own CDK app, as a user would build it: a fresh folder with only `aws-cdk-lib`,
 * `constructs` and `mqtt` (the versions this repository tests, from the npm cache or registry) and
 * the packed tarball. It synthesizes a stack that embeds `MqttUrlVending` with the app's own user
 * pool, with plain `node` (no tsx, no esbuild, no Docker), from an ES module and from CommonJS;
 * loads every entry point both ways; and typechecks TypeScript consumers of either kind against the
 * shipped declarations. (`cdk-init.test.ts` does the same through the `cdk init` template's tools.)
 */
describe('a consumer CDK app with the packed tarball', () => {
  let consumer: string;
  let template: { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
  let assembly: string;

  beforeAll(async () => {
    consumer = join(work, 'consumer');
    mkdirSync(consumer);
    writeFileSync(
      join(consumer, 'package.json'),
      JSON.stringify({
        name: 'consumer-app',
        private: true,
        type: 'module',
        dependencies: {
          'aws-cdk-lib': lockedVersion('aws-cdk-lib'),
          constructs: lockedVersion('constructs'),
          mqtt: lockedVersion('mqtt'),
          'aws-signv4-mqtt': `file:${tarball}`,
        },
      }),
    );
    await npmInstall(consumer);
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
    // The same from a CommonJS TypeScript file: its imports resolve the `require` condition's types.
    writeFileSync(
      join(consumer, 'consumer-cjs.cts'),
      `import { InvalidVendingConfigError, MqttUrlVending } from 'aws-signv4-mqtt/cdk';
import { signMqttUrl, InvalidSigningOptionError } from 'aws-signv4-mqtt';
import { VendingError, type VendedTopics } from 'aws-signv4-mqtt/web';

const caught: unknown = new VendingError(401, 'Unauthorized', 'Sign in again.');
const permanent: boolean = caught instanceof VendingError && caught.permanent;
const topics: VendedTopics = { publish: [], subscribe: [] };
const both: [typeof MqttUrlVending, typeof InvalidVendingConfigError, typeof InvalidSigningOptionError] = [MqttUrlVending, InvalidVendingConfigError, InvalidSigningOptionError];
// @ts-expect-error credentials is required: the CommonJS declarations are real types too.
signMqttUrl({ host: 'abc-ats.iot.eu-west-1.amazonaws.com', region: 'eu-west-1' });
export = { permanent, topics, both };
`,
    );
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: [] },
        files: ['consumer.ts', 'consumer-cjs.cts'],
      }),
    );
    const result = await run(join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], { cwd: consumer }).catch((error: { stdout?: string; code?: number }) => error);
    expect((result as { stdout?: string }).stdout ?? '').toBe('');
    expect((result as { code?: number }).code ?? 0).toBe(0);
  });

  it('require()s every entry point from CommonJS as its CommonJS copy, with the exports of the ES module', async () => {
    writeFileSync(
      join(consumer, 'entry-points.cjs'),
      `const report = {};
(async () => {
  for (const specifier of ${JSON.stringify(ENTRY_POINTS.map(({ specifier }) => specifier))}) {
    const required = require(specifier);
    const imported = await import(specifier);
    report[specifier] = { resolved: require.resolve(specifier), required: Object.keys(required).sort(), imported: Object.keys(imported).sort() };
  }
  console.log(JSON.stringify(report));
})();
`,
    );
    const { stdout } = await run(process.execPath, ['entry-points.cjs'], { cwd: consumer });
    const report = JSON.parse(stdout) as Record<string, { resolved: string; required: string[]; imported: string[] }>;
    for (const { specifier, module } of ENTRY_POINTS) {
      expect(report[specifier]?.resolved, specifier).toBe(join(consumer, 'node_modules/aws-signv4-mqtt/dist/cjs', `${module}.js`));
      expect(report[specifier]?.required.length, specifier).toBeGreaterThan(0);
      expect(report[specifier]?.required, specifier).toEqual(report[specifier]?.imported);
    }
  });

  it('recognises an error made by either copy with instanceof from the other (the Symbol.for brand)', async () => {
    writeFileSync(
      join(consumer, 'dual-errors.cjs'),
      `const classes = ${JSON.stringify(ERROR_CLASSES)};
const results = [];
(async () => {
  for (const [specifier, names] of Object.entries(classes)) {
    const cjs = require(specifier);
    const esm = await import(specifier);
    for (const name of names) {
      const fromCjs = new cjs[name]('a', 'b', 'c');
      const fromEsm = new esm[name]('a', 'b', 'c');
      results.push([name, cjs[name] !== esm[name], fromEsm instanceof cjs[name], fromCjs instanceof esm[name], fromCjs instanceof Error, new Error('x') instanceof cjs[name], {} instanceof esm[name]]);
    }
  }
  // A real refusal from each copy of the signer, caught with the other copy's class.
  const cjs = require('aws-signv4-mqtt');
  const esm = await import('aws-signv4-mqtt');
  const thrown = (sign) => { try { sign({ host: 'abc-ats.iot.eu-west-1.amazonaws.com', region: 'eu-west-1' }); } catch (error) { return error; } };
  results.push(['signMqttUrl', true, thrown(esm.signMqttUrl) instanceof cjs.InvalidSigningOptionError, thrown(cjs.signMqttUrl) instanceof esm.InvalidSigningOptionError, true, false, false]);
  // A subclass keeps the ordinary instanceof.
  class Mine extends cjs.InvalidSigningOptionError {}
  results.push(['subclass', new Mine('a', 'b', 'c') instanceof cjs.InvalidSigningOptionError, new Mine('a', 'b', 'c') instanceof Mine, !(new esm.InvalidSigningOptionError('a', 'b', 'c') instanceof Mine), true, false, false]);
  console.log(JSON.stringify(results));
})();
`,
    );
    const { stdout } = await run(process.execPath, ['dual-errors.cjs'], { cwd: consumer });
    const results = JSON.parse(stdout) as Array<[string, ...boolean[]]>;
    expect(results.map(([name]) => name)).toEqual([...Object.values(ERROR_CLASSES).flat(), 'signMqttUrl', 'subclass']);
    // Two distinct classes per name, and each recognises the other's errors and nothing else.
    for (const result of results) expect(result, result[0]).toEqual([result[0], true, true, true, true, false, false]);
  });

  it('synthesizes from CommonJS too, deploying the same prebuilt handler bundle', async () => {
    writeFileSync(
      join(consumer, 'app.cjs'),
      `const { App, Stack } = require('aws-cdk-lib');
const { UserPool } = require('aws-cdk-lib/aws-cognito');
const { MqttUrlVending } = require('aws-signv4-mqtt/cdk');

const app = new App({ outdir: 'cdk.out.cjs' });
const stack = new Stack(app, 'ConsumerStack');
const userPool = new UserPool(stack, 'AppUsers');
new MqttUrlVending(stack, 'Mqtt', { userPool, userPoolClients: [userPool.addClient('Web')], allowedOrigins: ['https://app.example.com'] });
app.synth();
`,
    );
    await run(process.execPath, ['app.cjs'], { cwd: consumer, env: { PATH: process.env['PATH'] ?? '', AWS_EC2_METADATA_DISABLED: 'true', HOME: consumer } });
    const fromCjs = JSON.parse(readFileSync(join(consumer, 'cdk.out.cjs/ConsumerStack.template.json'), 'utf8')) as typeof template;
    const codeOf = (t: typeof template) =>
      Object.values(t.Resources)
        .filter((resource) => resource.Type === 'AWS::Lambda::Function' && resource.Properties?.['Handler'] === 'index.handler')
        .map((resource) => (resource.Properties?.['Code'] as { S3Key: string }).S3Key);
    expect(codeOf(fromCjs).length).toBeGreaterThan(0);
    expect(codeOf(fromCjs).sort()).toEqual(codeOf(template).sort());
  });
});
