/**
 * The one line `cdk synth` prints about cdk-nag, so an operator sees that the checks ran and what
 * they found: `cdk-nag AwsSolutions: 0 unacknowledged findings (6 acknowledged with a reason)`.
 */
import { Validations, type App } from 'aws-cdk-lib';
import type { AwsSolutionsChecks } from 'cdk-nag';

/** Counts the findings cdk-nag still reports on `app`, and the acknowledgements recorded in it. */
export function nagSummary(app: App, nag: AwsSolutionsChecks): string {
  const unacknowledged = nag.validateScope(app).violations.length;
  const acknowledged = app.node
    .findAll()
    .flatMap((construct) => construct.node.metadata.filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
    .reduce((count, entry) => count + Object.keys(entry.data as Record<string, string>).length, 0);
  return `cdk-nag AwsSolutions: ${unacknowledged} unacknowledged finding${unacknowledged === 1 ? '' : 's'} (${acknowledged} acknowledged with a reason)`;
}
