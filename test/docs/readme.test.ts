/**
 * The README, run rather than read: its code blocks against the packed package, as a new user would
 * use them. A fresh app installs what the README's `npm install` lines name (the tarball for
 * `aws-signv4-mqtt`, this repository's locked versions for the rest); then
 * - every TypeScript and JavaScript block typechecks with the strictest common settings (NodeNext,
 *   strict, noUncheckedIndexedAccess), the names a block leaves to the reader (`session`,
 *   `accessKeyId`, …) declared with the types the README implies;
 * - the construct block synthesizes with the command the README gives;
 * - the signer block signs, and the CLI block prints the documented URL byte for byte, installed
 *   and, with the command the README gives for it, in a clone;
 * - the `connectMqtt` block round-trips a message through the local stack (`startLocalStack`).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack } from '../../local/dev-server.js';
import { lockedVersion, npmEnv, npmInstall, packTarball, root, run } from '../package/packed.js';

/** A fenced code block: the `##` section it is in, its language and its text. */
interface CodeBlock {
  readonly section: string;
  readonly lang: string;
  readonly code: string;
}

/** The fenced code blocks of a Markdown text, in order. */
function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  let section = '';
  let open: { lang: string; fence: string; lines: string[] } | undefined;
  for (const line of markdown.split('\n')) {
    if (open !== undefined) {
      if (line.trimStart().startsWith(open.fence)) {
        blocks.push({ section, lang: open.lang, code: `${open.lines.join('\n')}\n` });
        open = undefined;
      } else open.lines.push(line);
      continue;
    }
    const heading = /^## (.+)$/.exec(line);
    if (heading !== null) section = heading[1] ?? '';
    const fence = /^(`{3,})(\w*)/.exec(line);
    if (fence !== null) open = { fence: fence[1] ?? '```', lang: fence[2] ?? '', lines: [] };
  }
  return blocks;
}

const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = codeBlocks(readme);
const SECTIONS = { construct: 'Embed the construct in your own CDK app', signer: 'Sign URLs in Node', browser: 'Connect from the browser' } as const;

/** The one block of `lang` in `section` whose text matches `pattern`. */
function block(section: string, lang: string, pattern: RegExp): string {
  const found = blocks.filter((candidate) => candidate.section === section && candidate.lang === lang && pattern.test(candidate.code));
  if (found.length !== 1) throw new Error(`README: expected one ${lang} block matching ${pattern} in "${section}", found ${found.length}`);
  return found[0]?.code ?? '';
}

/** What the README leaves for the reader to supply, typed as the README implies. */
const READER_SUPPLIED = `declare const session: { idToken(forceRefresh?: boolean): Promise<string> };
declare const accessKeyId: string;
declare const secretAccessKey: string;
declare const sessionToken: string | undefined;
`;

const fixture = JSON.parse(readFileSync(join(root, 'test/fixtures/iot-presign.json'), 'utf8')) as {
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
};

/** A clean environment for the app's commands: no AWS, no version checks, the example credentials only where asked. */
const appEnv: NodeJS.ProcessEnv = {
  ...npmEnv,
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  CDK_DISABLE_VERSION_CHECK: 'true',
  CDK_DISABLE_CLI_TELEMETRY: 'true',
};

let work: string;
let app: string;

