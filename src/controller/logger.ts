// Logs (pino) that never carry credentials: known secret fields are censored by path, and every
// string (messages, error texts, URLs) is scrubbed of URL userinfo, bearer/basic authorization values
// and `password=`/`token=` pairs. Two formats of the same records: JSON lines (default, for log
// collectors) and text (`--log-format text`, one readable line per record for people; formatted here,
// pino-pretty is not a dependency). Each record has each key once (a child logger's binding and a
// call's field of the same name would otherwise both be written), and an expected error (GitError,
// an API server answer such as 404, a refused connection) is logged without its stack trace.
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

/** Error classes that describe the world (bad input, a refusing server), not a bug: no stack trace. */
const EXPECTED_ERRORS = new Set(['GitError', 'ValidationError', 'UsageError', 'HttpStatusError', 'AbortError', 'TimeoutError', 'ApiException']);
const NETWORK_CODES = /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/;

/**
 * Whether an error is an expected one, logged without its stack: a Kure error class above, an error
 * marked `expected: true`, an answer of an HTTP server (numeric `code`/`statusCode`/`status`, like
 * client-node's ApiException for a 404), a system error (ECONNREFUSED, ETIMEDOUT...), or fetch's
 * "fetch failed" (no answer; its cause says why).
 * Anything else (TypeError, RangeError...) is a bug and keeps its stack.
 */
export function isExpectedError(err: unknown): boolean {
  if (!(err instanceof Error)) return true;
  const e = err as Error & { expected?: unknown; code?: unknown; statusCode?: unknown; status?: unknown };
  if (e.expected === true) return true;
  if (EXPECTED_ERRORS.has(e.name) || EXPECTED_ERRORS.has(e.constructor?.name ?? '')) return true;
  if ([e.code, e.statusCode, e.status].some((c) => typeof c === 'number' && c >= 100 && c < 600)) return true;
  if (typeof e.code === 'string' && NETWORK_CODES.test(e.code)) return true;
  // fetch's (undici's) wording for a request that got no answer; the reason is its cause.
  return e.name === 'TypeError' && e.message === 'fetch failed' && e.cause !== undefined;
}

/** Deep copy of a log payload with credentials removed (bounded depth; cycles cut). */
export function scrub(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return scrubString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8 || seen.has(value)) return '[…]';
  seen.add(value);
  if (value instanceof Error) {
    const out: Record<string, unknown> = { type: value.name, message: scrubString(value.message) };
    if (value.stack && !isExpectedError(value)) out.stack = scrubString(value.stack);
    for (const [k, v] of Object.entries(value)) {
      if (k === 'body' || k === 'headers') continue; // API error bodies may echo objects back
      if (k === 'name' || k === 'message' || k === 'stack') continue; // already there (a class field `name` is enumerable)
      out[k] = SECRET_KEYS.test(k) ? REDACTED : scrub(v, depth + 1, seen);
    }
    if (value.cause !== undefined && !('cause' in out)) out.cause = scrub(value.cause, depth + 1, seen);
    return out;
  }
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEYS.test(k) ? REDACTED : scrub(v, depth + 1, seen);
  return out;
}

export const LOG_FORMATS = ['json', 'text'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

const BASE_COMPONENT = 'kure-controller';

/**
 * The destination pino writes to: each record (a JSON line) is parsed, which keeps the last value of
 * a repeated key, and written again as JSON or as text.
 */
export function formattingDestination(format: LogFormat, out: DestinationStream): DestinationStream {
  return {
    write(line: string) {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        out.write(line);
        return;
      }
      out.write(`${format === 'text' ? textLine(record) : JSON.stringify(record)}\n`);
    },
  };
}

const BARE = /^[^\s"=\\]+$/;
function textValue(v: unknown): string {
  if (typeof v === 'string') return BARE.test(v) ? v : JSON.stringify(v);
  if (v === null || typeof v !== 'object') return String(v);
  if (Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object')) return textValue(v.join(','));
  return JSON.stringify(v);
}

/** One record as one line: `TIME LEVEL message key=value ...` (values quoted when they need it). */
export function textLine(record: Record<string, unknown>): string {
  const { time, level, msg, component, ...rest } = record;
  const parts = [String(time ?? ''), String(level ?? '').toUpperCase().padEnd(5)];
  if (component !== undefined && component !== BASE_COMPONENT) parts.push(`[${String(component)}]`);
  parts.push(String(msg ?? ''));
  const fields = (prefix: string, obj: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(obj)) {
      if (v === undefined) continue;
      if (k === 'err' || k === 'error' || k === 'cause') {
        const e = v as Record<string, unknown> | null;
        if (e && typeof e === 'object' && typeof e.message === 'string') {
          const { type, message, stack, ...more } = e;
          parts.push(`${prefix}${k}=${textValue(type ? `${String(type)}: ${message}` : message)}`);
          fields(`${prefix}${k}.`, more);
          if (typeof stack === 'string') parts.push(`${prefix}${k}.stack=${JSON.stringify(stack)}`);
          continue;
        }
      }
      parts.push(`${prefix}${k}=${textValue(v)}`);
    }
  };
  fields('', rest);
  return parts.join(' ');
}

export function createLogger(level = 'info', destination?: DestinationStream, format: LogFormat = 'json'): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { component: BASE_COMPONENT },
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
  return pino(options, formattingDestination(format, destination ?? pino.destination({ dest: 1, sync: true })));
}
