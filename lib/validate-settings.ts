/**
 * Validators shared by the construct (typed props) and the stack (CDK context). Each returns the
 * value it accepts or throws {@link InvalidVendingConfigError} naming the setting and the value.
 */
import { Duration, Token } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { isLoopbackHostname, parseHost } from '../lambda/signing/validate.js';
import { InvalidVendingConfigError, describeReceived } from './config-error.js';

/** Validates a whole number of seconds in `min..max` given as a `Duration`; returns the seconds. */
export function validateDurationSeconds(setting: string, value: Duration, min: number, max: number): number {
  if (!(value instanceof Duration) || Token.isUnresolved(value)) {
    throw new InvalidVendingConfigError(setting, 'must be a Duration known at synth time', describeReceived(value));
  }
  let seconds: number;
  try {
    seconds = value.toSeconds();
  } catch (cause) {
    // `toSeconds()` throws for fractions such as Duration.millis(1500).
    throw new InvalidVendingConfigError(setting, 'must be a whole number of seconds', value.toHumanString(), { cause });
  }
  if (!Number.isInteger(seconds) || seconds < min || seconds > max) {
    throw new InvalidVendingConfigError(setting, `must be a whole number of seconds in ${min}..${max}`, `${seconds} seconds`);
  }
  return seconds;
}

/** Validates an integer in `min..max`. */
export function validateInteger(setting: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidVendingConfigError(setting, `must be an integer in ${min}..${max}`, describeReceived(value));
  }
  return value;
}

/** Validates a finite number in `min..max` (fractions allowed). */
export function validateNumberInRange(setting: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new InvalidVendingConfigError(setting, `must be a number in ${min}..${max}`, describeReceived(value));
  }
  return value;
}

/** Validates a boolean. */
export function validateBoolean(setting: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new InvalidVendingConfigError(setting, 'must be true or false', describeReceived(value));
  return value;
}

/** Validates a finite number greater than zero. */
export function validatePositiveNumber(setting: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidVendingConfigError(setting, 'must be a number greater than 0', describeReceived(value));
  }
  return value;
}

const RETENTION_VALUES: ReadonlySet<number> = new Set(
  Object.values(RetentionDays).filter((days): days is RetentionDays => typeof days === 'number' && days !== RetentionDays.INFINITE),
);

/** Validates a CloudWatch Logs retention: one of the values CloudWatch accepts, never "forever". */
export function validateRetention(setting: string, value: unknown): RetentionDays {
  if (typeof value !== 'number' || !RETENTION_VALUES.has(value)) {
    const allowed = [...RETENTION_VALUES].sort((a, b) => a - b).join(', ');
    throw new InvalidVendingConfigError(setting, `must be a CloudWatch Logs retention in days, one of ${allowed}`, describeReceived(value));
  }
  return value as RetentionDays;
}

/**
 * Validates a CORS origin: `https://host[:port]`, or plain `http` for loopback development hosts
 * (`localhost`, `127.0.0.1`, `[::1]`) only. `*` is refused: the API hands out credentials-bearing
 * URLs, so the operator must list the web origins that may call it. No path, no trailing slash —
 * browsers send the bare origin and API Gateway compares it literally.
 */
export function validateOrigin(setting: string, value: unknown): string {
  const fail = (requirement: string): never => {
    throw new InvalidVendingConfigError(setting, requirement, describeReceived(value));
  };
  if (typeof value !== 'string' || value.length === 0) return fail('must be an origin such as https://app.example.com');
  if (value.includes('*')) return fail('must name an origin: wildcards are not allowed (list each web origin that may call the API)');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail('must be an origin such as https://app.example.com');
  }
  if (url.origin !== value) {
    return fail(`must be a bare origin (scheme://host[:port], lowercase, no path or trailing slash), e.g. ${url.origin}`);
  }
  if (url.protocol === 'https:') return value;
  if (url.protocol === 'http:' && isLoopbackHostname(url.hostname)) return value;
  return fail('must use https (plain http is allowed only for localhost, 127.0.0.1 and [::1])');
}

/**
 * Validates a given AWS IoT data endpoint: a bare DNS host name (no scheme, port or path), not a
 * loopback address — a deployed Lambda cannot reach the developer's machine.
 */
export function validateIotEndpoint(setting: string, value: unknown): string {
  let parsed: ReturnType<typeof parseHost>;
  try {
    parsed = parseHost(value, setting);
  } catch (cause) {
    throw new InvalidVendingConfigError(setting, 'must be a bare host name such as abc123-ats.iot.eu-west-1.amazonaws.com', describeReceived(value), { cause });
  }
  if (parsed.port !== undefined || parsed.hostname.startsWith('[') || /^\d+(\.\d+){3}$/.test(parsed.hostname)) {
    throw new InvalidVendingConfigError(setting, 'must be a DNS host name without a port, such as abc123-ats.iot.eu-west-1.amazonaws.com', describeReceived(value));
  }
  if (isLoopbackHostname(parsed.hostname)) {
    throw new InvalidVendingConfigError(setting, 'must be a reachable AWS IoT endpoint, not a loopback host (use `npm run dev` for local work)', describeReceived(value));
  }
  return parsed.hostname;
}
