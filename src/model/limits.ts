// Limits on input, the same for the CLI (src/cli/read.ts) and the controller: a file or object
// larger than these, or nested deeper, is refused with a message naming it, in bounded time and
// memory, before anything recursive (the YAML composer, validation, rendering) touches it.
//
// - MAX_FILE_BYTES: one input file (or stdin) of the CLI. A fleet of 10,000 applications is a few MB.
// - MAX_OBJECT_BYTES: one Kure resource, as JSON. The API server refuses objects above about 1.5 MiB
//   (etcd's default request limit), so nothing a cluster can hold is refused; the CLI applies the same.
// - MAX_DEPTH: nesting of maps and lists in one document. Real manifests nest about 20 levels (a
//   CRD's openAPIV3Schema maybe 40); 100 leaves room and stays far below any stack limit.
import { Lexer } from 'yaml';

export const MAX_FILE_BYTES = 16 * 1024 * 1024;
export const MAX_OBJECT_BYTES = 1536 * 1024;
export const MAX_DEPTH = 100;

const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(n % (1024 * 1024) === 0 ? 0 : 1)} MiB`;

/** A message when `bytes` (of `what`, e.g. a file name) exceed `max`, else undefined. */
export function checkSize(what: string, bytes: number, max: number): string | undefined {
  if (bytes <= max) return undefined;
  return `${what} is ${bytes} bytes, more than the limit of ${max} bytes (${mib(max)}); it is refused`;
}

/**
 * Where a YAML text nests deeper than `max` before it is parsed, as a character offset, else
 * undefined. Linear in the text and not recursive (yaml's lexer is a state machine), so a document
 * of a million `[` costs a scan, not a stack overflow. It counts flow collections (`[`, `{`), whose
 * nesting costs one byte a level, and compact block collections on one line (`- - - x`, `? ? x`),
 * two bytes a level; nesting by indentation costs its indentation on every line (quadratic in the
 * depth), so MAX_FILE_BYTES bounds it, and checkDepth catches it after parsing.
 */
export function yamlNestingOffset(text: string, max = MAX_DEPTH, scan = scanNesting(text)): number | undefined {
  if (scan.flow <= max && scan.compact <= max) return undefined;
  let flow = 0;
  let compact = 0; // block indicators since the start of the line
  let offset = 0;
  for (const token of new Lexer().lex(text)) {
    const c = token[0];
    if (token === '[' || token === '{') {
      if (++flow > max) return offset;
    } else if (token === ']' || token === '}') {
      if (flow > 0) flow--;
    } else if (token === '-' || token === '?') {
      if (flow === 0 && ++compact > max) return offset;
    } else if (c === '\n' || c === '\r') {
      compact = 0;
    } else if (token === '---' || token === '...') {
      flow = 0;
      compact = 0;
    }
    // The lexer also yields one-character markers (document start, scalar, flow end) that are not source text.
    if (!(token.length === 1 && (c === '\x02' || c === '\x18' || c === '\x1f' || c === '\ufeff'))) offset += token.length;
  }
  return undefined;
}

/** What a quick scan finds: the most open brackets, `- `/`? ` runs at a line's start, and indentation. */
export interface NestingScan {
  flow: number;
  compact: number;
  indent: number;
}

/**
 * One pass over the characters: brackets counted whether quoted or not, `- `/`? ` runs at the start
 * of a line, leading spaces. Upper bounds, so that ordinary input pays this scan and nothing more.
 */
export function scanNesting(text: string): NestingScan {
  let flow = 0;
  let compact = 0;
  let indent = 0;
  const max = { flow: 0, compact: 0, indent: 0 };
  let lineStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 91 || c === 123) {
      if (++flow > max.flow) max.flow = flow;
      lineStart = false;
    } else if (c === 93 || c === 125) {
      if (flow > 0) flow--;
      lineStart = false;
    } else if (c === 10) {
      lineStart = true;
      compact = 0;
      indent = 0;
    } else if (lineStart && (c === 45 || c === 63) && text.charCodeAt(i + 1) === 32) {
      if (++compact > max.compact) max.compact = compact;
      i++;
    } else if (lineStart && c === 32) {
      if (compact === 0 && ++indent > max.indent) max.indent = indent;
    } else {
      lineStart = false;
    }
  }
  return max;
}

/**
 * Whether a document of this scan could nest deeper than `max` at all: a block level costs at least
 * one space of indentation, or two levels per step for a sequence at its map's indentation.
 */
export function mayExceedDepth(scan: NestingScan, max = MAX_DEPTH): boolean {
  return 2 * (scan.indent + 1) + scan.flow + 2 * scan.compact > max;
}

/**
 * The path of the first value nested deeper than `max` (maps and lists), e.g. `spec.manifests[0].data`,
 * else undefined. Iterative, so any depth is safe to check.
 */
export function checkDepth(value: unknown, max = MAX_DEPTH): string | undefined {
  const stack: { v: unknown; depth: number; path: string }[] = [{ v: value, depth: 0, path: '' }];
  while (stack.length > 0) {
    const { v, depth, path } = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= max) return path || '(top level)';
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], depth: depth + 1, path: `${path}[${i}]` });
    } else {
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i]!;
        stack.push({ v: (v as Record<string, unknown>)[k], depth: depth + 1, path: path ? `${path}.${k}` : k });
      }
    }
  }
  return undefined;
}

/**
 * The controller's check of one Kure object as it arrives from the API server (its JSON size and
 * nesting): a message naming the object, or undefined when it is within the limits.
 */
export function checkObjectLimits(obj: { kind?: string; metadata?: { namespace?: string; name?: string }; [field: string]: unknown }, jsonBytes?: number): string | undefined {
  const name = `${obj.kind ?? 'object'} ${obj.metadata?.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata?.name ?? '(no name)'}`;
  const deep = checkDepth(obj);
  if (deep !== undefined) return `${name}: ${deep} is nested deeper than ${MAX_DEPTH} levels; it is refused`;
  const bytes = jsonBytes ?? Buffer.byteLength(JSON.stringify(obj));
  return checkSize(name, bytes, MAX_OBJECT_BYTES);
}
