import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, runCli, USAGE } from '../../lambda/signing/cli.js';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const vectors = JSON.parse(readFileSync(new URL('../fixtures/iot-presign.json', import.meta.url), 'utf8')) as {
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
  iot: { urlWithSessionToken?: string }[];
};
const vectorUrl = vectors.iot.find((v) => v.urlWithSessionToken !== undefined)?.urlWithSessionToken;
const vectorArgs = ['--endpoint', 'example-ats.iot.us-east-1.amazonaws.com', '--expires', '300', '--signing-date', '2013-05-24T00:00:00Z'];
const credentials = {
  accessKeyId: vectors.credentials.accessKeyId,
  secretAccessKey: vectors.credentials.secretAccessKey,
  sessionToken: vectors.credentials.sessionToken,
};
// A clean environment: no credentials or profiles of the machine, no metadata probing.
const baseEnv = {
  PATH: process.env['PATH'] ?? '',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONFIG_FILE: '/nonexistent/config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
};
const credentialEnv = {
  AWS_ACCESS_KEY_ID: credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  AWS_SESSION_TOKEN: credentials.sessionToken,
};

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const status = await runCli(args, {
    stdout: (t) => { stdout += t; },
    stderr: (t) => { stderr += t; },
    credentialProvider: async () => credentials,
  });
  return { status, stdout, stderr };
}

