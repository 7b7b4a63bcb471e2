/**
 * Small timing helpers for `npm run bench`. Each figure is the median of several rounds after a
 * warm-up, so one GC pause or a busy neighbour core does not decide the result.
 */

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Options of {@link microsPerCall}. */
export interface MeasureOptions {
  readonly iterations: number;
  readonly rounds: number;
  readonly warmup: number;
}

/** Median microseconds per call of `fn` (awaited when it returns a promise). */
export async function microsPerCall(fn: (i: number) => unknown, options: MeasureOptions): Promise<number> {
  for (let i = 0; i < options.warmup; i++) await fn(i);
  const rounds: number[] = [];
  for (let r = 0; r < options.rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < options.iterations; i++) await fn(i);
    rounds.push(Number(process.hrtime.bigint() - start) / 1000 / options.iterations);
  }
  return median(rounds);
}

/** A verdict for a figure against its target, printed beside it. */
export function verdict(met: boolean): string {
  return met ? 'target met' : 'target MISSED';
}
