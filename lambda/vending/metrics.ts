/**
 * Metrics as CloudWatch Embedded Metric Format (EMF) lines on stdout: Lambda ships stdout to CloudWatch
 * Logs, which extracts the metrics, so metrics cost no network call and no extra permission.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Lambda.html
 *
 * Each metrics line is its own record, apart from the request log line: it holds the metric values
 * and the dimensions only, never a `sub`, a client ID, a group or anything secret, so no per-user
 * value can become a dimension (each distinct value would be a new metric, billed) or sit beside the
 * numbers. The dimensions are a fixed, small set:
 * - `service`: which deployment (`METRICS_SERVICE`), so two stacks in one account stay apart;
 * - `outcome`: on `Vends` only, `ok` or one of the fixed public error codes (`response.ts`).
 *
 * The lines are written by hand from constant parts: every value spliced in is a number, a fixed
 * outcome code, or the validated service name, so no escaping is needed and the hot path stays cheap.
 */
import { METRICS_SERVICE_PATTERN } from './config.js';
import type { CredentialsLookup, StsObservation } from './credentials.js';

/** The CloudWatch namespace of every metric. */
export const METRICS_NAMESPACE = 'AwsSignv4Mqtt';

/** The metric names, as the construct's alarms and dashboard use them. */
export const METRIC_NAMES = Object.freeze({
  /** One per request, dimension `outcome`. */
  vends: 'Vends',
  /** Handler time per request, milliseconds. */
  vendLatency: 'VendLatency',
  /** 1 when the caller's session came from the cache. */
  sessionCacheHits: 'SessionCacheHits',
  /** 1 when the request waited for an STS session (started or joined a call). */
  sessionCacheMisses: 'SessionCacheMisses',
  /** One per STS `AssumeRole` call, when it settles. */
  stsCalls: 'StsCalls',
  /** STS call time, milliseconds. */
  stsLatency: 'StsLatency',
  /** 1 when STS throttled the call. */
  stsThrottles: 'StsThrottles',
  /** 1 when the call failed for any other reason. */
  stsFailures: 'StsFailures',
});

/** The dimension naming the deployment. */
export const SERVICE_DIMENSION = 'service';
/** The dimension naming a vend's outcome. */
export const OUTCOME_DIMENSION = 'outcome';


/** Writes the metrics lines of one deployment. */
export interface MetricsWriter {
  /** One request: its outcome code, handler time and how its credentials were found. */
  vend(outcome: string, durationMs: number, cache: CredentialsLookup | undefined, atMs: number): void;
  /** One STS call, when it settles (whether or not a request still waits for it). */
  stsCall(observation: StsObservation, atMs: number): void;
}

const directive = (dimensions: readonly string[], metrics: ReadonlyArray<readonly [string, string]>): string =>
  JSON.stringify({ Namespace: METRICS_NAMESPACE, Dimensions: [dimensions], Metrics: metrics.map(([Name, Unit]) => ({ Name, Unit })) });

const VEND_DIRECTIVES =
  `[${directive([SERVICE_DIMENSION, OUTCOME_DIMENSION], [[METRIC_NAMES.vends, 'Count']])},` +
  `${directive([SERVICE_DIMENSION], [[METRIC_NAMES.vendLatency, 'Milliseconds'], [METRIC_NAMES.sessionCacheHits, 'Count'], [METRIC_NAMES.sessionCacheMisses, 'Count']])}]`;
const STS_DIRECTIVES = `[${directive([SERVICE_DIMENSION], [[METRIC_NAMES.stsCalls, 'Count'], [METRIC_NAMES.stsLatency, 'Milliseconds'], [METRIC_NAMES.stsThrottles, 'Count'], [METRIC_NAMES.stsFailures, 'Count']])}]`;

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

/**
 * @param service the `service` dimension's value, matching {@link METRICS_SERVICE_PATTERN}
 * @param write writes one line (without its newline)
 */
export function createMetricsWriter(service: string, write: (line: string) => void): MetricsWriter {
  if (!METRICS_SERVICE_PATTERN.test(service)) throw new RangeError(`metrics service name must match ${String(METRICS_SERVICE_PATTERN)} (received ${JSON.stringify(service)})`);
  return {
    vend(outcome, durationMs, cache, atMs) {
      write(
        `{"_aws":{"Timestamp":${atMs},"CloudWatchMetrics":${VEND_DIRECTIVES}},"message":"mqtt-url-metrics","${SERVICE_DIMENSION}":"${service}","${OUTCOME_DIMENSION}":"${outcome}",` +
          `"${METRIC_NAMES.vends}":1,"${METRIC_NAMES.vendLatency}":${round(durationMs)},` +
          `"${METRIC_NAMES.sessionCacheHits}":${cache === 'hit' ? 1 : 0},"${METRIC_NAMES.sessionCacheMisses}":${cache === 'miss' ? 1 : 0}}`,
      );
    },
    stsCall({ outcome, durationMs }, atMs) {
      write(
        `{"_aws":{"Timestamp":${atMs},"CloudWatchMetrics":${STS_DIRECTIVES}},"message":"sts-assume-role-metrics","${SERVICE_DIMENSION}":"${service}","stsOutcome":"${outcome}",` +
          `"${METRIC_NAMES.stsCalls}":1,"${METRIC_NAMES.stsLatency}":${round(durationMs)},` +
          `"${METRIC_NAMES.stsThrottles}":${outcome === 'throttled' ? 1 : 0},"${METRIC_NAMES.stsFailures}":${outcome === 'failed' ? 1 : 0}}`,
      );
    },
  };
}
