/**
 * Why AWS IoT refused a publish or a subscribe, in words for the page. MQTT 3.1.1 gives no reason:
 * a refused PUBLISH only closes the connection, a refused SUBSCRIBE gets SUBACK 0x80 (policy) or
 * also closes the connection (a message-broker limit). So the page works the reason out from what
 * it sent, with the very rules the local gateway enforces (`local/broker-limits.ts`, which cites
 * AWS's pages) and the grants the API listed. Pure (no DOM).
 */
import { publishViolation, subscribeViolation } from '../../local/broker-limits.js';
import { mayPublish, maySubscribe, type GrantView } from './grants.js';

/** A PUBLISH the page sent. */
export interface SentPublish {
  readonly topic: string;
  readonly payloadBytes: number;
  readonly qos: number;
  readonly retain: boolean;
}

/**
 * Why the server would refuse this PUBLISH, or `undefined` when nothing the page knows refuses it
 * (a close right after it then had another cause).
 */
export function publishRefusalReason(sent: SentPublish, grants: readonly GrantView[], retainGranted: boolean): string | undefined {
  const violation = publishViolation(sent.topic, sent.payloadBytes, sent.qos);
  if (violation !== undefined) return `${violation.reason}, beyond AWS IoT's limits`;
  if (!mayPublish(grants, sent.topic)) return 'the topic is not allowed by your grants';
  if (sent.retain && !retainGranted) return 'a retained publish also needs iot:RetainPublish, which this stack does not grant';
  return undefined;
}

/** The line the page shows for a refused PUBLISH: topic, reason, and what the server did. */
export function publishRefusalText(topic: string, reason: string): string {
  return `Publish to ${topic} refused: ${reason}. The server closed the connection; reconnecting.`;
}

/**
 * The line the page shows for a refused SUBSCRIBE.
 * @param filter the filter
 * @param refusedBy `suback` when the server answered SUBACK 0x80 (the policy), `disconnect` when it
 *   closed the connection instead (a message-broker limit)
 * @param grants the connection's grants, to name a filter they do not cover
 * @param held the filters the connection held when it subscribed (for the per-connection limit)
 */
export function subscribeRefusalText(filter: string, refusedBy: 'suback' | 'disconnect', grants: readonly GrantView[], held: ReadonlySet<string> = new Set()): string {
  if (refusedBy === 'suback') return `Subscription to ${filter} refused: not allowed by your grants (SUBACK 0x80).`;
  const violation = subscribeViolation([{ filter, qos: 0 }], held);
  const reason = violation !== undefined ? `${violation.reason}, beyond AWS IoT's limits` : maySubscribe(grants, filter) ? 'the server gave no reason' : 'not allowed by your grants';
  return `Subscription to ${filter} refused: ${reason}. The server closed the connection; reconnecting.`;
}
