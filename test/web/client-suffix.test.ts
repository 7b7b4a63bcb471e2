/**
 * The default client-ID suffix (`web/client-suffix.ts`) with a scripted browser: a `sessionStorage`
 * per tab (copied into a duplicate, as browsers do) and a Web Locks manager shared by the tabs of one
 * origin that releases a page's locks when the page goes. The same rules run in a real Chromium in
 * test/browser/tabs.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { isValidClientSuffix } from '../../web/vend-mqtt-url.js';
import { CLAIM_WAIT_MS, randomClientSuffix, TAB_SUFFIX_KEY, TabSuffixes, type SuffixLocks, type SuffixStorage } from '../../web/client-suffix.js';

class FakeStorage implements SuffixStorage {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  /** A duplicated tab's storage starts as a copy. */
  copy(): FakeStorage {
    const copy = new FakeStorage();
    for (const [key, value] of this.items) copy.items.set(key, value);
    return copy;
  }
}

/** One origin's lock manager: exclusive locks, queued requests, `ifAvailable`, abort signals. */
class FakeLockManager {
  readonly #held = new Map<string, FakePage>();
  readonly #queue: Array<{ readonly name: string; readonly page: FakePage; readonly grant: () => void }> = [];

  /** The Web Locks API as one page sees it. */
  forPage(page: FakePage): SuffixLocks {
    return {
      request: (name, options, callback) =>
        new Promise((resolve, reject) => {
          const grant = (): void => {
            this.#held.set(name, page);
            resolve(callback({ name }));
          };
          if (!this.#held.has(name)) return grant();
          if (options.ifAvailable === true) return resolve(callback(null));
          const entry = { name, page, grant };
          this.#queue.push(entry);
          options.signal?.addEventListener('abort', () => {
            const index = this.#queue.indexOf(entry);
            if (index >= 0) this.#queue.splice(index, 1);
            reject(new DOMException('aborted', 'AbortError'));
          });
        }),
    };
  }

  holder(name: string): FakePage | undefined {
    return this.#held.get(name);
  }

  /** The page unloads: its locks go, and waiting requests get them. */
  release(page: FakePage): void {
    for (const [name, holder] of this.#held) if (holder === page) this.#held.delete(name);
    for (const entry of [...this.#queue]) {
      if (!this.#held.has(entry.name)) {
        this.#queue.splice(this.#queue.indexOf(entry), 1);
        entry.grant();
      }
    }
  }
}

class FakePage {
  readonly suffixes: TabSuffixes;
  constructor(
    readonly storage: FakeStorage,
    locks: FakeLockManager | undefined,
  ) {
    this.suffixes = new TabSuffixes({ storage, locks: locks?.forPage(this) });
  }
}

describe('TabSuffixes', () => {
  it('the first connection of a page gets the tab suffix, stored; further ones get fresh suffixes; a released tab suffix is reused', async () => {
    const locks = new FakeLockManager();
    const page = new FakePage(new FakeStorage(), locks);
    const first = await page.suffixes.lease(undefined);
    const second = await page.suffixes.lease(undefined);
    expect(first.kind).toBe('tab');
    expect(second.kind).toBe('fresh');
    expect(isValidClientSuffix(first.suffix)).toBe(true);
    expect(isValidClientSuffix(second.suffix)).toBe(true);
    expect(second.suffix).not.toBe(first.suffix);
    expect(page.storage.getItem(TAB_SUFFIX_KEY)).toBe(first.suffix);
    expect(locks.holder(`aws-signv4-mqtt:client-suffix:${first.suffix ?? ''}`)).toBe(page);

    first.release();
    first.release(); // idempotent
    const third = await page.suffixes.lease(undefined);
    expect(third).toMatchObject({ kind: 'tab', suffix: first.suffix });
  });

  it('two connections started at once in one page never both get the tab suffix', async () => {
    const page = new FakePage(new FakeStorage(), new FakeLockManager());
    const leases = await Promise.all([page.suffixes.lease(undefined), page.suffixes.lease(undefined), page.suffixes.lease(undefined)]);
    expect(leases.map((lease) => lease.kind).sort()).toEqual(['fresh', 'fresh', 'tab']);
    expect(new Set(leases.map((lease) => lease.suffix)).size).toBe(3);
  });

  it('a reload keeps the suffix, even when the old page releases its lock only after the new page asks', async () => {
    const locks = new FakeLockManager();
    const storage = new FakeStorage();
    const before = new FakePage(storage, locks);
    const { suffix } = await before.suffixes.lease(undefined);
    const after = new FakePage(storage, locks);
    const leasing = after.suffixes.lease(undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    locks.release(before);
    expect(await leasing).toMatchObject({ kind: 'tab', suffix });
  });

  it('a duplicated tab (a copy of the storage, the original still open) picks a new suffix and stores it in its own storage', async () => {
    const locks = new FakeLockManager();
    const original = new FakePage(new FakeStorage(), locks);
    const mine = await original.suffixes.lease(undefined);
    const duplicate = new FakePage(original.storage.copy(), locks);
    const started = performance.now();
    const theirs = await duplicate.suffixes.lease(undefined);
    expect(performance.now() - started).toBeGreaterThanOrEqual(CLAIM_WAIT_MS - 20);
    expect(theirs.kind).toBe('tab');
    expect(theirs.suffix).not.toBe(mine.suffix);
    expect(duplicate.storage.getItem(TAB_SUFFIX_KEY)).toBe(theirs.suffix);
    expect(original.storage.getItem(TAB_SUFFIX_KEY)).toBe(mine.suffix);
    // A duplicate of the duplicate is told apart from it in turn.
    const third = new FakePage(duplicate.storage.copy(), locks);
    const thirds = await third.suffixes.lease(undefined);
    expect(new Set([mine.suffix, theirs.suffix, thirds.suffix]).size).toBe(3);
  });

  it('without Web Locks a stored suffix is never reused (it could be a copy): every page load is fresh', async () => {
    const storage = new FakeStorage();
    storage.setItem(TAB_SUFFIX_KEY, 'stored-suffix');
    const page = new FakePage(storage, undefined);
    const lease = await page.suffixes.lease(undefined);
    expect(lease.kind).toBe('fresh');
    expect(lease.suffix).not.toBe('stored-suffix');
  });

  it('without storage (Node) every connection gets a fresh suffix', async () => {
    const suffixes = new TabSuffixes({ storage: undefined, locks: undefined });
    const leases = await Promise.all(Array.from({ length: 20 }, () => suffixes.lease(undefined)));
    expect(leases.every((lease) => lease.kind === 'fresh' && isValidClientSuffix(lease.suffix))).toBe(true);
    expect(new Set(leases.map((lease) => lease.suffix)).size).toBe(20);
  });

  it('a stored value that is not a valid suffix is replaced', async () => {
    const storage = new FakeStorage();
    storage.setItem(TAB_SUFFIX_KEY, 'not valid/*');
    const page = new FakePage(storage, new FakeLockManager());
    const lease = await page.suffixes.lease(undefined);
    expect(lease.kind).toBe('tab');
    expect(isValidClientSuffix(lease.suffix)).toBe(true);
    expect(storage.getItem(TAB_SUFFIX_KEY)).toBe(lease.suffix);
  });

  it('storage that throws (denied, full) does not stop a connection', async () => {
    const throwing: SuffixStorage = {
      getItem: () => {
        throw new DOMException('denied', 'SecurityError');
      },
      setItem: () => {
        throw new DOMException('full', 'QuotaExceededError');
      },
    };
    const suffixes = new TabSuffixes({ storage: throwing, locks: new FakeLockManager().forPage({} as FakePage) });
    const lease = await suffixes.lease(undefined);
    expect(isValidClientSuffix(lease.suffix)).toBe(true);
  });

  it('clientSuffix: false is the bare <sub>; an explicit suffix is used as it is', async () => {
    const page = new FakePage(new FakeStorage(), new FakeLockManager());
    expect(await page.suffixes.lease(false)).toMatchObject({ kind: 'none', suffix: undefined });
    expect(await page.suffixes.lease('pinned')).toMatchObject({ kind: 'explicit', suffix: 'pinned' });
    // Neither takes the tab's suffix.
    expect(await page.suffixes.lease(undefined)).toMatchObject({ kind: 'tab' });
    expect(page.storage.items.size).toBe(1);
  });

  it('random suffixes are 12 characters of the API alphabet', () => {
    for (let i = 0; i < 200; i++) expect(randomClientSuffix()).toMatch(/^[A-Za-z0-9_-]{12}$/);
  });
});
