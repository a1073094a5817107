// config.json as text, both ways: where a malformed one stops being JSON (a `line:column` for
// the error message), and writing one as HF's save_pretrained does (Python's json.dumps with
// indent=2 and sort_keys=True, floats in Python's repr). What the fields mean is config.ts's.

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** 1-based line and column of a character offset. */
function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `${line}:${offset - before.lastIndexOf('\n')}`;
}

/**
 * Offset of the first character that makes `text` invalid JSON (text.length when it ends early).
 * Node 20's JSON.parse does not always say where it stopped, so the grammar is walked here.
 */
function jsonErrorOffset(text: string): number {
  let i = 0;
  const fail = (): never => {
    throw i;
  };
  const is = (pattern: RegExp): boolean => i < text.length && pattern.test(text[i]);
  const skipSpace = (): void => {
    while (is(/[ \t\n\r]/)) i++;
  };
  const literal = (word: string): void => {
    for (const c of word) {
      if (text[i] !== c) fail();
      i++;
    }
  };
  const digits = (): void => {
    if (!is(/[0-9]/)) fail();
    while (is(/[0-9]/)) i++;
  };
  const string = (): void => {
    literal('"');
    while (text[i] !== '"') {
      if (i >= text.length || text.charCodeAt(i) < 0x20) fail();
      if (text[i++] !== '\\') continue;
      if (is(/["\\/bfnrt]/)) i++;
      else if (text[i] === 'u') {
        i++;
        for (let k = 0; k < 4; k++) {
          if (!is(/[0-9a-fA-F]/)) fail();
          i++;
        }
      } else fail();
    }
    i++;
  };
  const number = (): void => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else digits();
    if (text[i] === '.') {
      i++;
      digits();
    }
    if (is(/[eE]/)) {
      i++;
      if (is(/[+-]/)) i++;
      digits();
    }
  };
  const sequence = (close: string, item: () => void): void => {
    i++;
    skipSpace();
    if (text[i] !== close) {
      item();
      while (text[i] === ',') {
        i++;
        item();
      }
    }
    literal(close);
  };
  const member = (): void => {
    skipSpace();
    string();
    skipSpace();
    literal(':');
    value();
  };
  const value = (): void => {
    skipSpace();
    if (text[i] === '{') sequence('}', member);
    else if (text[i] === '[') sequence(']', value);
    else if (text[i] === '"') string();
    else if (is(/[-0-9]/)) number();
    else if (text[i] === 't') literal('true');
    else if (text[i] === 'f') literal('false');
    else if (text[i] === 'n') literal('null');
    else fail();
    skipSpace();
  };
  try {
    value();
    if (i < text.length) fail();
  } catch (offset) {
    return offset as number;
  }
  return text.length;
}

/** `line:column` (1-based) of the first character that makes `text` invalid JSON. */
export function jsonErrorPosition(text: string): string {
  return lineColumn(text, jsonErrorOffset(text));
}

/** A float as Python's repr writes it: `0.0`, `0.02`, `1e-12`, `1e-05`. */
function pythonFloat(value: number): string {
  const [mantissa, exponent] = value.toExponential().split('e');
  const e = Number(exponent);
  if (e < -4 || e >= 16) return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  return Number.isInteger(value) ? `${value}.0` : String(value);
}

/** Keys in json.dumps(sort_keys=True) order: numeric when all are integers (HF's id2label has int keys in memory). */
function pythonKeyOrder(keys: string[]): string[] {
  const numeric = keys.every((key) => /^(0|[1-9][0-9]*)$/.test(key));
  return numeric ? keys.sort((a, b) => Number(a) - Number(b)) : keys.sort();
}

/**
 * JSON as Python's json.dumps(indent=2, sort_keys=True) writes it (ASCII only, sorted keys);
 * the numbers under `floatKeys` (of this object only) as Python floats.
 */
export function pythonJson(value: unknown, indent: string, floatKeys: ReadonlySet<string> = new Set()): string {
  if (typeof value === 'string') return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((item) => inner + pythonJson(item, inner)).join(',\n')}\n${indent}]`;
  }
  if (isObject(value)) {
    const keys = pythonKeyOrder(Object.keys(value));
    if (keys.length === 0) return '{}';
    return `{\n${keys.map((key) => `${inner}${pythonJson(key, inner)}: ${floatKeys.has(key) && typeof value[key] === 'number' ? pythonFloat(value[key] as number) : pythonJson(value[key], inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}
