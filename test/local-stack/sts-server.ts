/**
 * A loopback stand-in for AWS STS `AssumeRole`, speaking the query protocol exactly as the AWS SDK v3
 * sends it (`POST /`, form-encoded `Action=AssumeRole&Version=2011-06-15&…`, XML answers). It records
 * every call and remembers each session it issued (secret, token, expiry, session policy) so the
 * local IoT gateway can verify signatures and enforce the policy, and tests can inspect what STS saw.
 *
 * Reached through the SDK's standard `AWS_ENDPOINT_URL_STS`. Listens on 127.0.0.1 only.
 * Protocol reference: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A session issued by {@link LocalSts}: everything a verifier needs to check a URL signed with it. */
export interface StsSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
  roleArn: string;
  roleSessionName: string;
  /** The session policy JSON exactly as received, or `undefined` when none was passed. */
  policy: string | undefined;
  durationSeconds: number;
}

/** One `AssumeRole` request as received (recorded whether it succeeded or was failed on purpose). */
export interface AssumeRoleCall {
  roleArn: string;
  roleSessionName: string;
  policy: string | undefined;
  durationSeconds: number;
  /** The access key id from the caller's SigV4 `Authorization` header, if any. */
  callerAccessKeyId: string | undefined;
  at: Date;
}

/** The failure kinds {@link LocalSts.failNext} can inject. */
export type StsFailureKind = 'throttle' | 'error';

/** Options of {@link LocalSts}. */
export interface LocalStsOptions {
  /**
   * The clock used for session expiry.
   * @default - the system clock
   */
  now?: () => Date;
}

/** STS's own bounds and formats, so the stand-in refuses what real STS refuses. */
const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
const ROLE_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;
const ROLE_SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const MIN_DURATION = 900;
// A role's default MaxSessionDuration; role chaining (a Lambda role assuming another) caps it at 1 h.
const MAX_DURATION = 3600;
const DEFAULT_DURATION = 3600;
// The plaintext session policy limit: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
const MAX_POLICY_CHARS = 2048;

/** An error answered in STS's XML shape. */
class StsFault {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly message: string,
    readonly type: 'Sender' | 'Receiver' = 'Sender',
  ) {}
}

/** Escapes text for an XML element body. */
function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Random upper-case alphanumerics, the alphabet of real access key ids. */
function randomKeyPart(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}

/** Reads the access key id out of a SigV4 `Authorization` header. */
function callerAccessKeyId(authorization: string | undefined): string | undefined {
  return authorization === undefined ? undefined : /Credential=([^/,\s]+)\//.exec(authorization)?.[1];
}

/** Reads a whole request body as UTF-8. */
async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The loopback STS. `start()` it, point `AWS_ENDPOINT_URL_STS` at the URL it resolves, `stop()` it
 * when done.
 */
export class LocalSts {
  readonly #now: () => Date;
  readonly #calls: AssumeRoleCall[] = [];
  readonly #sessions = new Map<string, StsSession>();
  readonly #failures: StsFailureKind[] = [];
  readonly #holds: { readonly released: Promise<void>; readonly release: () => void }[] = [];
  #server: Server | undefined;

  /** @param options see {@link LocalStsOptions} */
  constructor(options: LocalStsOptions = {}) {
    this.#now = options.now ?? (() => new Date());
  }

  /** Every `AssumeRole` request received, oldest first, including the ones failed on purpose. */
  get calls(): readonly AssumeRoleCall[] {
    return this.#calls;
  }

  /** The session issued under `accessKeyId`, or `undefined` when this STS never issued it. */
  session(accessKeyId: string): StsSession | undefined {
    return this.#sessions.get(accessKeyId);
  }

