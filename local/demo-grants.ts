/**
 * The grants `npm run dev` runs with: one template of each kind, so the demo page shows them all.
 *
 * | Kind | Publish | Subscribe | Who |
 * | --- | --- | --- | --- |
 * | private namespace | `users/${sub}/*` | `users/${sub}/*` | the caller alone |
 * | group room | `rooms/${group}/*` | `rooms/${group}/*` | members of the group (`cognito:groups`) |
 * | shared lobby | `lobby/*` | `lobby/*` | every signed-in user |
 * | read-only telemetry | – | `telemetry/*` | every signed-in user receives; only the simulated device publishes |
 *
 * `startLocalStack` keeps the Lambda's own default (`users/${sub}/*` only) unless given these.
 */
import type { TopicTemplates } from '../lambda/vending/topic-templates.js';

/** The demo's publish and subscribe templates (see the module comment). */
export const DEMO_GRANTS: TopicTemplates = Object.freeze({
  publish: Object.freeze(['users/${sub}/*', 'rooms/${group}/*', 'lobby/*']),
  subscribe: Object.freeze(['users/${sub}/*', 'rooms/${group}/*', 'lobby/*', 'telemetry/*']),
});