/** Runs a command in `cwd`; a failure's output is the assertion message. */
async function sh(cwd: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = appEnv): Promise<string> {
  try {
    const { stdout } = await run(command, args, { cwd, env, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
    return stdout;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${stdout}${stderr}`);
  }
}

/** The packages the README's `npm install` lines name, in the sections a user follows to use the package. */
function installedByReadme(): { dependencies: string[]; devDependencies: string[] } {
  const dependencies = new Set<string>();
  const devDependencies = new Set<string>();
  for (const { section, lang, code } of blocks) {
    if (lang !== 'sh' || !Object.values<string>(SECTIONS).includes(section)) continue;
    for (const line of code.split('\n')) {
      const install = /^npm install (.+?)(?:\s+#.*)?$/.exec(line.trim());
      if (install === null) continue;
      const words = (install[1] ?? '').split(/\s+/);
      const target = words.includes('--save-dev') ? devDependencies : dependencies;
      for (const word of words) if (!word.startsWith('-')) target.add(word);
    }
  }
  return { dependencies: [...dependencies].sort(), devDependencies: [...devDependencies].sort() };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'aws-signv4-mqtt-readme-'));
  const tarball = await packTarball(work);
  app = join(work, 'readme-app');
  mkdirSync(app);
  const named = installedByReadme();
  const version = (name: string) => (name === 'aws-signv4-mqtt' ? `file:${tarball}` : lockedVersion(name));
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({
      name: 'readme-app',
      private: true,
      // The blocks use top-level await: ES modules.
      type: 'module',
      dependencies: Object.fromEntries(named.dependencies.map((name) => [name, version(name)])),
      // Node's types, for the typecheck only (an app written in TypeScript has them).
      devDependencies: { ...Object.fromEntries(named.devDependencies.map((name) => [name, version(name)])), '@types/node': lockedVersion('@types/node') },
    }),
  );
  await npmInstall(app);
}, 240_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('the README code blocks', () => {
  it('are found by the extractor: one per language and section where the README has them', () => {
    expect(codeBlocks('## A\n```ts\nconst a = 1;\n```\ntext\n## B\n```sh\nnpm test\n```\n')).toEqual([
      { section: 'A', lang: 'ts', code: 'const a = 1;\n' },
      { section: 'B', lang: 'sh', code: 'npm test\n' },
    ]);
    const code = blocks.filter(({ lang }) => lang === 'ts' || lang === 'js');
    expect(code.map(({ section }) => section)).toEqual([SECTIONS.construct, SECTIONS.signer, SECTIONS.browser]);
  });

  it('install what they use: every package a block imports and every command a block runs with npx', () => {
    const { dependencies, devDependencies } = installedByReadme();
    const installed = [...dependencies, ...devDependencies];
    const imported = blocks
      .filter(({ lang }) => lang === 'ts' || lang === 'js')
      .flatMap(({ code }) => [...code.matchAll(/from '([^'.][^']*)'/g)].map((match) => (match[1] ?? '').split('/').slice(0, (match[1] ?? '').startsWith('@') ? 2 : 1).join('/')));
    for (const name of new Set(imported)) expect(installed, `imported ${name}`).toContain(name);
    // `npx X` runs the bin of an installed package (cdk is aws-cdk's).
    const bins: Record<string, string> = { cdk: 'aws-cdk', tsx: 'tsx', 'aws-signv4-mqtt': 'aws-signv4-mqtt' };
    const ran = blocks
      .filter(({ section, lang }) => lang === 'sh' && Object.values<string>(SECTIONS).includes(section))
      .flatMap(({ code }) => [...code.matchAll(/npx (\S+)/g)].map((match) => match[1] ?? ''));
    expect(ran.length).toBeGreaterThan(0);
    for (const bin of ran) expect(installed, `npx ${bin}`).toContain(bins[bin] ?? bin);
  });

  it('typecheck against the packed package with NodeNext, strict and noUncheckedIndexedAccess', async () => {
    const files = blocks
      .filter(({ lang }) => lang === 'ts' || lang === 'js')
      .map(({ code }, index) => {
        const file = `readme-block-${index + 1}.ts`;
        writeFileSync(join(app, file), code);
        return file;
      });
    writeFileSync(join(app, 'reader-supplied.d.ts'), READER_SUPPLIED);
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2022', 'DOM'],
          strict: true,
          noUncheckedIndexedAccess: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
        },
        files: ['reader-supplied.d.ts', ...files],
      }),
    );
    const result = await run(join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], { cwd: app }).catch((error: { stdout?: string; code?: number }) => error);
    expect((result as { stdout?: string }).stdout ?? '').toBe('');
    expect((result as { code?: number }).code ?? 0).toBe(0);
  });

  it('synthesize the construct block with the command the README gives', async () => {
    writeFileSync(join(app, 'app.ts'), block(SECTIONS.construct, 'ts', /new MqttUrlVending/));
    const command = block(SECTIONS.construct, 'sh', /cdk synth/).trim();
    expect(command).toBe("npx cdk synth --app 'npx tsx app.ts'");
    await sh(app, 'bash', ['-c', `${command} --quiet --no-notices`]);
    const template = JSON.parse(readFileSync(join(app, 'cdk.out/MyApp.template.json'), 'utf8')) as { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>; Outputs: Record<string, unknown> };
    const types = Object.values(template.Resources).map((resource) => resource.Type);
    expect(types).toEqual(expect.arrayContaining(['AWS::Cognito::UserPool', 'AWS::ApiGatewayV2::Api', 'AWS::IoT::Policy', 'AWS::Lambda::Function']));
    expect(Object.keys(template.Outputs)).toContain('ApiUrl');
  });

  it('sign with the signer block, and the CLI block prints the documented URL, installed and in a clone', async () => {
    const { credentials } = fixture;
    const env = { ...appEnv, AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey, AWS_SESSION_TOKEN: credentials.sessionToken, AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' };
    writeFileSync(
      join(app, 'signer.ts'),
      `const { accessKeyId, secretAccessKey, sessionToken } = ${JSON.stringify(credentials)};\n${block(SECTIONS.signer, 'js', /signMqttUrl\(/)}console.log(JSON.stringify({ url, url2 }));\n`,
    );
    const signed = JSON.parse(await sh(app, 'npx', ['tsx', 'signer.ts'], env)) as { url: string; url2: string };
    for (const url of [signed.url, signed.url2]) {
      const parsed = new URL(url);
      expect(`${parsed.protocol}//${parsed.host}${parsed.pathname}`).toBe('wss://example-ats.iot.us-east-1.amazonaws.com/mqtt');
      expect(parsed.searchParams.get('X-Amz-Credential')).toMatch(/^AKIAIOSFODNN7EXAMPLE\/\d{8}\/us-east-1\/iotdevicegateway\/aws4_request$/);
      expect(parsed.searchParams.get('X-Amz-Expires')).toBe('300');
      expect(parsed.searchParams.get('X-Amz-Security-Token')).toBe(credentials.sessionToken);
    }

    // The CLI block: `$ ` lines are run, in order, in one shell; the rest is what they print.
    const cli = block(SECTIONS.signer, 'sh', /aws-signv4-mqtt --endpoint/).trimEnd().split('\n');
    const commands = cli.filter((line) => line.startsWith('$ ')).map((line) => line.slice(2));
    const printed = cli.filter((line) => !line.startsWith('$ ')).join('\n');
    expect(printed).toMatch(/^wss:\/\/example-ats\.iot\.us-east-1\.amazonaws\.com\/mqtt\?X-Amz-Algorithm=AWS4-HMAC-SHA256&/);
    const clean = { ...appEnv, AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' };
    expect(await sh(app, 'bash', ['-c', commands.join('\n')], clean)).toBe(`${printed}\n`);
    // In a clone, with the command the README gives for it.
    const inClone = /in a clone of this repository[^`]*`(npx tsx bin\/aws-signv4-mqtt\.ts)`/.exec(readme.replace(/\s+/g, ' '))?.[1];
    expect(inClone).toBe('npx tsx bin/aws-signv4-mqtt.ts');
    const cloneCommands = commands.map((line) => line.replace(/^npx aws-signv4-mqtt /, `${inClone ?? ''} `));
    expect(await sh(root, 'bash', ['-c', cloneCommands.join('\n')], clean)).toBe(`${printed}\n`);
  });

  it('connect with the connectMqtt block and round-trip a message through the local stack', async () => {
    const stack = await startLocalStack({ port: 0, quiet: true });
    try {
      const response = await fetch(`${stack.url}/cognito`, {
        method: 'POST',
        headers: { 'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth', 'content-type': 'application/x-amz-json-1.1' },
        body: JSON.stringify({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: 'local', AuthParameters: { USERNAME: 'alice', PASSWORD: 'local-dev' } }),
      });
      const token = ((await response.json()) as { AuthenticationResult: { IdToken: string } }).AuthenticationResult.IdToken;
      const code = block(SECTIONS.browser, 'ts', /connectMqtt\(/);
      const local = code.replace(/apiUrl: '[^']*'/, `apiUrl: ${JSON.stringify(stack.url)}`);
      expect(local).not.toBe(code);
      writeFileSync(
        join(app, 'browser.ts'),
        `const session = { idToken: async (_forceRefresh?: boolean): Promise<string> => ${JSON.stringify(token)} };
const printed: string[] = [];
const print = console.log.bind(console);
console.log = (...args: unknown[]) => { printed.push(args.map(String).join(' ')); print(...args); };
${local}
const deadline = Date.now() + 15_000;
while (!printed.some((line) => line.endsWith(' hello')) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
await end();
`,
      );
      const output = await sh(app, 'npx', ['tsx', 'browser.ts']);
      expect(output).toMatch(/^users\/[0-9a-f-]{36}\/chat hello$/m);
    } finally {
      await stack.stop();
    }
  });
});
