/**
 * Vending Lambda benchmark (`npm run bench`), against the loopback STS stand-in, with the grants a
 * real app uses (private, group, shared and read-only templates) and four groups per user:
 * - warm request, in both identity modes (Cognito; issuer mode with group templates, so the bearer
 *   token check and the verified-token cache are on the path): µs per whole `GET /mqtt-url` in
 *   process (50 users with cached sessions, request and metrics lines written to a real pipe with
 *   synchronous writes, as Lambda's stdout is one), beside `@smithy/signature-v4`'s presign alone on
 *   the same input with the SDK's node:crypto hash. Target: ≤ 0.6× in both modes. A twin handler
 *   whose lines are discarded shows how much of the figure is the pipe's.
 * - cold import: ms to import the esbuild-bundled handler (configured for per-user scope) in a fresh
 *   `node`, beside a bundle holding only `fromTemporaryCredentials`. Median of several children,
 *   alternating. Target: ≤ 1.2×.
 * - bundle size of both.
 * - heap per cached user: a child with `--expose-gc` vends URLs to many users through the bundled
 *   handler (real SDK path to the loopback STS, realistic ~1 KB session tokens) and divides the heap
 *   growth. Target: < 4 KB.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpRequest } from '@smithy/protocol-http';
import { Hash } from '@smithy/core/serde';
import { SignatureV4 } from '@smithy/signature-v4';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { build } from 'esbuild';
import { createHandler, type HandlerDependencies } from '../../lambda/handler.js';
import { parseConfig } from '../../lambda/vending/config.js';
import { createCoalescingWriter } from '../../lambda/vending/line-writer.js';
import { createRequestLogger } from '../../lambda/vending/logger.js';
import { createMetricsWriter } from '../../lambda/vending/metrics.js';
import { createOidcTokenVerifier } from '../../lambda/vending/token-verifier.js';
import { LocalSts } from '../../local/sts-server.js';
import { COGNITO_ENV, idTokenClaims, mqttUrlEvent } from '../vending/helpers.js';
import { AUTH0_AUDIENCE, AUTH0_ISSUER, NAMESPACED_GROUPS_CLAIM, auth0Claims, jwksOf, oidcEvent, rsaKey, signToken } from '../vending/oidc-helpers.js';
import { median, microsPerCall, verdict } from './measure.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ENDPOINT = 'a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com';
const REGION = 'eu-west-1';
const ROLE = 'arn:aws:iam::123456789012:role/mqtt-client';
// The function's own credentials, as Lambda sets them.
const OWN_ENV = {
  AWS_ACCESS_KEY_ID: 'ASIAFUNCTIONROLE0001',
  AWS_SECRET_ACCESS_KEY: 'function/Secret+Key=0123456789abcdefghij',
  AWS_SESSION_TOKEN: `IQoJb3JpZ2luX2VjE${'A/+='.repeat(200)}`,
};

/** Target: a whole warm request costs at most this fraction of smithy's presign alone. */
export const WARM_TARGET_RATIO = 0.6;
/** Target: the handler bundle imports in at most this multiple of the bare credential-provider bundle. */
export const COLD_IMPORT_TARGET_RATIO = 1.2;
/** Target: heap per cached user stays under this many bytes. */
export const HEAP_PER_USER_TARGET_BYTES = 4 * 1024;

/** The grants measured: private inbox, group rooms, a shared lobby and read-only telemetry. */
const GRANTS_ENV = {
  PUBLISH_TOPIC_TEMPLATES: '["users/${sub}/*","rooms/${group}/*","lobby/*"]',
  SUBSCRIBE_TOPIC_TEMPLATES: '["users/${sub}/*","rooms/${group}/*","lobby/*","telemetry/*"]',
};
/** Groups per user: `MAX_GROUPS`' default. */
const GROUPS_PER_USER = 4;

/** User `i`'s `cognito:groups`, as payload 2.0 delivers it: four groups, varied across users. */
function groupsClaim(i: number): string {
  return `[${Array.from({ length: GROUPS_PER_USER }, (_, k) => `team-${(i * GROUPS_PER_USER + k) % 97}`).join(' ')}]`;
}

const USERS = 50;
const ROUNDS = 9;
const IMPORT_RUNS = 9;
const HEAP_WARM_USERS = 1000;
const HEAP_USERS = 2000;

