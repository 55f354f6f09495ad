// Structured JSON logs (pino) that never carry credentials: known secret fields are censored by
// path, and every string (messages, error texts, URLs) is scrubbed of URL userinfo, bearer/basic
// authorization values and `password=`/`token=` pairs.
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

export const REDACTED = '[REDACTED]';

/** Field paths pino censors wherever they appear (one or two levels deep). */
export const REDACT_PATHS = [
  'password',
  'token',
  'auth',
  'authorization',
  'secret',
  'data',
  'stringData',
  '*.password',
  '*.token',
  '*.auth',
  '*.authorization',
  '*.Authorization',
  '*.data',
  '*.stringData',
  '*.*.password',
  '*.*.token',
  '*.*.authorization',
  '*.*.Authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
];

const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@'"]*@/gi;
const AUTH_HEADER = /\b(authorization\s*[:=]\s*)(basic|bearer)?\s*[^\s,;'"}]+/gi;
const BEARER = /\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}/gi;
const KEY_VALUE = /\b(password|passwd|token|secret)(["']?\s*[:=]\s*["']?)[^\s&,;'"}]+/gi;

/** Removes credentials from free text: URL userinfo, authorization values, password=/token= pairs. */
export function scrubString(s: string): string {
  return s
    .replace(USERINFO, `$1${REDACTED}@`)
    .replace(AUTH_HEADER, `$1${REDACTED}`)
    .replace(BEARER, `$1 ${REDACTED}`)
    .replace(KEY_VALUE, `$1$2${REDACTED}`);
}

/** Strips userinfo from a URL for display (status messages, events). */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return scrubString(url);
  }
}

const SECRET_KEYS = /^(password|passwd|token|secret|authorization|auth|data|stringData)$/i;

/** Deep copy of a log payload with credentials removed (bounded depth; cycles cut). */
export function scrub(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return scrubString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8 || seen.has(value)) return '[…]';
  seen.add(value);
  if (value instanceof Error) {
    const out: Record<string, unknown> = { type: value.name, message: scrubString(value.message) };
    if (value.stack) out.stack = scrubString(value.stack);
    for (const [k, v] of Object.entries(value)) {
      if (k === 'body' || k === 'headers') continue; // API error bodies may echo objects back
      out[k] = SECRET_KEYS.test(k) ? REDACTED : scrub(v, depth + 1, seen);
    }
    return out;
  }
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEYS.test(k) ? REDACTED : scrub(v, depth + 1, seen);
  return out;
}

export function createLogger(level = 'info', destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { component: 'kure-controller' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    serializers: { err: (e: unknown) => scrub(e), error: (e: unknown) => scrub(e) },
    formatters: {
      level: (label) => ({ level: label }),
      log: (obj) => scrub(obj) as Record<string, unknown>,
    },
    hooks: {
      logMethod(args, method) {
        const cleaned = args.map((a) => (typeof a === 'string' ? scrubString(a) : a));
        method.apply(this, cleaned as Parameters<typeof method>);
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
