// Go/Flux durations ("500ms", "90s", "1h30m", "1.5h"): the one duration type of Kure, for spec
// intervals and timeouts and for the controller's flags alike. Values are milliseconds.
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const WHOLE = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/;
const PART = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g;

/** Milliseconds, or undefined when the string is not a duration. A bare "0" is zero, as in Go. */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  if (!WHOLE.test(text)) return undefined;
  let total = 0;
  for (const [, value, unit] of text.matchAll(PART)) total += Number(value) * (UNIT_MS[unit as string] ?? 0);
  return total;
}

/** The shortest whole-unit spelling: 600000 → "10m", 1500 → "1500ms". */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0 && ms > 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

export const MIN_INTERVAL_MS = 1000;
export const MAX_INTERVAL_MS = 24 * 3_600_000;
