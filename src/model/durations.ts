// Flux/Go duration strings ("1h30m", "90s", "1.5h") to milliseconds.
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const WHOLE = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/;
const PART = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g;

/** Milliseconds, or undefined when the string is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (!WHOLE.test(text)) return undefined;
  let total = 0;
  for (const [, value, unit] of text.matchAll(PART)) total += Number(value) * (UNIT_MS[unit as string] ?? 0);
  return total;
}

export const MIN_INTERVAL_MS = 1000;
export const MAX_INTERVAL_MS = 24 * 3_600_000;
