import { describe, expect, it } from 'vitest';
import { attemptDelayMs, prefetchDelayMs, retryDelayMs } from '../../web/refresh-schedule.js';

describe('prefetchDelayMs', () => {
  it('prefetches a 300 s URL 60 s before expiry (= 80 % of its life) without jitter', () => {
    expect(prefetchDelayMs(300_000, 0)).toBe(240_000);
  });

  it('takes whichever of 80 % and expiry - 60 s is sooner', () => {
    expect(prefetchDelayMs(900_000, 0)).toBe(720_000); // 80 % = 720 s, expiry - 60 s = 840 s
    expect(prefetchDelayMs(200_000, 0)).toBe(140_000); // 80 % = 160 s, expiry - 60 s = 140 s
  });

  it('never prefetches before half of a short life (no refresh loop)', () => {
    expect(prefetchDelayMs(60_000, 0)).toBe(30_000);
    expect(prefetchDelayMs(2_000, 0)).toBe(1_000);
  });

  it('subtracts up to 10 % of the life as jitter', () => {
    expect(prefetchDelayMs(300_000, 0.5)).toBe(225_000);
    expect(prefetchDelayMs(300_000, 0.999_999)).toBeGreaterThan(210_000 - 1);
    expect(prefetchDelayMs(300_000, 0.999_999)).toBeLessThan(240_000);
  });
});

describe('retryDelayMs', () => {
  it('backs off exponentially from 1 s and caps at 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map((n) => retryDelayMs(n, undefined, 1))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000,
    ]);
  });

  it('jitters down to 75 % of the step', () => {
    expect(retryDelayMs(3, undefined, 0)).toBe(3_000);
  });

  it('never retries sooner than Retry-After', () => {
    expect(retryDelayMs(1, 12, 1)).toBe(12_000);
    expect(retryDelayMs(6, 5, 1)).toBe(30_000);
  });
});

describe('attemptDelayMs', () => {
  it('adds nothing for the first two failed attempts, then 1 s doubling to 30 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 50].map((n) => attemptDelayMs(n, 1))).toEqual([0, 0, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  });

  it('jitters down to 75 % of the step', () => {
    expect(attemptDelayMs(3, 0)).toBe(1_500);
  });
});
