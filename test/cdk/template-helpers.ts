/**
 * Small helpers over a synthesized CloudFormation template for the CDK tests: find the one resource
 * of a kind, collect every IAM statement, build the `Stack.formatArn` shape of an IoT ARN.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { expect } from 'vitest';

/** A template resource as the assertions library returns it. */
export interface CfnResourceJson {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: unknown;
}

/** A fresh temporary directory for a cloud assembly. */
export function tempOutdir(label: string): string {
  return mkdtempSync(join(tmpdir(), `aws-signv4-mqtt-${label}-`));
}

/** The single resource of `type` (optionally matching `props`); fails the test otherwise. */
export function onlyResource(template: Template, type: string, props?: Record<string, unknown>): [string, CfnResourceJson] {
  const found = Object.entries(template.findResources(type, props === undefined ? undefined : { Properties: props })) as [string, CfnResourceJson][];
  expect(found, `exactly one ${type}`).toHaveLength(1);
  return found[0] as [string, CfnResourceJson];
}

/** `{ Ref: id }`. */
export const ref = (logicalId: string): { Ref: string } => ({ Ref: logicalId });

/** `{ 'Fn::GetAtt': [id, attribute] }`. */
export const getAtt = (logicalId: string, attribute: string): { 'Fn::GetAtt': [string, string] } => ({ 'Fn::GetAtt': [logicalId, attribute] });

/**
 * An AWS IoT ARN as `Stack.formatArn` renders it in an environment-agnostic stack: partition and
 * account always pseudo parameters, region a pseudo parameter unless a literal one is given.
 */
export function iotArn(resource: string, region?: string): unknown {
  return {
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ...(region === undefined ? [':iot:', { Ref: 'AWS::Region' }, ':'] : [`:iot:${region}:`]), { Ref: 'AWS::AccountId' }, `:${resource}`]],
  };
}

/** One IAM statement, with where it was found. */
export interface FoundStatement {
  readonly source: string;
  readonly statement: { Effect?: string; Action?: string | string[]; Resource?: unknown; Principal?: unknown; Condition?: unknown };
}

/** Every statement of every identity policy: `AWS::IAM::Policy` documents and roles' inline policies. */
export function identityStatements(template: Template): FoundStatement[] {
  const found: FoundStatement[] = [];
  for (const [id, resource] of Object.entries(template.findResources('AWS::IAM::Policy')) as [string, CfnResourceJson][]) {
    const document = resource.Properties?.['PolicyDocument'] as { Statement: FoundStatement['statement'][] };
    for (const statement of document.Statement) found.push({ source: id, statement });
  }
  for (const [id, resource] of Object.entries(template.findResources('AWS::IAM::Role')) as [string, CfnResourceJson][]) {
    const policies = (resource.Properties?.['Policies'] ?? []) as { PolicyDocument: { Statement: FoundStatement['statement'][] } }[];
    for (const policy of policies) for (const statement of policy.PolicyDocument.Statement) found.push({ source: id, statement });
  }
  return found;
}

/** The statements of the `AWS::IAM::Policy` resources attached to role `roleId`. */
export function attachedStatements(template: Template, roleId: string): FoundStatement['statement'][] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as CfnResourceJson[];
  return policies
    .filter((policy) => JSON.stringify(policy.Properties?.['Roles']) === JSON.stringify([ref(roleId)]))
    .flatMap((policy) => (policy.Properties?.['PolicyDocument'] as { Statement: FoundStatement['statement'][] }).Statement);
}

/** A value as a flat list (IAM allows a string or a list for Action and Resource). */
export function asList<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * The context `cdk synth` reads from `cdk.json`: the recommended feature flags and the defaults. Tests
 * start their apps with it, so the templates they check are the ones `cdk synth` produces.
 */
export function cdkJsonContext(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> };
  return { ...cdkJson.context, ...overrides };
}
