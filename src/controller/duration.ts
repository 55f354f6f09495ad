// Go-style durations ("500ms", "10m", "1h30m", "2s") for flags and env vars.
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/** Parses a Go duration into milliseconds; throws on anything else. A bare "0" is zero. */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (s === '0') return 0;
  if (!DURATION.test(s)) throw new Error(`invalid duration "${text}" (use e.g. 500ms, 30s, 10m, 1h)`);
  let ms = 0;
  for (const m of s.matchAll(PART)) ms += Number(m[1]) * (UNIT_MS[m[2] ?? 'ms'] ?? 1);
  return Math.round(ms);
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0 && ms > 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
