/**
 * One structured JSON line per request, written straight to stdout so Lambda's JSON log format
 * keeps it as it is. The record is built from named fields only: a secret key, session token,
 * signature or signed URL has no field to travel in, and errors contribute their `name`, their
 * log-safe message and their cause's `name`/`code`/HTTP status, never the cause's message (SDK
 * messages can echo request details).
 */
import type { CredentialsLookup } from './credentials.js';
import { VendingFailure } from './errors.js';
import { createIsoFormatter } from './iso-time.js';
import { createCoalescingWriter } from './line-writer.js';

/** Writes one line (without its newline). */
export type LogWriter = (line: string) => void;

/** What one request log line holds. */
export interface RequestLogRecord {
  /** Lambda's request id. */
  readonly requestId: string | undefined;
  /** API Gateway's request id, to join with its access log. */
  readonly apiRequestId: string | undefined;
  /**
   * The caller's principal, when known: the validated `sub` in Cognito mode, the principal ID
   * (`principalIdFor(issuer, sub)`) in issuer mode, never the provider's raw sub.
   */
  readonly sub: string | undefined;
  /** The client ID vended (or asked for), when known. */
  readonly clientId: string | undefined;
  /** `ok`, or the public error code. */
  readonly outcome: string;
  /** The HTTP status answered. */
  readonly status: number;
  /** Time spent in the handler, in milliseconds. */
  readonly durationMs: number;
  /** Whether the credentials came from the session cache; `undefined` when none were needed. */
  readonly cache: CredentialsLookup | undefined;
  /** How many eligible groups the caller was granted, when they were read (`${group}` templates). */
  readonly groups?: number | undefined;
  /** How many of the caller's groups were left out as ineligible (unsafe name, wrong prefix). */
  readonly ineligibleGroups?: number | undefined;
  /**
   * `true` when the verified token had Entra ID's groups overage form (too many groups to list: no
   * groups claim, `_claim_names` naming it), so the caller was granted no groups.
   */
  readonly groupsOverage?: boolean | undefined;
  /** The error that decided the outcome, if any. */
  readonly error?: unknown;
}

/** Logs one request. */
export type RequestLogger = (record: RequestLogRecord) => void;

/**
 * Lambda's default: stdout, where its JSON log format keeps each line as it is (EMF lines included).
 * A request's lines leave in one write (see `line-writer.ts`).
 */
export const stdoutWriter: LogWriter = createCoalescingWriter((chunk) => {
  process.stdout.write(chunk);
});

/** Returns a {@link RequestLogger} writing JSON lines through `write`. */
export function createRequestLogger(write: LogWriter = stdoutWriter): RequestLogger {
  const iso = createIsoFormatter();
  return (record) => {
    // One flat literal with a fixed shape (undefined fields are left out by JSON.stringify): this runs
    // on every request, and spreads or rest patterns would double its cost.
    write(
      JSON.stringify({
        timestamp: iso(Date.now()),
        level: record.status >= 500 ? 'ERROR' : record.status >= 400 ? 'WARN' : 'INFO',
        message: 'mqtt-url',
        requestId: record.requestId,
        apiRequestId: record.apiRequestId,
        sub: record.sub,
        clientId: record.clientId,
        outcome: record.outcome,
        status: record.status,
        cache: record.cache,
        groups: record.groups,
        ineligibleGroups: record.ineligibleGroups,
        groupsOverage: record.groupsOverage,
        durationMs: Math.round(record.durationMs * 1000) / 1000,
        error: record.error === undefined ? undefined : describeError(record.error),
      }),
    );
  };
}

interface LoggedError {
  name: string;
  message?: string;
  cause?: { name: string; code?: string; httpStatusCode?: number };
}

/** The log-safe description of an error; only our own errors' messages are trusted. */
export function describeError(error: unknown): LoggedError {
  if (!(error instanceof Error)) return { name: typeof error };
  const logged: LoggedError = { name: error.name };
  if (error instanceof VendingFailure) logged.message = error.message;
  const cause: unknown = error.cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    const httpStatusCode = (cause as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode;
    logged.cause = {
      name: cause.name,
      ...(typeof code === 'string' ? { code } : {}),
      ...(typeof httpStatusCode === 'number' ? { httpStatusCode } : {}),
    };
  }
  return logged;
}
