/**
 * A loopback stand-in for AWS STS `AssumeRole`, speaking the query protocol exactly as the AWS SDK v3
 * sends it (`POST /`, form-encoded `Action=AssumeRole&Version=2011-06-15&…`, XML answers). It records
 * every authenticated call and remembers each session it issued (secret, token, expiry, session
 * policy) so the local IoT gateway can verify signatures and enforce the policy, and tests can
 * inspect what STS saw.
 *
 * It enforces what AWS enforces before issuing a session, because a session of the client role
 * without a session policy would be allowed the whole role (every user's topics and client ids):
 * - the caller is authenticated: a SigV4 `Authorization` header signed with the secret of a
 *   registered caller ({@link LocalSts.registerCaller}) or of a session this STS issued, dated
 *   within 15 minutes of STS's clock (`sts-request-verifier.ts`);
 * - the role's trust policy ({@link LocalSts.trustRole}) names the caller, else `AccessDenied`
 *   (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-trust-policy).
 *   A role with no trust set trusts nobody, as a role that does not exist.
 *
 * Reached through the SDK's standard `AWS_ENDPOINT_URL_STS`. Listens on 127.0.0.1 only.
 * Protocol reference: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BodyTooLargeError, readBody } from './http-io.js';
import { isLoopbackHost, misdirectedMessage } from './loopback-host.js';
import { verifyStsRequest, type StsCallerSecret } from './sts-request-verifier.js';

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

/**
 * One authenticated `AssumeRole` request as received (recorded whether it succeeded, was refused
 * or was failed on purpose). A request that fails authentication is not recorded: it never reaches
 * the operation.
 */
export interface AssumeRoleCall {
  roleArn: string;
  roleSessionName: string;
  policy: string | undefined;
  durationSeconds: number;
  /** The authenticated caller's access key id. */
  callerAccessKeyId: string;
  at: Date;
}

/** The credentials of a principal that may call {@link LocalSts} (an IAM user's or a role's). */
export interface StsCallerCredentials {
  /** `AKIA…` or `ASIA…` style: 16 to 128 upper-case letters and digits. */
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /**
   * Temporary credentials (a Lambda execution role's): every request must then carry this token.
   * @default - long-term credentials: a request must carry no token
   */
  readonly sessionToken?: string | undefined;
  /**
   * The caller's ARN, named in `AccessDenied` messages.
   * @default - the access key id
   */
  readonly arn?: string | undefined;
}

/** The failure kinds {@link LocalSts.failNext} can inject. */
export type StsFailureKind = 'throttle' | 'error';

/** Options of {@link LocalSts}. */
export interface LocalStsOptions {
  /**
   * STS's clock: session expiry, and the 15-minute window around each request's `X-Amz-Date`.
   * Answers carry it in their `Date` header, from which the AWS SDK corrects its own clock.
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
const ACCESS_KEY_ID = /^[A-Z0-9]{16,128}$/;
// Far above any AssumeRole the SDK sends (a 2048-character policy, 50 tags), so only abuse hits it.
const MAX_BODY_BYTES = 64 * 1024;

/** A principal that can sign requests: a registered caller, or a session this STS issued. */
interface Caller extends StsCallerSecret {
  readonly accessKeyId: string;
  /** Named in `AccessDenied` messages. */
  readonly arn: string;
  /** For a session: the role it is a session of (a trust policy may name the role). */
  readonly roleArn?: string | undefined;
}

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

/** The assumed-role ARN of a session, as STS reports it. */
function assumedRoleArn(roleArn: string, roleSessionName: string): string {
  const [, partition = 'aws', account = '000000000000', roleName = 'role'] = ROLE_ARN.exec(roleArn) ?? [];
  return `arn:${partition}:sts::${account}:assumed-role/${roleName}/${roleSessionName}`;
}

/**
 * The loopback STS. `start()` it, point `AWS_ENDPOINT_URL_STS` at the URL it resolves, `stop()` it
 * when done.
 */
export class LocalSts {
  readonly #now: () => Date;
  readonly #calls: AssumeRoleCall[] = [];
  readonly #sessions = new Map<string, StsSession>();
  readonly #callers = new Map<string, Caller>();
  readonly #trust = new Map<string, ReadonlySet<string>>();
  readonly #failures: StsFailureKind[] = [];
  readonly #holds: { readonly released: Promise<void>; readonly release: () => void }[] = [];
  #server: Server | undefined;

