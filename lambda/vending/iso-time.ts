/**
 * ISO-8601 formatting for the hot path. `Date.prototype.toISOString` costs about as much as a
 * quarter of a whole warm request, yet its output only changes in the milliseconds within a second;
 * each formatter keeps the formatted second and appends the milliseconds.
 */

// 10000-01-01T00:00:00Z: from there on toISOString writes a six-digit, signed year.
const YEAR_10000_MS = 253_402_300_800_000;

/** Formats epoch milliseconds as `Date.prototype.toISOString` does (years 0000–9999). */
export type IsoFormatter = (epochMs: number) => string;

/**
 * Returns a formatter with its own one-second memo. Give each caller its own: two callers
 * formatting different seconds through one formatter would keep evicting each other.
 */
export function createIsoFormatter(): IsoFormatter {
  let second = Number.NaN;
  let prefix = '';
  return (epochMs) => {
    if (!(epochMs >= 0 && epochMs < YEAR_10000_MS)) return new Date(epochMs).toISOString();
    const whole = Math.floor(epochMs / 1000);
    if (whole !== second) {
      // `YYYY-MM-DDTHH:MM:SS` of the new second; only this part needs the Date machinery.
      prefix = new Date(whole * 1000).toISOString().slice(0, 19);
      second = whole;
    }
    const millis = Math.floor(epochMs - whole * 1000);
    return `${prefix}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
  };
}