/** A minimal payload 2.0 event with JWT claims (what the handler reads). */
/** Runs the vending benchmark and prints its figures. */
export async function runVendingBench(): Promise<void> {
  const sts = new LocalSts();
  // The client role trusts the function's own credentials, as the deployed role does.
  sts.registerCaller({ accessKeyId: OWN_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: OWN_ENV.AWS_SECRET_ACCESS_KEY, sessionToken: OWN_ENV.AWS_SESSION_TOKEN });
  sts.trustRole(ROLE, [OWN_ENV.AWS_ACCESS_KEY_ID]);
  const stsUrl = await sts.start();
  const saved = { ...process.env };
  Object.assign(process.env, OWN_ENV, { AWS_ENDPOINT_URL_STS: stsUrl });
  const work = mkdtempSync(join(tmpdir(), 'vending-bench-'));
  try {
    console.log('vending Lambda');
    const flushed = tlbFlushedPerSystemCall();
    if (flushed === true) {
      console.log('  note: this kernel isolates page tables on a CPU without PCID, so every system call flushes the TLB:');
      console.log('  a pipe write costs several microseconds here ("the pipe alone"); earlier runs measured 0.45 µs per write on a machine without that (docs/benchmarks.md)');
    }
    await warmRequest('cognito', work);
    await warmRequest('oidc', work);
    const bundles = await buildBundles(work);
    await coldImport(bundles);
    await heapPerUser(bundles.handler, stsUrl);
  } finally {
    rmSync(work, { recursive: true, force: true });
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
    await sts.stop();
  }
}

/** The identity modes the warm request is measured in. */
type BenchMode = 'cognito' | 'oidc';

/**
 * A real pipe for the request and metrics lines, as Lambda's stdout is one: a FIFO drained by a
 * `cat` child into /dev/null, written with synchronous writes (stdout is synchronous for pipes on
 * Linux), the lines of a request coalesced into one write as the function's stdout writer does.
 */
function openPipeSink(work: string, name: string): PipeSink {
  const fifo = join(work, `${name}.fifo`);
  execFileSync('mkfifo', [fifo]);
  const reader = spawn('cat', [fifo], { stdio: ['ignore', 'ignore', 'inherit'] });
  // Blocks until `cat` opens its end: then every write goes through the kernel's pipe buffer.
  const fd = openSync(fifo, 'w');
  let last = '';
  const writeChunk = (chunk: string): void => {
    writeSync(fd, chunk);
  };
  return {
    // As the function's stdout writer does: a request's lines leave in one write.
    write: createCoalescingWriter((chunk) => {
      last = chunk;
      writeChunk(chunk);
    }),
    writeChunk,
    lastChunk: () => last,
    close: () =>
      new Promise<void>((resolvePromise) => {
        reader.once('exit', () => resolvePromise());
        closeSync(fd);
      }),
  };
}

/** A pipe with a `cat` reader: the handler's line writer, raw chunk writes, and the last chunk written. */
interface PipeSink {
  readonly write: (line: string) => void;
  readonly writeChunk: (chunk: string) => void;
  readonly lastChunk: () => string;
  readonly close: () => Promise<void>;
}

/** The chunk (a request's log and metrics lines) the piped handler writes for one request. */
async function lastChunkOf(
  handler: (event: APIGatewayProxyEventV2WithJWTAuthorizer, context: never) => Promise<unknown>,
  event: APIGatewayProxyEventV2WithJWTAuthorizer,
  context: never,
  sink: PipeSink,
): Promise<string> {
  await handler(event, context);
  const chunk = sink.lastChunk();
  if (chunk.split('\n').length !== 3) throw new Error(`expected a request's two lines in one write, got ${JSON.stringify(chunk.slice(0, 200))}`);
  return chunk;
}

/**
 * Whether this kernel flushes the whole TLB on every system call: page-table isolation on a CPU
 * without PCID. Every write(2) then costs the process its address translations too, several
 * microseconds here against well under one on a host with PCID.
 */
function tlbFlushedPerSystemCall(): boolean | undefined {
  try {
    const meltdown = readFileSync('/sys/devices/system/cpu/vulnerabilities/meltdown', 'utf8');
    const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
    return /PTI/.test(meltdown) && !/\bpcid\b/.test(cpuinfo);
  } catch {
    return undefined;
  }
}

