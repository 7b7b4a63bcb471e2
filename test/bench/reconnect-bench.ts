/**
 * Vends per connected tab-hour (`npm run bench`), before (`prefetch: true`, the client's earlier
 * behaviour: a URL kept ready on a timer) and after (the default: vend only when a connection is being
 * opened and the URL held is no longer usable), with 300 s URLs (the stack's default).
 *
 * Each scenario is one tab simulated for hours on a virtual clock: `connectMqtt`'s own URL supply and
 * connection gate (`web/url-supply.ts`, `web/connect-gate.ts`), wired to an mqtt.js-shaped client
 * whose connection drops at random times (seeded, so every run prints the same figures), against an
 * API and an endpoint that always answer. The first vend (the connect itself) is the same in both
 * modes and is not counted: the figure is what staying connected costs. Then, from the figures, the
 * capacity (connected tabs per request/s of the stage throttle) and the cost per 100,000 connected
 * tabs at docs/operations.md's $1.95 per million vends.
 */
import { seeded, simulateTab, VirtualClock } from '../web/simulated-mqtt.js';

const HOUR_MS = 3_600_000;
/** docs/operations.md: cost per million vended URLs (HTTP API, Lambda, logs, transfer; us-east-1). */
export const COST_PER_MILLION_VENDS_USD = 1.95;
/** The stack's default stage throttle (`throttleRateLimit`). */
export const STAGE_THROTTLE_RPS = 50;
/** AWS IoT closes a WebSocket connection after 24 hours. */
const MAX_CONNECTION_MS = 24 * HOUR_MS;

/** One scenario's result. */
export interface TabHourFigures {
  readonly hours: number;
  readonly dropsPerHour: number;
  readonly vendsPerTabHour: { readonly before: number; readonly after: number };
}

/**
 * Simulates one tab connected for `hours`, dropped `dropsPerHour` times an hour at random (plus AWS
 * IoT's 24-hour limit), and returns its vends per hour after the first.
 */
async function vendsPerTabHour(prefetch: boolean, hours: number, dropsPerHour: number, seed: number): Promise<number> {
  const random = seeded(seed);
  const clock = new VirtualClock();
  const tab = await simulateTab({ clock, prefetch, random });
  const start = clock.now();
  const end = start + hours * HOUR_MS;
  // Exponential gaps between drops (a Poisson process), and a forced drop every 24 h of connection.
  const drops: number[] = [];
  if (dropsPerHour > 0) {
    for (let at = start; ; ) {
      at += (-Math.log(1 - random()) / dropsPerHour) * HOUR_MS;
      if (at >= end) break;
      drops.push(at);
    }
  }
  for (let at = start + MAX_CONNECTION_MS; at < end; at += MAX_CONNECTION_MS) drops.push(at);
  drops.sort((a, b) => a - b);
  for (const at of drops) {
    await clock.advance(Math.max(0, at - clock.now()));
    tab.client.drop();
  }
  await clock.advance(Math.max(0, end - clock.now()));
  const connected = tab.client.connected;
  tab.client.end();
  if (!connected) throw new Error('the simulated tab was not connected at the end');
  return (tab.vends() - 1) / hours;
}

/**
 * The scenarios: an idle tab for a work day, one left open for a week, and tabs whose connection
 * drops now and then (random drops, averaged over 500 hours so that the figure is stable).
 */
const SCENARIOS: ReadonlyArray<{ readonly label: string; readonly hours: number; readonly dropsPerHour: number }> = [
  { label: 'connected 8 h, never drops', hours: 8, dropsPerHour: 0 },
  { label: 'connected 7 days (AWS IoT ends it every 24 h)', hours: 168, dropsPerHour: 0 },
  { label: 'drops once an hour at random', hours: 500, dropsPerHour: 1 },
  { label: 'drops 6 times an hour at random (flaky mobile)', hours: 500, dropsPerHour: 6 },
];

/** Runs every scenario in both modes. */
export async function measureTabHours(): Promise<Array<TabHourFigures & { readonly label: string }>> {
  const results: Array<TabHourFigures & { readonly label: string }> = [];
  for (const [index, scenario] of SCENARIOS.entries()) {
    const before = await vendsPerTabHour(true, scenario.hours, scenario.dropsPerHour, 1_000 + index);
    const after = await vendsPerTabHour(false, scenario.hours, scenario.dropsPerHour, 1_000 + index);
    results.push({ ...scenario, vendsPerTabHour: { before, after } });
  }
  return results;
}

function format(value: number): string {
  return value >= 10 ? value.toFixed(1) : value.toFixed(3);
}

/** Connected tabs one request per second of stage throttle sustains, at `vendsPerTabHour`. */
export function tabsPerRequestPerSecond(vendsPerTabHour: number): number {
  return vendsPerTabHour === 0 ? Number.POSITIVE_INFINITY : 3_600 / vendsPerTabHour;
}

/** Dollars an hour for 100,000 connected tabs at `vendsPerTabHour`. */
export function costPer100kTabsPerHour(vendsPerTabHour: number): number {
  return (100_000 * vendsPerTabHour * COST_PER_MILLION_VENDS_USD) / 1_000_000;
}

/** Prints the figures. */
export async function runReconnectBench(): Promise<void> {
  const started = performance.now();
  const results = await measureTabHours();
  console.log('reconnect: vends per connected tab-hour, 300 s URLs (simulated tabs; the connect vend itself not counted)');
  console.log('  scenario                                              before (prefetch)   after (vend on reconnect)');
  for (const { label, vendsPerTabHour } of results) {
    console.log(`  ${label.padEnd(52)}  ${format(vendsPerTabHour.before).padStart(8)}            ${format(vendsPerTabHour.after).padStart(8)}`);
  }
  console.log(`  capacity and cost, from these figures (stage throttle ${STAGE_THROTTLE_RPS} req/s; $${COST_PER_MILLION_VENDS_USD} per million vends, docs/operations.md):`);
  for (const { label, vendsPerTabHour } of results) {
    const { before, after } = vendsPerTabHour;
    const tabs = (v: number): string => (Number.isFinite(tabsPerRequestPerSecond(v)) ? Math.round(tabsPerRequestPerSecond(v)).toLocaleString('en-US') : '∞');
    const cost = (v: number): string => `$${costPer100kTabsPerHour(v).toFixed(3)}/h ($${(costPer100kTabsPerHour(v) * 730).toFixed(0)}/month)`;
    console.log(`  ${label}:`);
    console.log(`    tabs per 1 req/s: ${tabs(before)} before, ${tabs(after)} after; at ${STAGE_THROTTLE_RPS} req/s: ${(Number.isFinite(tabsPerRequestPerSecond(before)) ? Math.round(STAGE_THROTTLE_RPS * tabsPerRequestPerSecond(before)).toLocaleString('en-US') : '∞')} before, ${(Number.isFinite(tabsPerRequestPerSecond(after)) ? Math.round(STAGE_THROTTLE_RPS * tabsPerRequestPerSecond(after)).toLocaleString('en-US') : '∞')} after`);
    console.log(`    100,000 connected tabs: ${cost(before)} before, ${cost(after)} after`);
  }
  console.log(`  (simulated ${results.reduce((sum, r) => sum + 2 * r.hours, 0)} tab-hours in ${Math.round(performance.now() - started)} ms)`);
}
