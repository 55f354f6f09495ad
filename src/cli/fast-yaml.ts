// The fast path of the reader: js-yaml (about 8x faster than the `yaml` package and a third of its
// memory on a 3 MB fleet) for the common case, with the `yaml` package's YAML 1.2 core schema
// rules, so both give the same values. Anything this path does not handle identically — tags,
// anchors and aliases, directives, complex or null keys, any error — makes it answer `undefined`,
// and the caller parses with the `yaml` package, which also gives the file:line:col messages.
import jsyaml from 'js-yaml';

// The `yaml` package's core schema (yaml/dist/schema/core): same tests, same order, same values.
// Each test is gated on the first character, since every plain scalar is tried against all four.
const INT_OCT = /^0o[0-7]+$/;
const INT_DEC = /^[-+]?[0-9]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;
/** Can `s` be a number: does it start with a digit, a sign or a dot? */
const numeric = (s: string): boolean => {
  const c = s.charCodeAt(0);
  return (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46;
};

const nullType = new jsyaml.Type('tag:yaml.org,2002:null', {
  kind: 'scalar',
  resolve: (s: string) => s === '' || s === '~' || s === 'null' || s === 'Null' || s === 'NULL', // /^(?:~|[Nn]ull|NULL)?$/
  construct: () => null,
});
const boolType = new jsyaml.Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  // /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/
  resolve: (s: string) => s === 'true' || s === 'True' || s === 'TRUE' || s === 'false' || s === 'False' || s === 'FALSE',
  construct: (s: string) => s[0] === 't' || s[0] === 'T',
});
const intType = new jsyaml.Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (s: string) => numeric(s) && (INT_OCT.test(s) || INT_DEC.test(s) || INT_HEX.test(s)),
  construct: (s: string) => (INT_OCT.test(s) ? parseInt(s.substring(2), 8) : INT_DEC.test(s) ? parseInt(s, 10) : parseInt(s.substring(2), 16)),
});
const floatType = new jsyaml.Type('tag:yaml.org,2002:float', {
  kind: 'scalar',
  resolve: (s: string) => numeric(s) && (FLOAT_NAN.test(s) || FLOAT_EXP.test(s) || FLOAT.test(s)),
  construct: (s: string) =>
    FLOAT_NAN.test(s) ? (s.slice(-3).toLowerCase() === 'nan' ? NaN : s[0] === '-' ? -Infinity : Infinity) : parseFloat(s),
});
const SCHEMA = jsyaml.FAILSAFE_SCHEMA.extend({ implicit: [nullType, boolType, intType, floatType] });

/**
 * Constructs where the two libraries could differ, found in the text (a false alarm only costs
 * speed): a tag, anchor or alias (`!`, `&`, `*` where a node may start), a directive (`%` at the
 * start of a line), an explicit key (`?` then a space). None of `!&*?%` is common in Kure input,
 * so one quick search usually rules them all out.
 */
function unusual(text: string): boolean {
  const re = /[!&*?%]/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const i = m.index;
    const before = i === 0 ? '\n' : text[i - 1]!;
    const after = text[i + 1] ?? '\n';
    switch (m[0]) {
      case '%':
        if (before === '\n' || before === '\uFEFF') return true;
        break;
      case '?':
        if (/[\s[{,\uFEFF]/.test(before) && /\s/.test(after)) return true;
        break;
      default:
        if (/[\s[\]{},:\uFEFF]/.test(before)) return true;
    }
  }
  return false;
}

/**
 * Texts only the `yaml` package rejects or reads differently, found by their characters: a flow
 * collection as a key (`[a]: b`, stringified differently), a comment right after a flow collection
 * or a quoted scalar (`[a]#c`, `"a"#c`), a carriage return that is not followed by a line feed.
 */
const TEXT_DIFFERENCES = /[\]}][ \t]*:|[\]}"']#|\r(?!\n)/;

/** Whether the node starting at `i` (after blanks, line breaks and comments) is a flow collection. */
function startsFlow(text: string, i: number): boolean {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) i++;
    else if (c === 35) {
      const nl = text.indexOf('\n', i); // '#': a comment to the end of the line
      if (nl < 0) return false;
      i = nl + 1;
    } else return c === 91 || c === 123; // '[' or '{'
  }
}

/** Every document's value, or undefined when the `yaml` package must parse this text. */
export function fastLoadAll(text: string): unknown[] | undefined {
  if (unusual(text) || TEXT_DIFFERENCES.test(text)) return undefined;
  // What js-yaml takes and the `yaml` package does not, or names differently, seen as nodes close:
  // - a null key (`~:`, `null:`, or nothing before the `:`): "null" to js-yaml, "" to the `yaml`
  //   package. A node that closes as null right before a `:` is one;
  // - an implicit key longer than 1024 characters (YAML 1.2 forbids it; only the `yaml` package
  //   checks): a node closing right before a `:` far into its line may be one;
  // - a flow collection over several lines inside a block collection (the `yaml` package wants its
  //   lines indented past the block's; js-yaml does not check): one not inside a document whose
  //   root is a flow collection (JSON) is suspect.
  let suspect = false;
  let depth = 0;
  let openLines = new Int32Array(128);
  let flowRoot = false;
  const listener = (event: string, state: jsyaml.State): void => {
    if (event === 'open') {
      if (depth === openLines.length) {
        const grown = new Int32Array(depth * 2);
        grown.set(openLines);
        openLines = grown;
      }
      if (depth === 0) flowRoot = startsFlow(state.input, state.position);
      openLines[depth++] = state.line;
      return;
    }
    const openLine = openLines[--depth]!;
    if (suspect) return;
    const input = state.input;
    const p = state.position;
    if (state.line !== openLine && !flowRoot && typeof state.result === 'object' && state.result !== null) {
      const last = input.charCodeAt(p - 1);
      if (last === 93 || last === 125) suspect = true; // ']' or '}': a flow collection ended here
    }
    if (state.result !== null && p - state.lineStart < 1000) return;
    let i = p;
    let c = input.charCodeAt(i);
    while (c === 32 || c === 9) c = input.charCodeAt(++i);
    if (c === 58) suspect = true; // ':'
  };
  try {
    const docs = jsyaml.loadAll(text, null, { schema: SCHEMA, listener });
    return suspect ? undefined : docs;
  } catch {
    return undefined; // invalid, or beyond js-yaml's limits: the `yaml` package says where and why
  }
}
