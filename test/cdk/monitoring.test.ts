/**
 * Operations in the template: each alarm with its metric, threshold and action; the dashboard; alarms
 * and dashboard can be turned off; fairness settings reach the function; cdk-nag stays clean.
 */
import { rmSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type VendingApp, createApp } from '../../lib/create-app.js';
import { MqttUrlVending } from '../../lib/mqtt-url-vending.js';
import { cdkJsonContext, type CfnResourceJson, onlyResource, tempOutdir } from './template-helpers.js';

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:ops-alerts';
const SERVICE = 'VendingOps/MqttUrlVending';

describe('alarms and dashboard (from context, with an SNS topic)', () => {
  const outdir = tempOutdir('ops');
  let built: VendingApp;
  let template: Template;

  beforeAll(() => {
    built = createApp({ outdir, context: cdkJsonContext({ stackName: 'VendingOps', alarmTopicArn: TOPIC_ARN, userRatePerSecond: '2', userRateBurst: '10' }) });
    built.app.synth(); // fails on any unacknowledged cdk-nag finding
    template = Template.fromStack(built.stack);
  });

  afterAll(() => {
    rmSync(outdir, { recursive: true, force: true });
  });

  const alarm = (description: RegExp): CfnResourceJson => {
    const found = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((resource) => description.test(String((resource as CfnResourceJson).Properties?.['AlarmDescription'])));
    expect(found, String(description)).toHaveLength(1);
    return found[0] as CfnResourceJson;
  };

  it('stays cdk-nag clean', () => {
    expect(built.nag.validateScope(built.app).violations.map((v) => v.ruleName)).toEqual([]);
  });

  it('creates six alarms, each notifying the topic when it fires and when it recovers', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 6);
    for (const resource of Object.values(template.findResources('AWS::CloudWatch::Alarm')) as CfnResourceJson[]) {
      expect(resource.Properties).toMatchObject({ AlarmActions: [TOPIC_ARN], OKActions: [TOPIC_ARN], TreatMissingData: 'notBreaching', ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
      expect(String(resource.Properties?.['AlarmDescription'])).toMatch(/Runbook: docs\/runbook\.md#/);
    }
  });

  it('watches the API 5xx ratio: 5 % of requests over 5 minutes, by metric math on the API metrics', () => {
    const props = alarm(/answered 5xx/).Properties ?? {};
    expect(props['Threshold']).toBe(5);
    const metrics = props['Metrics'] as { Id: string; Expression?: string; MetricStat?: { Metric: { MetricName: string; Namespace: string }; Period: number; Stat: string } }[];
    expect(metrics.find((metric) => metric.Expression !== undefined)?.Expression).toBe('IF(requests > 0, 100 * errors / requests, 0)');
    expect(metrics.filter((metric) => metric.MetricStat !== undefined).map((metric) => [metric.Id, metric.MetricStat?.Metric.Namespace, metric.MetricStat?.Metric.MetricName, metric.MetricStat?.Stat, metric.MetricStat?.Period]).sort()).toEqual([
      ['errors', 'AWS/ApiGateway', '5xx', 'Sum', 300],
      ['requests', 'AWS/ApiGateway', 'Count', 'Sum', 300],
    ]);
  });

  it.each([
    [/crashed or timed out/, 'AWS/Lambda', 'Errors', 'Sum', 1, 1],
    [/lack of concurrency/, 'AWS/Lambda', 'Throttles', 'Sum', 1, 1],
    [/slow at p99/, 'AWS/Lambda', 'Duration', 'p99', 3000, 3],
    [/AssumeRole calls failed/, 'AwsSignv4Mqtt', 'StsFailures', 'Sum', 5, 1],
    [/STS throttled/, 'AwsSignv4Mqtt', 'StsThrottles', 'Sum', 1, 1],
  ])('watches %s: %s %s (%s) at %s over %s period(s) of 5 minutes', (description, namespace, metricName, statistic, threshold, periods) => {
    const props = alarm(description).Properties ?? {};
    expect(props).toMatchObject({ Namespace: namespace, MetricName: metricName, Threshold: threshold, EvaluationPeriods: periods, Period: 300 });
    expect(props['Statistic'] ?? props['ExtendedStatistic']).toBe(statistic);
    if (namespace === 'AwsSignv4Mqtt') expect(props['Dimensions']).toEqual([{ Name: 'service', Value: SERVICE }]);
  });

  it('passes the fairness settings and the metrics service to the function', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Environment: { Variables: Match.objectLike({ USER_RATE_PER_SECOND: '2', USER_RATE_BURST: '10', METRICS_SERVICE: SERVICE }) },
    });
  });

  it('creates a dashboard with vends, errors by class, latency, cache hit ratio, STS and API widgets on the same service', () => {
    const [, dashboard] = onlyResource(template, 'AWS::CloudWatch::Dashboard');
    expect(dashboard.Properties?.['DashboardName']).toBeUndefined();
    const body = JSON.stringify(dashboard.Properties?.['DashboardBody']);
    for (const title of ['Vends (ok)', 'Errors by class', 'Latency', 'Session cache hit ratio', 'STS AssumeRole', 'HTTP API']) expect(body).toContain(title);
    for (const metric of ['Vends', 'VendLatency', 'SessionCacheHits', 'SessionCacheMisses', 'StsCalls', 'StsLatency', 'rate_limited', 'internal_error', '5xx', '4xx']) expect(body).toContain(metric);
    expect(body).toContain(SERVICE);
  });
});

describe('turning monitoring off', () => {
  it('removes every alarm and the dashboard', () => {
    const stack = new Stack(new App(), 'Quiet');
    new MqttUrlVending(stack, 'Vending', { iotEndpoint: 'abc123-ats.iot.eu-west-1.amazonaws.com', alarms: false, dashboard: false });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
  });

  it('takes any alarm action and custom thresholds', () => {
    const stack = new Stack(new App(), 'Custom');
    const topic = new Topic(stack, 'Alerts');
    const vending = new MqttUrlVending(stack, 'Vending', {
      iotEndpoint: 'abc123-ats.iot.eu-west-1.amazonaws.com',
      alarmActions: [new SnsAction(topic)],
      alarmThresholds: { api5xxPercent: 1, p99DurationMs: 1500 },
    });
    expect(vending.alarms?.api5xxRatio).toBeDefined();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Threshold: 1, AlarmActions: [{ Ref: Match.stringLikeRegexp('^Alerts') }] });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Threshold: 1500, ExtendedStatistic: 'p99' });
  });
});