/** The events and settings of one mode: 50 users with four groups each, as the authorizer passes them. */
async function benchSetup(mode: BenchMode): Promise<{ env: Record<string, string>; events: APIGatewayProxyEventV2WithJWTAuthorizer[]; dependencies: Partial<HandlerDependencies> }> {
  if (mode === 'cognito') {
    const events = Array.from({ length: USERS }, (_, i) =>
      mqttUrlEvent({ ...idTokenClaims(`8f2c1e7a-1b2c-4d3e-9f00-${String(i).padStart(12, '0')}`), 'cognito:groups': groupsClaim(i) }),
    );
    return { env: { ...COGNITO_ENV }, events, dependencies: {} };
  }
  // Issuer mode with ${group} templates: each request reads its bearer token, finds it in the
  // verified-token cache (the first request of each user verified its RS256 signature), checks it
  // against the authorizer's claims, and derives the principal ID from the Auth0-style sub.
  const key = await rsaKey('bench-key');
  const events = await Promise.all(
    Array.from({ length: USERS }, async (_, i) => {
      const claims = auth0Claims(`auth0|${String(i).padStart(24, '0')}`, groupsClaim(i).slice(1, -1).split(' '));
      return oidcEvent(await signToken(key, claims), claims);
    }),
  );
  const env = { IDENTITY_MODE: 'oidc', ISSUER_URL: AUTH0_ISSUER, AUDIENCES: AUTH0_AUDIENCE, GROUPS_CLAIM: NAMESPACED_GROUPS_CLAIM };
  const tokenVerifier = createOidcTokenVerifier({ issuer: AUTH0_ISSUER, audiences: [AUTH0_AUDIENCE], jwks: jwksOf(key) as never });
  return { env, events, dependencies: { tokenVerifier } };
}