  /** @param options see {@link LocalStsOptions} */
  constructor(options: LocalStsOptions = {}) {
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Every authenticated `AssumeRole` request received, oldest first, including the ones refused or
   * failed on purpose.
   */
  get calls(): readonly AssumeRoleCall[] {
    return this.#calls;
  }

  /** The session issued under `accessKeyId`, or `undefined` when this STS never issued it. */
  session(accessKeyId: string): StsSession | undefined {
    return this.#sessions.get(accessKeyId);
  }

  /**
   * Registers a principal that may call this STS: requests signed with its secret (and carrying its
   * session token, if it has one) are authenticated. Registering the same access key id again
   * replaces its secret. Whether it may assume a role is up to {@link LocalSts.trustRole}.
   * @throws TypeError for a malformed access key id, an empty secret or token
   */
  registerCaller(credentials: StsCallerCredentials): void {
    const { accessKeyId, secretAccessKey, sessionToken, arn } = credentials;
    if (typeof accessKeyId !== 'string' || !ACCESS_KEY_ID.test(accessKeyId)) {
      throw new TypeError(`accessKeyId must be 16 to 128 upper-case letters and digits (received ${JSON.stringify(accessKeyId)})`);
    }
    if (typeof secretAccessKey !== 'string' || secretAccessKey === '') throw new TypeError(`secretAccessKey of ${accessKeyId} must be a non-empty string`);
    if (sessionToken !== undefined && (typeof sessionToken !== 'string' || sessionToken === '')) {
      throw new TypeError(`sessionToken of ${accessKeyId} must be a non-empty string or undefined`);
    }
    if (this.#sessions.has(accessKeyId)) throw new TypeError(`${accessKeyId} is a session this STS issued; register another access key id`);
    this.#callers.set(accessKeyId, { accessKeyId, secretAccessKey, sessionToken, arn: arn ?? accessKeyId });
  }

  /**
   * Sets a role's trust policy: who may assume it. Each principal is the access key id of a
   * registered caller, or a role ARN (any session of that role, as when a trust policy names a
   * role). Replaces the role's previous trust; an empty list trusts nobody.
   * @throws TypeError for a malformed role ARN or principal
   */
  trustRole(roleArn: string, principals: readonly string[]): void {
    if (typeof roleArn !== 'string' || !ROLE_ARN.test(roleArn)) throw new TypeError(`roleArn must be an IAM role ARN (received ${JSON.stringify(roleArn)})`);
    if (!Array.isArray(principals)) throw new TypeError(`the principals trusted by ${roleArn} must be an array (received ${JSON.stringify(principals)})`);
    for (const principal of principals as readonly unknown[]) {
      if (typeof principal !== 'string' || !(ACCESS_KEY_ID.test(principal) || ROLE_ARN.test(principal))) {
        throw new TypeError(`a principal trusted by ${roleArn} must be an access key id or a role ARN (received ${JSON.stringify(principal)})`);
      }
    }
    this.#trust.set(roleArn, new Set(principals));
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
   * Makes STS slow on demand: the next authenticated `AssumeRole` request is recorded (and its session issued) on
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
      // As the dev server: no answer for another site's name (DNS rebinding), see loopback-host.ts.
      const ownPort = (server.address() as AddressInfo | null)?.port ?? 0;
      if (!isLoopbackHost(request.headers.host, ownPort)) {
        const body = misdirectedMessage(ownPort);
        response.writeHead(421, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
        return;
      }
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

  /** The principal behind an access key id: a registered caller, or a session this STS issued. */
  #caller(accessKeyId: string): Caller | undefined {
    const registered = this.#callers.get(accessKeyId);
    if (registered !== undefined) return registered;
    const session = this.#sessions.get(accessKeyId);
    return session === undefined
      ? undefined
      : { ...session, arn: assumedRoleArn(session.roleArn, session.roleSessionName) };
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    try {
      const body = await readBody(request, MAX_BODY_BYTES).catch((error: unknown) => {
        if (error instanceof BodyTooLargeError) throw new StsFault(413, 'RequestEntityTooLarge', `The request body is larger than ${MAX_BODY_BYTES} bytes`);
        throw error;
      });
      const url = request.url ?? '/';
      // As STS: authentication first, whatever the action.
      const verdict = await verifyStsRequest(
        { method: request.method ?? 'GET', url, headers: request.headers, body },
        { lookup: (accessKeyId) => this.#caller(accessKeyId), now: this.#now },
      );
      if (!verdict.ok) throw new StsFault(verdict.status, verdict.code, verdict.message);
      const caller = this.#caller(verdict.accessKeyId);
      if (caller === undefined) throw new StsFault(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
      const params = new URLSearchParams(request.method === 'POST' ? body.toString('utf8') : url.replace(/^[^?]*\??/, ''));
      const action = params.get('Action');
      if (action !== 'AssumeRole') {
        throw new StsFault(400, 'InvalidAction', `Could not find operation ${String(action)} for version 2011-06-15`);
      }
      const hold = this.#holds.shift();
      let session: StsSession;
      try {
        session = this.#assumeRole(params, caller);
      } finally {
        await hold?.released;
      }
      this.#reply(response, 200, this.#successXml(session, requestId), requestId);
    } catch (error) {
      const fault = error instanceof StsFault ? error : new StsFault(500, 'InternalFailure', 'An internal error occurred', 'Receiver');
      const faultXml =
        `<ErrorResponse xmlns="${STS_NAMESPACE}"><Error><Type>${fault.type}</Type><Code>${xml(fault.code)}</Code>` +
        `<Message>${xml(fault.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
      this.#reply(response, fault.status, faultXml, requestId);
    }
  }

  #assumeRole(params: URLSearchParams, caller: Caller): StsSession {
    const roleArn = params.get('RoleArn') ?? '';
    const roleSessionName = params.get('RoleSessionName') ?? '';
    const policy = params.get('Policy') ?? undefined;
    const durationText = params.get('DurationSeconds');
    const durationSeconds = durationText === null ? DEFAULT_DURATION : Number(durationText);
    const now = this.#now();
    this.#calls.push({ roleArn, roleSessionName, policy, durationSeconds, callerAccessKeyId: caller.accessKeyId, at: now });

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
    // After validation, as STS: a malformed request is a ValidationError whoever sends it.
    const trusted = this.#trust.get(roleArn);
    if (trusted === undefined || !(trusted.has(caller.accessKeyId) || (caller.roleArn !== undefined && trusted.has(caller.roleArn)))) {
      throw new StsFault(403, 'AccessDenied', `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
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
    const packedPercent = session.policy === undefined ? '' : `<PackedPolicySize>${Math.ceil((session.policy.length / MAX_POLICY_CHARS) * 100)}</PackedPolicySize>`;
    return (
      `<AssumeRoleResponse xmlns="${STS_NAMESPACE}"><AssumeRoleResult>` +
      `<AssumedRoleUser><AssumedRoleId>AROA${randomKeyPart(17)}:${xml(session.roleSessionName)}</AssumedRoleId>` +
      `<Arn>${xml(assumedRoleArn(session.roleArn, session.roleSessionName))}</Arn></AssumedRoleUser>` +
      `<Credentials><AccessKeyId>${session.accessKeyId}</AccessKeyId><SecretAccessKey>${xml(session.secretAccessKey)}</SecretAccessKey>` +
      `<SessionToken>${xml(session.sessionToken)}</SessionToken><Expiration>${session.expiration.toISOString()}</Expiration></Credentials>` +
      `${packedPercent}</AssumeRoleResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></AssumeRoleResponse>`
    );
  }

  #reply(response: ServerResponse, status: number, body: string, requestId: string): void {
    // `Date` is STS's clock, as on AWS: the SDK corrects its clock skew from it.
    response.writeHead(status, {
      'content-type': 'text/xml',
      'x-amzn-requestid': requestId,
      date: this.#now().toUTCString(),
      'content-length': Buffer.byteLength(body),
    });
    response.end(body);
  }
}
