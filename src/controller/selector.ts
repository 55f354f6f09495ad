// Kubernetes label selectors, as `kubectl -l` and apimachinery's labels.Parse take them:
//   equality-based  env=prod  env==prod  env!=prod
//   set-based       env in (prod,staging)  env notin (dev)  tier  !canary
//   numeric         replicas>2  replicas<5 (the label value must be an integer)
// Requirements are separated by commas and all must hold (AND). Keys are [prefix/]name (prefix a DNS
// subdomain of at most 253 characters, name at most 63 of [A-Za-z0-9-_.], alphanumeric at both ends),
// values at most 63 such characters or empty. Pure: no I/O, used by --shard-selector.

export type Operator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';

export interface Requirement {
  key: string;
  operator: Operator;
  /** In/NotIn: the set (Equals is In with one value, NotEquals NotIn with one); Gt/Lt: one integer; Exists/DoesNotExist: none. */
  values: string[];
}

/** A selector that does not parse; the message says where and why. */
export class SelectorError extends Error {
  override name = 'SelectorError';
}

type TokenKind = 'ident' | '!' | '=' | '==' | '!=' | '(' | ')' | ',' | '>' | '<' | 'end';
interface Token {
  kind: TokenKind;
  text: string;
  pos: number;
}

const OPERATOR_CHARS = new Set(['!', '=', '(', ')', ',', '>', '<']);

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const two = s.slice(i, i + 2);
    if (two === '==' || two === '!=') {
      out.push({ kind: two, text: two, pos: i });
      i += 2;
      continue;
    }
    if (OPERATOR_CHARS.has(c)) {
      out.push({ kind: c as TokenKind, text: c, pos: i });
      i++;
      continue;
    }
    const start = i;
    while (i < s.length && !/\s/.test(s[i]!) && !OPERATOR_CHARS.has(s[i]!)) i++;
    out.push({ kind: 'ident', text: s.slice(start, i), pos: start });
  }
  out.push({ kind: 'end', text: '', pos: s.length });
  return out;
}

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why a label key is invalid, or undefined when it is valid. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const [prefix, name] = slash >= 0 ? [key.slice(0, slash), key.slice(slash + 1)] : [undefined, key];
  if (prefix !== undefined) {
    if (prefix === '') return 'the prefix before "/" must not be empty';
    if (prefix.length > 253) return 'the prefix must be at most 253 characters';
    if (!DNS_SUBDOMAIN.test(prefix)) return `the prefix "${prefix}" must be a DNS subdomain (lower-case alphanumerics, "-" and ".")`;
  }
  if (name === '') return 'the name must not be empty';
  if (name.length > 63) return `the name "${name}" must be at most 63 characters`;
  if (!NAME.test(name)) return `the name "${name}" must consist of alphanumerics, "-", "_" or ".", and start and end with an alphanumeric`;
  return undefined;
}

/** Why a label value is invalid, or undefined when it is valid (empty is valid). */
export function labelValueProblem(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63) return `the value "${value}" must be at most 63 characters`;
  if (!NAME.test(value)) return `the value "${value}" must consist of alphanumerics, "-", "_" or ".", and start and end with an alphanumeric`;
  return undefined;
}

const describe = (t: Token) => (t.kind === 'end' ? 'the end' : `"${t.text}"`);

