/**
 * `bin/app.ts` as the CDK CLI runs it (`cdk.json`'s `app` command, context and output directory
 * passed through the CLI's environment variables), offline and without AWS credentials.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { tempOutdir } from './template-helpers.js';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const outdirs: string[] = [];

afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

async function runApp(context: Record<string, unknown>): Promise<{ code: number; stdout: string; stderr: string; outdir: string }> {
  const outdir = tempOutdir('bin');
  outdirs.push(outdir);
  const env = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '/tmp',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/nonexistent/config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
    CDK_OUTDIR: outdir,
    CDK_CONTEXT_JSON: JSON.stringify(context),
  };
  try {
    const { stdout, stderr } = await run(join(root, 'node_modules/.bin/tsx'), ['bin/app.ts'], { cwd: root, env });
    return { code: 0, stdout, stderr, outdir };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr, outdir };
  }
}

describe('bin/app.ts', () => {
  it('synthesizes the stack offline with no credentials', async () => {
    const result = await runApp({ stackName: 'BinProbe', 'cli-telemetry': false });
    expect(result.code, result.stderr).toBe(0);
    const templatePath = join(result.outdir, 'BinProbe.template.json');
    expect(existsSync(templatePath)).toBe(true);
    const template = JSON.parse(readFileSync(templatePath, 'utf8')) as { Outputs: Record<string, unknown> };
    expect(Object.keys(template.Outputs).sort()).toEqual(['ApiUrl', 'IotEndpoint', 'IotPolicyName', 'Region', 'UserPoolClientId', 'UserPoolId']);
  }, 60_000);

  it('turns a bad context value into one line naming the key, and exit code 1', async () => {
    const result = await runApp({ urlTtlSeconds: '0' });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('Invalid configuration: context "urlTtlSeconds" must be a whole number of seconds in 1..900 (received 0 seconds)');
    // Nothing is synthesized from a rejected configuration.
    expect(existsSync(join(result.outdir, 'manifest.json'))).toBe(false);
  }, 60_000);

  it('synthesizes issuer mode from `-c issuerUrl=… -c audiences=…`: no user pool, the issuer as an output, cdk-nag clean', async () => {
    const result = await runApp({ stackName: 'BinIssuer', 'cli-telemetry': false, issuerUrl: 'https://example.us.auth0.com/', audiences: 'https://mqtt.example.com' });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^cdk-nag AwsSolutions: 0 unacknowledged findings \(\d+ acknowledged with a reason\)$/m);
    const template = JSON.parse(readFileSync(join(result.outdir, 'BinIssuer.template.json'), 'utf8')) as { Outputs: Record<string, { Value: unknown }>; Resources: Record<string, { Type: string }> };
    expect(Object.keys(template.Outputs).sort()).toEqual(['ApiUrl', 'IotEndpoint', 'IotPolicyName', 'Issuer', 'Region']);
    expect(template.Outputs['Issuer']?.Value).toBe('https://example.us.auth0.com/');
    expect(Object.values(template.Resources).filter((resource) => resource.Type.startsWith('AWS::Cognito::'))).toEqual([]);
  }, 60_000);

  it('refuses an issuer together with a user pool, naming every key involved, and exit code 1', async () => {
    const result = await runApp({ issuerUrl: 'https://example.us.auth0.com/', audiences: 'https://mqtt.example.com', userPoolId: 'eu-west-1_AbCdEf123', userPoolClientIds: 'client1abc' });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      'Invalid configuration: context "issuerUrl" + context "userPoolId" + context "userPoolClientIds" must not be combined: the API accepts the tokens of either one OIDC issuer or one Cognito user pool (give issuer alone, or the user-pool settings without issuer) (received issuer "https://example.us.auth0.com/" with user pool "eu-west-1_AbCdEf123" with app clients ["client1abc"])',
    );
    expect(existsSync(join(result.outdir, 'manifest.json'))).toBe(false);
  }, 60_000);

  it('refuses an issuer URL with a query as `-c issuerUrl=` passes it, naming the key', async () => {
    const result = await runApp({ issuerUrl: 'https://example.us.auth0.com/?tenant=a', audiences: 'https://mqtt.example.com' });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('Invalid configuration: context "issuerUrl" must not hold a query ("?") (received "https://example.us.auth0.com/?tenant=a")');
  }, 60_000);

  it('refuses overlapping grants as `cdk synth -c` passes them, naming the key, both templates and a topic', async () => {
    const result = await runApp({ publishTopicTemplates: '["tenants/*/users/${sub}/*"]', subscribeTopicTemplates: '["tenants/*/users/${sub}/*"]' });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(
      /^Invalid configuration: context "publishTopicTemplates" must keep every user's and every group's topics apart: publishTopicTemplates\[0\] "tenants\/\*\/users\/\$\{sub\}\/\*" has a \* before \$\{sub\}, which can stand for whole levels: the topic "[^"]+" is granted both to the user whose sub is "alice" and to the user whose sub is "bob" \(received "tenants\/\*\/users\/\$\{sub\}\/\*"\)$/,
    );
    expect(existsSync(join(result.outdir, 'manifest.json'))).toBe(false);
  }, 60_000);
});
