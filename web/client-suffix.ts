/**
 * The default client-ID suffix: every `connectMqtt` gets its own, so two connections of one user
 * never hold one client ID (AWS IoT would close the older each time the other connects).
 *
 * - In a browser tab, the first connection takes the tab's suffix, kept in `sessionStorage` so that
 *   it survives reloads (a reload resumes the same persistent session). Further connections in the
 *   same page get fresh suffixes of their own.
 * - A duplicated tab, or a page opened with `window.open` from it, starts with a copy of the
 *   opener's `sessionStorage` ("If the page has an opener, the sessionStorage is initially a copy of
 *   the opener's sessionStorage object": https://developer.mozilla.org/en-US/docs/Web/API/Window/sessionStorage),
 *   and so with the same stored suffix. Each page therefore holds a Web Lock named after its suffix
 *   for as long as it lives; a page that cannot get the lock of the suffix it found picks a new one.
 *   A reload's previous page releases its locks when it unloads, but the Web Locks spec does not
 *   order that release before the new page's request (https://w3c.github.io/web-locks/#termination-of-locks),
 *   so the new page waits up to {@link CLAIM_WAIT_MS} for it rather than asking `ifAvailable`.
 * - Without Web Locks (outside a secure context, in very old browsers) a stored suffix cannot be
 *   told from a copied one, so it is never reused: each page load gets a fresh suffix.
 * - In Node (no `sessionStorage`): a fresh suffix per call. Resuming a persistent session across
 *   process restarts needs an explicit `clientSuffix`.
 */
import { isValidClientSuffix } from './vend-mqtt-url.js';

/** The `sessionStorage` key of the tab's suffix. */
export const TAB_SUFFIX_KEY = 'aws-signv4-mqtt:client-suffix';
/** Prefix of the Web Lock each page holds on its suffix. */
export const TAB_LOCK_PREFIX = 'aws-signv4-mqtt:client-suffix:';
/**
 * How long a page waits for the lock of the suffix it found: long enough for a reloaded page's
 * predecessor to release it, short enough that a duplicated tab's first connect is barely delayed.
 */
export const CLAIM_WAIT_MS = 750;

/** The subset of the Web Storage API used (`sessionStorage`). */
export interface SuffixStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** The subset of the Web Locks API used (`navigator.locks`). */
export interface SuffixLocks {
  request(name: string, options: { ifAvailable?: boolean; signal?: AbortSignal }, callback: (lock: unknown) => unknown): Promise<unknown>;
}

/** Where a page keeps and guards its suffix; {@link browserTabEnvironment} in production. */
export interface TabEnvironment {
  /** The tab's `sessionStorage`; `undefined` outside a browser (or where storage is denied). */
  readonly storage: SuffixStorage | undefined;
  /** `navigator.locks`; `undefined` where Web Locks are missing. */
  readonly locks: SuffixLocks | undefined;
}

/** How a connection's suffix was chosen. */
export type ClientSuffixKind = 'explicit' | 'none' | 'tab' | 'fresh';

/** A suffix for one connection; {@link ClientSuffixLease.release} it when the connection ends. */
export interface ClientSuffixLease {
  /** The suffix to vend with, or `undefined` for the bare `<sub>` client ID. */
  readonly suffix: string | undefined;
  /** `explicit`: the caller's; `none`: `clientSuffix: false`; `tab`: the tab's stored one; `fresh`: new for this connection. */
  readonly kind: ClientSuffixKind;
  /** Lets a later connection of this page take the tab's suffix again. Idempotent. */
  release(): void;
}

/** 9 random bytes as base64url: 12 characters of the API's `A-Z a-z 0-9 _ -`, 72 bits. */
export function randomClientSuffix(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(9));
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_');
}