/** Parses a label selector; throws SelectorError naming the position and what was expected. An empty selector selects everything. */
export function parseSelector(selector: string): Requirement[] {
  const tokens = tokenize(selector);
  let i = 0;
  const peek = () => tokens[i]!;
  const next = () => tokens[i++]!;
  const fail = (t: Token, why: string): never => {
    throw new SelectorError(`at character ${t.pos + 1}: ${why}`);
  };
  const key = (): string => {
    const t = next();
    if (t.kind !== 'ident') fail(t, `expected a label key, found ${describe(t)}`);
    const problem = labelKeyProblem(t.text);
    if (problem) fail(t, `invalid label key "${t.text}": ${problem}`);
    return t.text;
  };
  const value = (after: string): string => {
    const t = peek();
    if (t.kind === ',' || t.kind === 'end') return ''; // `key=` selects the empty value, as kubectl does
    if (t.kind !== 'ident') fail(t, `expected a value after "${after}", found ${describe(t)}`);
    i++;
    const problem = labelValueProblem(t.text);
    if (problem) fail(t, `invalid label value: ${problem}`);
    return t.text;
  };
  const set = (op: string): string[] => {
    const open = next();
    if (open.kind !== '(') fail(open, `expected "(" after "${op}", found ${describe(open)}`);
    const values: string[] = [];
    if (peek().kind === ')') {
      i++;
      return [''];
    }
    for (;;) {
      const t = peek();
      if (t.kind === ',' || t.kind === ')') values.push(''); // `(a,,b)`: an empty value, as apimachinery reads it
      else {
        if (t.kind !== 'ident') fail(t, `expected a value or ")" in the "${op}" list, found ${describe(t)}`);
        const problem = labelValueProblem(t.text);
        if (problem) fail(t, `invalid label value: ${problem}`);
        values.push(t.text);
        i++;
      }
      const sep = next();
      if (sep.kind === ')') return [...new Set(values)];
      if (sep.kind !== ',') fail(sep, `expected "," or ")" in the "${op}" list, found ${describe(sep)}`);
    }
  };
  const integer = (op: string): string => {
    const t = next();
    if (t.kind !== 'ident' || !/^-?\d+$/.test(t.text)) fail(t, `expected an integer after "${op}", found ${describe(t)}`);
    return t.text;
  };

  const out: Requirement[] = [];
  if (peek().kind === 'end') return out;
  for (;;) {
    if (peek().kind === '!') {
      i++;
      out.push({ key: key(), operator: 'DoesNotExist', values: [] });
    } else {
      const k = key();
      const op = peek();
      if (op.kind === ',' || op.kind === 'end') out.push({ key: k, operator: 'Exists', values: [] });
      else if (op.kind === '=' || op.kind === '==') {
        i++;
        out.push({ key: k, operator: 'In', values: [value(op.text)] });
      } else if (op.kind === '!=') {
        i++;
        out.push({ key: k, operator: 'NotIn', values: [value(op.text)] });
      } else if (op.kind === '>' || op.kind === '<') {
        i++;
        out.push({ key: k, operator: op.kind === '>' ? 'Gt' : 'Lt', values: [integer(op.text)] });
      } else if (op.kind === 'ident' && (op.text === 'in' || op.text === 'notin')) {
        i++;
        out.push({ key: k, operator: op.text === 'in' ? 'In' : 'NotIn', values: set(op.text) });
      } else {
        fail(op, `expected an operator (=, ==, !=, in, notin, >, <) or "," after "${k}", found ${describe(op)}`);
      }
    }
    const sep = next();
    if (sep.kind === 'end') return out;
    if (sep.kind !== ',') fail(sep, `expected "," between requirements, found ${describe(sep)}`);
    if (peek().kind === 'end') fail(peek(), 'expected a requirement after ","');
  }
}

function matchesRequirement(labels: Readonly<Record<string, string>>, r: Requirement): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = has ? labels[r.key]! : undefined;
  switch (r.operator) {
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'In':
      return has && r.values.includes(v!);
    case 'NotIn':
      return !has || !r.values.includes(v!);
    case 'Gt':
    case 'Lt': {
      if (!has || !/^-?\d+$/.test(v!)) return false;
      const n = Number(v);
      const bound = Number(r.values[0]);
      return r.operator === 'Gt' ? n > bound : n < bound;
    }
  }
}

const parsed = new Map<string, Requirement[]>();

/**
 * Whether an object's labels satisfy a label selector (a string, parsed once and remembered, or the
 * result of parseSelector). An empty selector matches everything; a selector that does not parse throws
 * SelectorError (options.ts validates --shard-selector up front).
 */
export function matchesSelector(labels: Readonly<Record<string, string>> | undefined, selector: string | readonly Requirement[]): boolean {
  let requirements: readonly Requirement[];
  if (typeof selector === 'string') {
    let cached = parsed.get(selector);
    if (!cached) {
      cached = parseSelector(selector);
      if (parsed.size > 100) parsed.clear();
      parsed.set(selector, cached);
    }
    requirements = cached;
  } else requirements = selector;
  const l = labels ?? {};
  return requirements.every((r) => matchesRequirement(l, r));
}
