/**
 * Alarms and a dashboard for one `MqttUrlVending`: the API's 5xx ratio, Lambda errors, throttles and
 * p99 duration, and STS failures and throttles, from AWS's own metrics and the function's EMF metrics
 * (`lambda/vending/metrics.ts`, namespace `AwsSignv4Mqtt`, dimension `service`). What each alarm means
 * and what to do is the runbook, docs/runbook.md.
 */
import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IAlarmAction,
  type IMetric,
  MathExpression,
  Metric,
  SingleValueWidget,
  Stats,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { METRIC_NAMES, METRICS_NAMESPACE, OUTCOME_DIMENSION, SERVICE_DIMENSION } from '../lambda/vending/metrics.js';
import { VEND_OUTCOMES } from '../lambda/vending/response.js';

/** Alarm thresholds; each alarm looks at 5-minute periods. */
export interface VendingAlarmThresholds {
  /**
   * Percentage of API requests answered 5xx (the function's 500 and 503, integration failures).
   * @default 5
   */
  readonly api5xxPercent?: number;
  /**
   * Lambda errors (crashes, timeouts) in 5 minutes; the handler answers every expected failure itself.
   * @default 1
   */
  readonly lambdaErrors?: number;
  /**
   * Lambda throttles (the account's or the function's concurrency exhausted) in 5 minutes.
   * @default 1
   */
  readonly lambdaThrottles?: number;
  /**
   * Failed STS AssumeRole calls (other than throttling) in 5 minutes.
   * @default 5
   */
  readonly stsFailures?: number;
  /**
   * Throttled STS AssumeRole calls in 5 minutes.
   * @default 1
   */
  readonly stsThrottles?: number;
  /**
   * p99 Lambda duration in milliseconds, three 5-minute periods in a row (a warm vend takes
   * microseconds; a cold start plus an STS call well under a second).
   * @default 3000
   */
  readonly p99DurationMs?: number;
}

/** Props of {@link VendingMonitoring}. */
export interface VendingMonitoringProps {
  /** The vending HTTP API. */
  readonly httpApi: HttpApi;
  /** The vending function. */
  readonly handler: IFunction;
  /** The `service` dimension the function's metrics carry (`METRICS_SERVICE`). */
  readonly service: string;
  /** Whether to create the alarms. */
  readonly alarms: boolean;
  /** Where alarms (and their return to OK) are sent. */
  readonly alarmActions: readonly IAlarmAction[];
  /** Thresholds; the defaults are in {@link VendingAlarmThresholds}. */
  readonly thresholds: Required<VendingAlarmThresholds>;
  /** Whether to create the dashboard. */
  readonly dashboard: boolean;
}

/** The default {@link VendingAlarmThresholds}. */
export const DEFAULT_ALARM_THRESHOLDS: Readonly<Required<VendingAlarmThresholds>> = Object.freeze({
  api5xxPercent: 5,
  lambdaErrors: 1,
  lambdaThrottles: 1,
  stsFailures: 5,
  stsThrottles: 1,
  p99DurationMs: 3000,
});

const PERIOD = Duration.minutes(5);

/** The alarms of one deployment, by what they watch. */
export interface VendingAlarms {
  readonly api5xxRatio: Alarm;
  readonly lambdaErrors: Alarm;
  readonly lambdaThrottles: Alarm;
  readonly stsFailures: Alarm;
  readonly stsThrottles: Alarm;
  readonly p99Duration: Alarm;
}

/** See the module comment. */
export class VendingMonitoring extends Construct {
  /** The alarms; `undefined` when turned off. */
  readonly alarms: VendingAlarms | undefined;
  /** The dashboard; `undefined` when turned off. */
  readonly dashboard: Dashboard | undefined;