async function warmRequest(mode: BenchMode, work: string): Promise<void> {
  const sink = openPipeSink(work, `log-${mode}`);
  try {
    const { env, events, dependencies } = await benchSetup(mode);
    // The per-user token bucket is on, sized so that its bookkeeping runs on every request without
    // refusing the bench's 50 users their 90,000 requests each.
    const config = parseConfig({ ...env, IOT_ENDPOINT: ENDPOINT, CLIENT_ROLE_ARN: ROLE, ...GRANTS_ENV, USER_RATE_PER_SECOND: '1000', USER_RATE_BURST: '1000' });
    // The measured handler writes its request and metrics lines to the pipe; a twin discards them,
    // to show how much of the figure is the pipe's (this machine's system calls and wake-ups).
    const piped = createHandler(config, { log: createRequestLogger(sink.write), metrics: createMetricsWriter(config.metricsService, sink.write), ...dependencies });
    const discard = (): void => undefined;
    const silent = createHandler(config, { log: createRequestLogger(discard), metrics: createMetricsWriter(config.metricsService, discard), ...dependencies });
    for (const handler of [piped, silent]) {
      for (const e of events) {
        const result = await handler(e);
        if (result.statusCode !== 200) throw new Error(`${mode} warm-up request failed with ${String(result.statusCode)}: ${result.body ?? ''}`);
      }
    }
    const context = { awsRequestId: 'bench-request' } as never;
    let refused = 0;
    const callOf = (handler: typeof piped) => async (i: number) => {
      const result = await handler(events[i % USERS] as APIGatewayProxyEventV2WithJWTAuthorizer, context);
      if (result.statusCode !== 200) refused += 1;
      return result;
    };
    const warmCall = callOf(piped);
    const silentCall = callOf(silent);
    // The pipe alone: a request's two lines (the same bytes the handler wrote last) in one write per
    // await, with no handler work; what one write costs on this machine, whatever the code does.
    const chunk = await lastChunkOf(piped, events[0] as APIGatewayProxyEventV2WithJWTAuthorizer, context, sink);
    const writeOnlyCall = async (): Promise<void> => {
      sink.writeChunk(chunk);
    };

    const signer = new SignatureV4({
      service: 'iotdevicegateway',
      region: REGION,
      credentials: { accessKeyId: 'ASIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
      sha256: Hash.bind(null, 'sha256'),
    });
    const base = Date.now();
    const smithyCall = (i: number) =>
      signer.presign(new HttpRequest({ method: 'GET', protocol: 'wss:', hostname: ENDPOINT, path: '/mqtt', headers: { host: ENDPOINT } }), {
        signingDate: new Date(base + (i % 86_000) * 1000),
        expiresIn: 300,
      });

    // Rounds alternate between the three so that a busy neighbour slows all alike; each ratio is the
    // median of the per-round ratios.
    const warmRounds: number[] = [];
    const silentRounds: number[] = [];
    const smithyRounds: number[] = [];
    const writeRounds: number[] = [];
    const once = { iterations: 10_000, rounds: 1, warmup: 0 };
    await microsPerCall(warmCall, { ...once, warmup: 5_000 });
    await microsPerCall(silentCall, { ...once, warmup: 5_000 });
    await microsPerCall(smithyCall, { ...once, warmup: 5_000 });
    await microsPerCall(writeOnlyCall, { ...once, warmup: 5_000 });
    for (let round = 0; round < ROUNDS; round++) {
      warmRounds.push(await microsPerCall(warmCall, once));
      silentRounds.push(await microsPerCall(silentCall, once));
      smithyRounds.push(await microsPerCall(smithyCall, once));
      writeRounds.push(await microsPerCall(writeOnlyCall, once));
    }
    // Every measured request must have been a real vend, not a cheap refusal.
    if (refused > 0) throw new Error(`${refused} ${mode} warm requests were not answered 200: the figure would be wrong`);
    const ratioOf = (rounds: readonly number[]) => median(rounds.map((micros, round) => micros / (smithyRounds[round] ?? Number.NaN)));
    const ratio = ratioOf(warmRounds);
    const what =
      mode === 'cognito'
        ? 'Cognito mode: cognito:groups claim'
        : 'issuer mode: Auth0-style subs, bearer token checked against the verified-token cache, groups from the verified payload';
    console.log(`  warm request, ${what} (cached session, ${USERS} users, ${GROUPS_PER_USER} groups each, rate limiter on)`);
    console.log(`    warm request, log + EMF line to a pipe (one write)        ${median(warmRounds).toFixed(2)} µs (median of ${ROUNDS} rounds of 10,000)`);
    console.log(`    the same, lines built but not written (the handler's work) ${median(silentRounds).toFixed(2)} µs (ratio ${ratioOf(silentRounds).toFixed(3)}×)`);
    console.log(`    the pipe alone: the same ${chunk.length}-byte chunk, one write      ${median(writeRounds).toFixed(2)} µs (ratio ${ratioOf(writeRounds).toFixed(3)}×; this machine's system call)`);
    console.log(`    @smithy/signature-v4 presign alone, same input            ${median(smithyRounds).toFixed(2)} µs (node:crypto hash, token unsigned)`);
    console.log(`    ratio warm request / smithy presign                       ${ratio.toFixed(3)}× (target ≤ ${WARM_TARGET_RATIO}×: ${verdict(ratio <= WARM_TARGET_RATIO)})`);
  } finally {
    await sink.close();
  }
}

interface Bundles {
  readonly handler: string;
  readonly baseline: string;
}

async function buildBundles(work: string): Promise<Bundles> {
  // Lambda-like ESM bundles; both built alike so only their contents differ.
  const common = {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    logLevel: 'error',
    absWorkingDir: ROOT,
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  } as const;
  const handler = join(work, 'handler.mjs');
  const baseline = join(work, 'from-temporary-credentials.mjs');
  await build({ ...common, entryPoints: [join(ROOT, 'lambda/handler.ts')], outfile: handler });
  await build({
    ...common,
    stdin: { contents: "export { fromTemporaryCredentials } from '@aws-sdk/credential-providers';", resolveDir: ROOT, loader: 'ts' },
    outfile: baseline,
  });
  const kb = (file: string) => statSync(file).size / 1024;
  console.log(`  bundle: handler ${kb(handler).toFixed(1)} KB, fromTemporaryCredentials alone ${kb(baseline).toFixed(1)} KB (esbuild, minified, SDK included)`);
  return { handler, baseline };
}

/** Runs `node` on an ESM snippet and returns what it printed. */
function runNode(args: readonly string[], source: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...args, '--input-type=module', '-e', source], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolvePromise(out) : reject(new Error(`node exited with ${String(code)}: ${err.slice(0, 500)}`))));
  });
}