async function spawnCli(command: string, args: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await run(command, args, { cwd: root, env: { ...baseEnv, ...env } });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { status: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('aws-signv4-mqtt (in-process)', () => {
  it('prints the vector URL', async () => {
    const result = await cli(vectorArgs);
    expect(result).toEqual({ status: EXIT_OK, stdout: `${vectorUrl}\n`, stderr: '' });
  });

  it('documents every flag, the credential sources and the exit codes in --help', async () => {
    const result = await cli(['--help']);
    expect(result.status).toBe(EXIT_OK);
    expect(result.stdout).toBe(USAGE);
    for (const text of ['--endpoint', '--region', '--expires', '--signing-date', '--profile', 'AWS_REGION', 'Exit status']) {
      expect(USAGE).toContain(text);
    }
  });

  it.each([
    [[], /--endpoint <host> is required/],
    [['--endpoint'], /--endpoint/],
    [['--endpoint', 'x.iot.us-east-1.amazonaws.com', 'extra'], /Unexpected argument 'extra'/],
    [['--endpoint', 'x.iot.us-east-1.amazonaws.com', '--bogus'], /Unknown option '--bogus'/],
    [['--endpoint', 'wss://x.iot.us-east-1.amazonaws.com'], /Invalid --endpoint: must be a bare host name without a scheme \(received "wss:\/\/x/],
    [['--endpoint', 'x.iot.us-east-1.amazonaws.com', '--expires', '5m'], /--expires must be a whole number of seconds from 1 to 604800 \(received "5m"\)/],
    [['--endpoint', 'x.iot.us-east-1.amazonaws.com', '--expires', '0'], /Invalid --expires: .* \(received 0\)/],
    [['--endpoint', 'x.iot.us-east-1.amazonaws.com', '--expires', '604801'], /Invalid --expires/],
    [['--endpoint', 'x.iot.us-east-1.amazonaws.com', '--signing-date', 'yesterday'], /--signing-date must be an ISO-8601 date-time with a zone/],
    [['--endpoint', 'x.iot.us-east-1.amazonaws.com', '--signing-date', '2013-05-24T00:00:00'], /--signing-date must be/],
    [['--endpoint', 'x.iot.us-east-1.amazonaws.com', '--signing-date', '2013-02-30T00:00:00Z'], /--signing-date must be/],
    [['--endpoint', 'x.iot.us-east-1.amazonaws.com', '--region', 'moon'], /Invalid --region: must be an AWS region name/],
    [['--endpoint', 'mqtt.example.com'], /Invalid --region: could not be determined/],
  ])('exits 2 with one line for %j', async (args, message) => {
    const result = await cli(args);
    expect(result.status).toBe(EXIT_USAGE);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('infers the region from the endpoint, .amazonaws.com.cn included, and lets --region win', async () => {
    const scopeOf = async (args: string[]) => new URL((await cli(args)).stdout.trim()).searchParams.get('X-Amz-Credential');
    expect(await scopeOf(['--endpoint', 'a-ats.iot.cn-north-1.amazonaws.com.cn'])).toMatch(/\/cn-north-1\/iotdevicegateway\//);
    expect(await scopeOf(['--endpoint', 'a-ats.iot.eu-west-3.amazonaws.com'])).toMatch(/\/eu-west-3\//);
    expect(await scopeOf(['--endpoint', 'a-ats.iot.eu-west-3.amazonaws.com', '--region', 'us-west-2'])).toMatch(/\/us-west-2\//);
  });

  it('exits 1 with one line when the provider fails', async () => {
    let stderr = '';
    const status = await runCli(['--endpoint', 'x.iot.us-east-1.amazonaws.com'], {
      stdout: () => undefined,
      stderr: (t) => { stderr += t; },
      credentialProvider: async () => { throw new Error('Could not load credentials from any providers'); },
    });
    expect(status).toBe(EXIT_FAILURE);
    expect(stderr).toMatch(/^aws-signv4-mqtt: No AWS credentials found/);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('aws-signv4-mqtt (the executable)', () => {
  const tsx = join(root, 'node_modules/.bin/tsx');

  it('reproduces the vector URL byte for byte from the environment credentials', async () => {
    const result = await spawnCli(tsx, ['bin/aws-signv4-mqtt.ts', ...vectorArgs], credentialEnv);
    expect(result).toEqual({ status: 0, stdout: `${vectorUrl}\n`, stderr: '' });
  });

  it('takes the region from AWS_REGION when the endpoint names none', async () => {
    const result = await spawnCli(tsx, ['bin/aws-signv4-mqtt.ts', '--endpoint', 'mqtt.example.com'], { ...credentialEnv, AWS_REGION: 'eu-north-1' });
    expect(result.status).toBe(0);
    expect(new URL(result.stdout.trim()).searchParams.get('X-Amz-Credential')).toMatch(/\/eu-north-1\//);
  });

  it('exits 1 with one line when no credentials are found', async () => {
    const result = await spawnCli(tsx, ['bin/aws-signv4-mqtt.ts', '--endpoint', 'x.iot.us-east-1.amazonaws.com'], {});
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^aws-signv4-mqtt: No AWS credentials found[^\n]*\n$/);
  });

  it('exits 1, not 2, when the environment holds malformed credentials', async () => {
    const result = await spawnCli(tsx, ['bin/aws-signv4-mqtt.ts', '--endpoint', 'x.iot.us-east-1.amazonaws.com'], { ...credentialEnv, AWS_ACCESS_KEY_ID: 'short' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^aws-signv4-mqtt: The default credential chain returned unusable credentials: Invalid credentials\.accessKeyId[^\n]*\n$/);
  });

  it('exits 2 on a usage error', async () => {
    const result = await spawnCli(tsx, ['bin/aws-signv4-mqtt.ts', '--expires', '10'], credentialEnv);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^aws-signv4-mqtt: --endpoint <host> is required\. See --help\.\n$/);
  });

  describe('as published (compiled by the package build)', () => {
    let outDir: string;
    beforeAll(async () => {
      // Inside the project so that the compiled files resolve the installed dependencies.
      outDir = mkdtempSync(join(root, '.build-test-'));
      await run(join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json', '--outDir', outDir], { cwd: root });
    });
    afterAll(() => {
      rmSync(outDir, { recursive: true, force: true });
    });

    it('runs under plain node and prints the vector URL', async () => {
      const result = await spawnCli(process.execPath, [join(outDir, 'bin/aws-signv4-mqtt.js'), ...vectorArgs], credentialEnv);
      expect(result).toEqual({ status: 0, stdout: `${vectorUrl}\n`, stderr: '' });
    });

    it('exports the public API from the package entry', async () => {
      const entry = (await import(join(outDir, 'lambda/sigv4.js'))) as Record<string, unknown>;
      expect(typeof entry['signMqttUrl']).toBe('function');
      expect(typeof entry['signMqttUrlFromDefaultCredentials']).toBe('function');
      expect(typeof entry['InvalidSigningOptionError']).toBe('function');
    });

    it('exports the browser client from aws-signv4-mqtt/web', async () => {
      const web = (await import(join(outDir, 'web/connect-mqtt.js'))) as Record<string, unknown>;
      expect(typeof web['connectMqtt']).toBe('function');
      expect(typeof web['VendingError']).toBe('function');
    });

    it('maps the package exports to the built files', () => {
      const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown>; bin: Record<string, string> };
      // ES modules for import, their CommonJS copy (dist/cjs/, bin/build-cjs.ts) for require.
      for (const [subpath, target] of [['.', 'lambda/sigv4'], ['./web', 'web/connect-mqtt']] as const) {
        expect(pkg.exports[subpath]).toEqual({
          import: { types: `./dist/${target}.d.ts`, default: `./dist/${target}.js` },
          require: { types: `./dist/cjs/${target}.d.ts`, default: `./dist/cjs/${target}.js` },
        });
      }
      expect(pkg.bin['aws-signv4-mqtt']).toBe('./dist/bin/aws-signv4-mqtt.js');
    });
  });
});