  /**
   * Makes the next `count` `AssumeRole` requests fail: `throttle` answers 400 `ThrottlingException`,
   * `error` answers 500 `InternalFailure` (both of which the SDK retries).
   */
  failNext(kind: StsFailureKind, count = 1): void {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`failNext count must be a positive integer (received ${count})`);
    for (let i = 0; i < count; i++) this.#failures.push(kind);
  }

  /**
   * Makes STS slow on demand: the next `AssumeRole` request is recorded (and its session issued) on
   * arrival as usual, but its answer is sent only once the returned function is called. Lets a test
   * hold a call in flight past a caller's deadline without sleeping. `stop()` releases every hold.
   *
   * @returns releases the held answer (calling it again does nothing)
   */
  holdNext(): () => void {
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.#holds.push({ released, release });
    return release;
  }

  /**
   * Starts listening.
   * @param port the port, 0 (the default) for a free one
   * @param host only loopback is allowed
   * @returns the base URL, for example `http://127.0.0.1:41234`
   */
  async start(port = 0, host: '127.0.0.1' = '127.0.0.1'): Promise<string> {
    if (this.#server !== undefined) throw new Error('LocalSts is already started');
    if (host !== '127.0.0.1') throw new Error(`LocalSts listens on 127.0.0.1 only (received ${JSON.stringify(host)})`);
    const server = createServer((request, response) => {
      void this.#handle(request, response);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#server = server;
    const address = server.address() as AddressInfo;
    return `http://127.0.0.1:${address.port}`;
  }

  /** Stops listening and drops open keep-alive connections. Safe to call twice. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    for (const hold of this.#holds.splice(0)) hold.release();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    try {
      const body = request.method === 'POST' ? await readBody(request) : '';
      const params = new URLSearchParams(request.method === 'POST' ? body : (request.url ?? '').replace(/^[^?]*\??/, ''));
      const action = params.get('Action');
      if (action !== 'AssumeRole') {
        throw new StsFault(400, 'InvalidAction', `Could not find operation ${String(action)} for version 2011-06-15`);
      }
      const hold = this.#holds.shift();
      let session: StsSession;
      try {
        session = this.#assumeRole(params, callerAccessKeyId(request.headers.authorization));
      } finally {
        await hold?.released;
      }
      this.#reply(response, 200, this.#successXml(session, requestId));
    } catch (error) {
      const fault = error instanceof StsFault ? error : new StsFault(500, 'InternalFailure', 'An internal error occurred', 'Receiver');
      const faultXml =
        `<ErrorResponse xmlns="${STS_NAMESPACE}"><Error><Type>${fault.type}</Type><Code>${xml(fault.code)}</Code>` +
        `<Message>${xml(fault.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
      this.#reply(response, fault.status, faultXml);
    }
  }

  #assumeRole(params: URLSearchParams, caller: string | undefined): StsSession {
    const roleArn = params.get('RoleArn') ?? '';
    const roleSessionName = params.get('RoleSessionName') ?? '';
    const policy = params.get('Policy') ?? undefined;
    const durationText = params.get('DurationSeconds');
    const durationSeconds = durationText === null ? DEFAULT_DURATION : Number(durationText);
    const now = this.#now();
    this.#calls.push({ roleArn, roleSessionName, policy, durationSeconds, callerAccessKeyId: caller, at: now });

    const injected = this.#failures.shift();
    if (injected === 'throttle') throw new StsFault(400, 'ThrottlingException', 'Rate exceeded');
    if (injected === 'error') throw new StsFault(500, 'InternalFailure', 'An internal error occurred', 'Receiver');

    const roleMatch = ROLE_ARN.exec(roleArn);
    if (roleMatch === null) throw new StsFault(400, 'ValidationError', `1 validation error detected: Value '${roleArn}' at 'roleArn' failed to satisfy constraint`);
    if (!ROLE_SESSION_NAME.test(roleSessionName)) {
      throw new StsFault(400, 'ValidationError', `1 validation error detected: Value '${roleSessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`);
    }
    if (!Number.isInteger(durationSeconds) || durationSeconds < MIN_DURATION || durationSeconds > MAX_DURATION) {
      throw new StsFault(400, 'ValidationError', `The requested DurationSeconds exceeds the MaxSessionDuration set for this role (received ${String(durationText)})`);
    }
    if (policy !== undefined) {
      if (policy.length > MAX_POLICY_CHARS) {
        throw new StsFault(400, 'ValidationError', `1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to ${MAX_POLICY_CHARS}`);
      }
      try {
        JSON.parse(policy);
      } catch {
        throw new StsFault(400, 'MalformedPolicyDocument', 'The policy is not valid JSON');
      }
    }

    const session: StsSession = {
      accessKeyId: `ASIA${randomKeyPart(16)}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      // Real AssumeRole tokens are ~1000 characters of base64 with `+`, `/` and `=`: the same length
      // keeps memory and URL-length figures honest, and the alphabet makes URL encoding matter.
      sessionToken: `IQoJb3JpZ2luX2Vj${randomBytes(720).toString('base64')}`,
      expiration: new Date(now.getTime() + durationSeconds * 1000),
      roleArn,
      roleSessionName,
      policy,
      durationSeconds,
    };
    this.#sessions.set(session.accessKeyId, session);
    return session;
  }

  #successXml(session: StsSession, requestId: string): string {
    const [, partition = 'aws', account = '000000000000', roleName = 'role'] = ROLE_ARN.exec(session.roleArn) ?? [];
    const packedPercent = session.policy === undefined ? '' : `<PackedPolicySize>${Math.ceil((session.policy.length / MAX_POLICY_CHARS) * 100)}</PackedPolicySize>`;
    return (
      `<AssumeRoleResponse xmlns="${STS_NAMESPACE}"><AssumeRoleResult>` +
      `<AssumedRoleUser><AssumedRoleId>AROA${randomKeyPart(17)}:${xml(session.roleSessionName)}</AssumedRoleId>` +
      `<Arn>arn:${partition}:sts::${account}:assumed-role/${xml(roleName)}/${xml(session.roleSessionName)}</Arn></AssumedRoleUser>` +
      `<Credentials><AccessKeyId>${session.accessKeyId}</AccessKeyId><SecretAccessKey>${xml(session.secretAccessKey)}</SecretAccessKey>` +
      `<SessionToken>${xml(session.sessionToken)}</SessionToken><Expiration>${session.expiration.toISOString()}</Expiration></Credentials>` +
      `${packedPercent}</AssumeRoleResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></AssumeRoleResponse>`
    );
  }

  #reply(response: ServerResponse, status: number, body: string): void {
    response.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID(), 'content-length': Buffer.byteLength(body) });
    response.end(body);
  }
}