async function coldImport(bundles: Bundles): Promise<void> {
  const env = { ...process.env, ...COGNITO_ENV, IOT_ENDPOINT: ENDPOINT, CLIENT_ROLE_ARN: ROLE, AWS_REGION: REGION, NODE_NO_WARNINGS: '1', ...GRANTS_ENV };
  const timeImport = (file: string) =>
    `const t = performance.now(); await import(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));`;
  const handlerMs: number[] = [];
  const baselineMs: number[] = [];
  for (let i = 0; i < IMPORT_RUNS; i++) {
    handlerMs.push(Number(await runNode([], timeImport(bundles.handler), env)));
    baselineMs.push(Number(await runNode([], timeImport(bundles.baseline), env)));
  }
  const ours = median(handlerMs);
  const base = median(baselineMs);
  const ratio = ours / base;
  console.log(`  cold import, handler bundle (config parsed, per-user scope)  ${ours.toFixed(1)} ms (median of ${IMPORT_RUNS} fresh node processes)`);
  console.log(`  cold import, fromTemporaryCredentials bundle alone           ${base.toFixed(1)} ms`);
  console.log(`  ratio handler / fromTemporaryCredentials                     ${ratio.toFixed(3)}× (target ≤ ${COLD_IMPORT_TARGET_RATIO}×: ${verdict(ratio <= COLD_IMPORT_TARGET_RATIO)})`);
}

async function heapPerUser(handlerBundle: string, stsUrl: string): Promise<void> {
  const script = join(dirname(handlerBundle), 'heap-child.mjs');
  // The child's request log goes to /dev/null (synchronous), so no write buffer inflates its heap.
  writeFileSync(
    script,
    `
const { handler } = await import(${JSON.stringify(handlerBundle)});
// groupsClaim, as the child runs it.
const groups = (i) => '[' + Array.from({ length: ${GROUPS_PER_USER} }, (_, k) => 'team-' + ((i * ${GROUPS_PER_USER} + k) % 97)).join(' ') + ']';
const event = (sub, i) => ({ requestContext: { requestId: 'heap', authorizer: { jwt: { claims: { iss: ${JSON.stringify(COGNITO_ENV.ISSUER_URL)}, sub, 'cognito:groups': groups(i) }, scopes: null } } } });
const run = async (prefix, count) => {
  for (let i = 0; i < count; i += 20) {
    const batch = [];
    for (let j = i; j < Math.min(count, i + 20); j++) batch.push(handler(event(prefix + String(j).padStart(12, '0'), j)));
    for (const result of await Promise.all(batch)) if (result.statusCode !== 200) throw new Error('status ' + result.statusCode);
  }
};
// The first users also pay for lazily loaded SDK code and the JIT's compiled code; the figure is the
// growth over the next users, when only the per-user state still grows.
await run('8f2c1e7a-1b2c-4d3e-9f00-a', ${HEAP_WARM_USERS});
for (let i = 0; i < 4; i++) globalThis.gc();
const before = process.memoryUsage().heapUsed;
await run('8f2c1e7a-1b2c-4d3e-9f00-b', ${HEAP_USERS});
for (let i = 0; i < 4; i++) globalThis.gc();
const after = process.memoryUsage().heapUsed;
process.stderr.write(String((after - before) / ${HEAP_USERS}));
`,
  );
  const env = { ...process.env, ...COGNITO_ENV, IOT_ENDPOINT: ENDPOINT, CLIENT_ROLE_ARN: ROLE, AWS_REGION: REGION, AWS_ENDPOINT_URL_STS: stsUrl, NODE_NO_WARNINGS: '1', ...GRANTS_ENV };
  const bytes = await new Promise<number>((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', script], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolvePromise(Number(err)) : reject(new Error(`heap child exited with ${String(code)}: ${err.slice(0, 500)}`))));
  });
  console.log(`  heap per cached user (${GROUPS_PER_USER} groups each; growth over ${HEAP_USERS} users after ${HEAP_WARM_USERS}, ~1 KB STS tokens)  ${(bytes / 1024).toFixed(2)} KB (target < ${HEAP_PER_USER_TARGET_BYTES / 1024} KB: ${verdict(bytes < HEAP_PER_USER_TARGET_BYTES)})`);
}