  constructor(scope: Construct, id: string, props: VendingMonitoringProps) {
    super(scope, id);
    const custom = (metricName: string, statistic: string, dimensions: Record<string, string> = {}): Metric =>
      new Metric({ namespace: METRICS_NAMESPACE, metricName, statistic, period: PERIOD, dimensionsMap: { [SERVICE_DIMENSION]: props.service, ...dimensions } });
    const requests = props.httpApi.metricCount({ period: PERIOD, statistic: Stats.SUM });
    const serverErrors = props.httpApi.metricServerError({ period: PERIOD, statistic: Stats.SUM });
    const clientErrors = props.httpApi.metricClientError({ period: PERIOD, statistic: Stats.SUM });
    const api5xxRatio = new MathExpression({
      expression: 'IF(requests > 0, 100 * errors / requests, 0)',
      usingMetrics: { requests, errors: serverErrors },
      period: PERIOD,
      label: 'API 5xx (% of requests)',
    });
    const stsFailures = custom(METRIC_NAMES.stsFailures, Stats.SUM);
    const stsThrottles = custom(METRIC_NAMES.stsThrottles, Stats.SUM);
    const duration = props.handler.metricDuration({ period: PERIOD, statistic: Stats.p(99) });

    this.alarms = props.alarms
      ? {
          api5xxRatio: this.#alarm('Api5xxRatio', api5xxRatio, props.thresholds.api5xxPercent, 1, 'More than the threshold percentage of GET /mqtt-url requests answered 5xx. Runbook: docs/runbook.md#api-5xx-ratio', props),
          lambdaErrors: this.#alarm('LambdaErrors', props.handler.metricErrors({ period: PERIOD, statistic: Stats.SUM }), props.thresholds.lambdaErrors, 1, 'The vending function crashed or timed out. Runbook: docs/runbook.md#lambda-errors', props),
          lambdaThrottles: this.#alarm('LambdaThrottles', props.handler.metricThrottles({ period: PERIOD, statistic: Stats.SUM }), props.thresholds.lambdaThrottles, 1, 'Lambda refused invocations for lack of concurrency. Runbook: docs/runbook.md#lambda-throttles', props),
          stsFailures: this.#alarm('StsFailures', stsFailures, props.thresholds.stsFailures, 1, 'STS AssumeRole calls failed (not throttling). Runbook: docs/runbook.md#sts-failures', props),
          stsThrottles: this.#alarm('StsThrottles', stsThrottles, props.thresholds.stsThrottles, 1, 'STS throttled AssumeRole calls. Runbook: docs/runbook.md#sts-throttles', props),
          p99Duration: this.#alarm('P99Duration', duration, props.thresholds.p99DurationMs, 3, 'The vending function is slow at p99. Runbook: docs/runbook.md#p99-duration', props),
        }
      : undefined;

    if (!props.dashboard) {
      this.dashboard = undefined;
      return;
    }
    const hits = custom(METRIC_NAMES.sessionCacheHits, Stats.SUM);
    const misses = custom(METRIC_NAMES.sessionCacheMisses, Stats.SUM);
    const vends = (outcome: string) => custom(METRIC_NAMES.vends, Stats.SUM, { [OUTCOME_DIMENSION]: outcome }).with({ label: outcome });
    const latency = (statistic: string) => custom(METRIC_NAMES.vendLatency, statistic).with({ label: `handler ${statistic}` });
    // No fixed physical name (CDK derives one); the stack and construct ids make it recognisable.
    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(
      new TextWidget({ markdown: `# MQTT URL vending: ${props.service}\nWhat each alarm means and what to do: docs/runbook.md (runbook).`, width: 24, height: 2 }),
      new GraphWidget({ title: 'Vends (ok)', left: [vends('ok')], width: 8 }),
      new GraphWidget({ title: 'Errors by class', left: VEND_OUTCOMES.filter((outcome) => outcome !== 'ok').map(vends), stacked: true, width: 8 }),
      new GraphWidget({
        title: 'Latency',
        left: [latency('p50'), latency('p90'), latency('p99')],
        right: [props.handler.metricDuration({ period: PERIOD, statistic: Stats.p(99) }).with({ label: 'Lambda p99 duration' })],
        width: 8,
      }),
      new GraphWidget({
        title: 'Session cache hit ratio (%)',
        left: [new MathExpression({ expression: 'IF(hits + misses > 0, 100 * hits / (hits + misses), 100)', usingMetrics: { hits, misses }, period: PERIOD, label: 'hit ratio' })],
        leftYAxis: { min: 0, max: 100 },
        width: 8,
      }),
      new GraphWidget({
        title: 'STS AssumeRole',
        left: [custom(METRIC_NAMES.stsCalls, Stats.SUM).with({ label: 'calls' }), stsThrottles.with({ label: 'throttles' }), stsFailures.with({ label: 'failures' })],
        right: [custom(METRIC_NAMES.stsLatency, Stats.p(50)).with({ label: 'p50 ms' }), custom(METRIC_NAMES.stsLatency, Stats.p(99)).with({ label: 'p99 ms' })],
        width: 8,
      }),
      new GraphWidget({
        title: 'HTTP API (stage throttling answers 429, counted in 4xx)',
        left: [requests.with({ label: 'requests' }), clientErrors.with({ label: '4xx' }), serverErrors.with({ label: '5xx' }), vends('rate_limited').with({ label: 'per-user 429 (rate_limited)' })],
        width: 8,
      }),
      new SingleValueWidget({ title: 'Lambda', metrics: [props.handler.metricInvocations({ period: PERIOD }), props.handler.metricErrors({ period: PERIOD }), props.handler.metricThrottles({ period: PERIOD })], width: 24 }),
    );
  }

  #alarm(id: string, metric: IMetric, threshold: number, evaluationPeriods: number, description: string, props: VendingMonitoringProps): Alarm {
    const alarm = new Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No traffic is not a failure.
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    for (const action of props.alarmActions) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
    return alarm;
  }
}
