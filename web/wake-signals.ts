/**
 * The browser's signals that a connection may have died while nobody looked, or can come back now:
 * the network is `online` again, a hidden page became `visible` (a laptop woke, a phone unlocked),
 * or a page came back from the back/forward cache (`pageshow` with `persisted`). A sleeping laptop's
 * socket dies without a close that the page sees in time (amplify-js #1016, #4459); these events are
 * the first moment the page can act.
 */

/** Why the client was woken. */
export type WakeReason = 'online' | 'visible' | 'pageshow';

/** The subset of `EventTarget` used. */
interface EventSource {
  addEventListener(type: string, listener: (event: unknown) => void): void;
  removeEventListener(type: string, listener: (event: unknown) => void): void;
}

/** Where wake signals come from: the page's `window` and `document` in production. */
export interface WakeTargets {
  /** Fires `online` and `pageshow`. */
  readonly window: EventSource | undefined;
  /** Fires `visibilitychange`; `visibilityState` says which way. */
  readonly document: (EventSource & { readonly visibilityState?: string }) | undefined;
}

/** The page's `window` and `document`, or `undefined` each outside a browser (Node, workers). */
export function browserWakeTargets(): WakeTargets {
  const scope = globalThis as { window?: EventSource; document?: EventSource & { visibilityState?: string } };
  const isTarget = (value: unknown): value is EventSource => typeof (value as EventSource | undefined)?.addEventListener === 'function';
  return { window: isTarget(scope.window) ? scope.window : undefined, document: isTarget(scope.document) ? scope.document : undefined };
}

/**
 * Calls `onWake` on each wake signal until the returned function is called.
 * @returns the function that removes the listeners
 */
export function listenForWake(onWake: (reason: WakeReason) => void, targets: WakeTargets = browserWakeTargets()): () => void {
  const { window: win, document: doc } = targets;
  const online = (): void => onWake('online');
  const visibility = (): void => {
    if (doc?.visibilityState === 'visible') onWake('visible');
  };
  const pageshow = (event: unknown): void => {
    if ((event as { persisted?: unknown } | undefined)?.persisted === true) onWake('pageshow');
  };
  win?.addEventListener('online', online);
  win?.addEventListener('pageshow', pageshow);
  doc?.addEventListener('visibilitychange', visibility);
  return () => {
    win?.removeEventListener('online', online);
    win?.removeEventListener('pageshow', pageshow);
    doc?.removeEventListener('visibilitychange', visibility);
  };
}
