/**
 * Runs every check once, in order, against one pair of vends, and closes every connection it opened.
 */
import { corsVerdict, noStoreVerdict, vendVerdict } from './check-http.js';
import { CHECK_NAMES, runCheck, skipped, type CheckResult } from './check-result.js';
import { MqttChecks } from './check-mqtt.js';
import { scopeVerdict } from './check-scope.js';
import { tamperedUrlVerdict } from './check-tampered-url.js';
import { ConnectPacer } from './connect-pacer.js';
import type { Deadline } from './deadline.js';
import type { MqttConnect } from './mqtt-loader.js';
import { sharedScopeEvidence } from './topic-plan.js';
import type { UserVend } from './vend-client.js';

/** What the checks run with. */
export interface ChecksInput {
  /** `--api-url`, validated. */
  readonly apiUrl: string;
  /** `--origin`, when given: the CORS check runs only then. */
  readonly origin: string | undefined;
  /** `--include-shared`. */
  readonly includeShared: boolean;
  /** `--expect-shared`. */
  readonly expectShared: boolean;
  /** mqtt.js's `connect`. */
  readonly connect: MqttConnect;
  /** The run's `--timeout`. */
  readonly deadline: Deadline;
  /** User A's vend. */
  readonly a: UserVend;
  /** User B's vend. */
  readonly b: UserVend;
  /** Random, per run: the last level of every topic written. */
  readonly runId: string;
}

/** The checks' results, in {@link CHECK_NAMES} order, and the scope the answers showed. */
export async function runChecks(input: ChecksInput): Promise<{ readonly checks: CheckResult[]; readonly scope: 'per-user' | 'shared' }> {
  const { a, b, deadline } = input;
  const results: CheckResult[] = [];
  // The vends themselves ran before the checks (a failed one stops the run): their time is this check's.
  results.push({ ...(await runCheck('vend', deadline, async () => vendVerdict(a, b))), ms: a.ms + b.ms });
  results.push(await runCheck('no-store', deadline, async () => noStoreVerdict(a, b)));
  results.push(await runCheck('cors', deadline, () => corsVerdict(input.apiUrl, input.origin, deadline)));
  const evidence = sharedScopeEvidence(a.vended, b.vended);
  results.push(await runCheck('scope', deadline, async () => scopeVerdict(evidence, input.expectShared)));

  const mqtt = new MqttChecks({ connect: input.connect, deadline, pacer: new ConnectPacer(), a, b, runId: input.runId, includeShared: input.includeShared });
  try {
    results.push(await runCheck('round-trip', deadline, () => mqtt.roundTrip()));
    if (evidence === undefined) {
      results.push(await runCheck('foreign-subscribe', deadline, () => mqtt.foreignSubscribe()));
      results.push(await runCheck('shared-topics', deadline, () => mqtt.sharedTopics()));
      results.push(await runCheck('foreign-publish', deadline, () => mqtt.foreignPublish()));
      results.push(await runCheck('foreign-client-id', deadline, () => mqtt.foreignClientId()));
    } else {
      const notRun = 'not run: shared scope keeps no user apart (see scope)';
      for (const name of ['foreign-subscribe', 'foreign-publish', 'foreign-client-id'] as const) {
        results.push(await runCheck(name, deadline, async () => ({ ...skipped(notRun), shared: true })));
      }
      results.push(await runCheck('shared-topics', deadline, () => mqtt.sharedTopics()));
    }
    results.push(await runCheck('tampered-url', deadline, () => tamperedUrlVerdict(a, deadline)));
  } finally {
    await mqtt.close();
  }
  const order = (result: CheckResult): number => CHECK_NAMES.indexOf(result.name);
  return { checks: results.sort((left, right) => order(left) - order(right)), scope: evidence === undefined ? 'per-user' : 'shared' };
}
