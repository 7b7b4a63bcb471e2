/**
 * `npm run dev` as a user runs it: the real entry point in a child process, stopped with Ctrl-C.
 * (`node --import tsx` rather than `npm run dev`, so the exit code is the program's own and not
 * npm's re-raised signal.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const children: ChildProcess[] = [];

function runDev(port: string, env: Record<string, string> = {}, args: readonly string[] = []): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/dev.ts', ...args], { cwd: ROOT, env: { ...process.env, PORT: port, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitForOutput(child: ChildProcess, output: () => string, pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const match = pattern.exec(output());
      if (match !== null) {
        child.stdout?.off('data', check);
        resolve(match);
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', () => reject(new Error(`exited before printing ${String(pattern)}:\n${output()}`)));
    check();
  });
}

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('npm run dev (bin/dev.ts)', () => {
  it('prints its loopback URL, serves, and stops cleanly with exit code 0 on Ctrl-C', async () => {
    const { child, output, exited } = runDev('0');
    const [, url = ''] = await waitForOutput(child, output, /running at (http:\/\/127\.0\.0\.1:\d+)/);
    expect(output()).toMatch(/password "local-dev"/);
    // The demo runs with every kind of grant, the demo groups and the simulated device.
    expect(output()).toContain('Groups (LOCAL_USER_GROUPS): alice in team-a; bob in team-a; carol in team-b; everybody else in none.');
    expect(output()).toContain('publish users/${sub}/*  rooms/${group}/*  lobby/*');
    expect(output()).toContain('subscribe users/${sub}/*  rooms/${group}/*  lobby/*  telemetry/*');
    expect(output()).toContain('A simulated device publishes to telemetry/sensor-1 every 3000 ms.');
    expect(output()).toContain("with AWS IoT's message-broker limits; docs/local-stack-vs-aws.md lists what still differs.");
    const config = (await (await fetch(`${url}/config.json`)).json()) as { apiUrl: string };
    expect(config.apiUrl).toBe(url);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output()).toMatch(/SIGINT: stopping the local stack/);
    await expect(fetch(`${url}/config.json`)).rejects.toThrow();
  });

  it('exits 2 naming LOCAL_USER_GROUPS and its value when the membership map is malformed', async () => {
    const { output, exited } = runDev('0', { LOCAL_USER_GROUPS: '{"alice":"team-a"}' });
    expect(await exited).toBe(2);
    expect(output()).toBe('LOCAL_USER_GROUPS["alice"] must be an array of group names (received "team-a")\n');
  });

  it('exits 2 naming USER_RATE_PER_SECOND when it is not a number, and 1 with the Lambda\'s message when it is out of range', async () => {
    const malformed = runDev('0', { USER_RATE_PER_SECOND: 'fast' });
    expect(await malformed.exited).toBe(2);
    expect(malformed.output()).toBe('USER_RATE_PER_SECOND must be a number such as 1 or 0.5 (received "fast")\n');
    const tooHigh = runDev('0', { USER_RATE_PER_SECOND: '5000' });
    expect(await tooHigh.exited).toBe(1);
    expect(tooHigh.output()).toMatch(/^Could not start the local stack: USER_RATE_PER_SECOND: /);
  });

  it('exits 2 naming LOCAL_PERSISTENT_SESSION_EXPIRY_SECONDS and its value when it is not 1..604800 whole seconds', async () => {
    const outOfRange = runDev('0', { LOCAL_PERSISTENT_SESSION_EXPIRY_SECONDS: '0' });
    expect(await outOfRange.exited).toBe(2);
    expect(outOfRange.output()).toBe('LOCAL_PERSISTENT_SESSION_EXPIRY_SECONDS must be 1..604800 seconds (received "0")\n');
    const tooLong = runDev('0', { LOCAL_PERSISTENT_SESSION_EXPIRY_SECONDS: '604801' });
    expect(await tooLong.exited).toBe(2);
    expect(tooLong.output()).toBe('LOCAL_PERSISTENT_SESSION_EXPIRY_SECONDS must be 1..604800 seconds (received "604801")\n');
    const malformed = runDev('0', { LOCAL_PERSISTENT_SESSION_EXPIRY_SECONDS: '1h' });
    expect(await malformed.exited).toBe(2);
    expect(malformed.output()).toBe('LOCAL_PERSISTENT_SESSION_EXPIRY_SECONDS must be a whole number (received "1h")\n');
  });

  it('signs users in at the local OIDC issuer with --oidc, and stops cleanly', async () => {
    const { child, output, exited } = runDev('0', {}, ['--oidc']);
    const [, url = ''] = await waitForOutput(child, output, /running at (http:\/\/127\.0\.0\.1:\d+)/);
    expect(output()).toContain(`like Auth0: issuer ${url}/oidc/, audience https://mqtt.local.example.`);
    expect(output()).toContain('The page uses the password grant at /oidc/token (real providers sign browsers in with\n     Authorization Code + PKCE).');
    const config = (await (await fetch(`${url}/config.json`)).json()) as { identity?: string; oidc?: { issuer: string } };
    expect(config).toMatchObject({ identity: 'oidc', oidc: { issuer: `${url}/oidc/` } });
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('takes LOCAL_IDENTITY=oidc as --oidc', async () => {
    const { child, output, exited } = runDev('0', { LOCAL_IDENTITY: 'oidc' });
    const [, url = ''] = await waitForOutput(child, output, /running at (http:\/\/127\.0\.0\.1:\d+)/);
    expect(((await (await fetch(`${url}/config.json`)).json()) as { identity?: string }).identity).toBe('oidc');
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it.each([
    ['an unknown LOCAL_IDENTITY', { LOCAL_IDENTITY: 'ldap' }, [], 'LOCAL_IDENTITY must be cognito or oidc (received "ldap")\n'],
    ['an unknown argument', {}, ['--okta'], 'Unknown argument "--okta": npm run dev takes only --oidc (sign in at a local OIDC issuer instead of the Cognito stand-in)\n'],
    ['--oidc against LOCAL_IDENTITY=cognito', { LOCAL_IDENTITY: 'cognito' }, ['--oidc'], '--oidc contradicts LOCAL_IDENTITY=cognito; give one of them\n'],
  ])('exits 2 with one line for %s', async (_name, env, args, message) => {
    const { output, exited } = runDev('0', env, args);
    expect(await exited).toBe(2);
    expect(output()).toBe(message);
  });

  it('exits 1 with the Lambda\'s own message when it refuses the templates', async () => {
    const { output, exited } = runDev('0', { PUBLISH_TOPIC_TEMPLATES: '["tenants/*/users/${sub}/*"]' });
    expect(await exited).toBe(1);
    expect(output()).toMatch(/^Could not start the local stack: PUBLISH_TOPIC_TEMPLATES: .*tenants\/\*\/users\/\$\{sub\}\/\*/);
  });

  it('exits 1 with a clear message when the port is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const { output, exited } = runDev(String(port));
      expect(await exited).toBe(1);
      expect(output()).toContain(`127.0.0.1:${port} is already in use`);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
