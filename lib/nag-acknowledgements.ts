/**
 * Helpers to acknowledge cdk-nag findings precisely. cdk-nag 3 reports one finding per wildcard
 * resource (`AwsSolutions-IAM5[Resource::<flattened ARN>]`), and an acknowledgement must name that
 * exact finding: there is no prefix matching, which is what keeps acknowledgements from hiding a
 * wildcard nobody reviewed.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/**
 * Flattens a resolved CloudFormation value the way cdk-nag names findings: `Fn::Join` joined,
 * `Ref` as `<Name>`, `Fn::GetAtt` as `<Resource.Attribute>`, `${X}` in strings as `<X>`.
 */
export function flattenForNag(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (value !== null && typeof value === 'object') {
    const node = value as Record<string, unknown>;
    const join = node['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return (join[1] as unknown[]).map(flattenForNag).join(join[0]);
    }
    if ('Fn::Sub' in node) return flattenForNag(node['Fn::Sub']);
    const getAtt = node['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${flattenForNag(getAtt[0])}.${flattenForNag(getAtt[1])}>`;
    if ('Fn::ImportValue' in node) return flattenForNag(node['Fn::ImportValue']);
    if ('Ref' in node) return `<${flattenForNag(node['Ref'])}>`;
  }
  return JSON.stringify(value);
}

/**
 * Acknowledges `AwsSolutions-IAM5` for each wildcard resource of `statements`, on `scope` (the
 * CfnResource holding the policy, or its L2 parent), with `reason`. Returns the finding ids.
 */
export function acknowledgeWildcardResources(scope: IConstruct, statements: readonly PolicyStatement[], reason: string): string[] {
  const stack = Stack.of(scope);
  const ids = new Set<string>();
  for (const statement of statements) {
    for (const resource of statement.resources) {
      const flat = flattenForNag(stack.resolve(resource));
      if (flat.includes('*')) ids.add(`AwsSolutions-IAM5[Resource::${flat}]`);
    }
  }
  for (const id of ids) Validations.of(scope).acknowledge({ id, reason });
  return [...ids];
}