/** The page's `sessionStorage` and `navigator.locks`, each `undefined` where missing or denied. */
export function browserTabEnvironment(): TabEnvironment {
  let storage: SuffixStorage | undefined;
  try {
    // Reading the property throws where storage is denied (sandboxed frames, some privacy modes).
    storage = (globalThis as { sessionStorage?: SuffixStorage }).sessionStorage;
  } catch {
    storage = undefined;
  }
  const locks = (globalThis as { navigator?: { locks?: SuffixLocks } }).navigator?.locks;
  return { storage, locks: typeof locks?.request === 'function' ? locks : undefined };
}

const NO_RELEASE = (): void => undefined;

/** One page's suffixes: the tab's own (claimed once, for the page's life) and which connection has it. */
export class TabSuffixes {
  readonly #environment: TabEnvironment;
  #claim: Promise<string | undefined> | undefined;
  #tabSuffixInUse = false;

  /** @param environment where the suffix is kept and guarded */
  constructor(environment: TabEnvironment) {
    this.#environment = environment;
  }

  /**
   * The suffix for a new connection.
   * @param option `connectMqtt`'s `clientSuffix`: a string (used as it is; the vending request
   *   validates it), `false` (no suffix), or `undefined` (the default described above)
   */
  async lease(option: string | false | undefined): Promise<ClientSuffixLease> {
    if (option === false) return { suffix: undefined, kind: 'none', release: NO_RELEASE };
    if (option !== undefined) return { suffix: option, kind: 'explicit', release: NO_RELEASE };
    if (!this.#tabSuffixInUse && this.#environment.storage !== undefined) {
      this.#tabSuffixInUse = true;
      this.#claim ??= this.#claimTabSuffix(this.#environment.storage);
      const suffix = await this.#claim;
      if (suffix !== undefined) {
        let released = false;
        return {
          suffix,
          kind: 'tab',
          release: () => {
            if (released) return;
            released = true;
            this.#tabSuffixInUse = false;
          },
        };
      }
      this.#tabSuffixInUse = false;
    }
    return { suffix: randomClientSuffix(), kind: 'fresh', release: NO_RELEASE };
  }

  async #claimTabSuffix(storage: SuffixStorage): Promise<string | undefined> {
    const { locks } = this.#environment;
    // Without locks a stored suffix may be a duplicated tab's copy: never reuse one.
    if (locks === undefined) return undefined;
    const stored = readStored(storage);
    if (stored !== undefined && (await holdForPageLife(locks, stored, CLAIM_WAIT_MS))) return stored;
    const fresh = randomClientSuffix();
    try {
      storage.setItem(TAB_SUFFIX_KEY, fresh);
    } catch {
      // A full or read-only storage: the suffix still works for this page, just not after a reload.
    }
    // 72 random bits are nobody else's; the lock is what tells a later copy of this tab so.
    return (await holdForPageLife(locks, fresh, 0)) ? fresh : undefined;
  }
}

function readStored(storage: SuffixStorage): string | undefined {
  try {
    const value = storage.getItem(TAB_SUFFIX_KEY);
    return isValidClientSuffix(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the Web Lock of `suffix` and never lets it go: the browser releases it when the page goes.
 * @param waitMs how long to wait for it (0: only if free now)
 * @returns whether this page now holds it
 */
function holdForPageLife(locks: SuffixLocks, suffix: string, waitMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const options = waitMs <= 0 ? { ifAvailable: true } : { signal: AbortSignal.timeout(waitMs) };
    locks
      .request(`${TAB_LOCK_PREFIX}${suffix}`, options, (lock) => {
        if (lock === null) {
          resolve(false);
          return undefined;
        }
        resolve(true);
        return new Promise<never>(() => undefined);
      })
      .catch(() => resolve(false));
  });
}

let pageSuffixes: TabSuffixes | undefined;

/** This page's {@link TabSuffixes} (in Node: one with no storage, so every suffix is fresh). */
export function pageTabSuffixes(): TabSuffixes {
  pageSuffixes ??= new TabSuffixes(browserTabEnvironment());
  return pageSuffixes;
}
