/**
 * A strict JSON parser (RFC 8259: no comments, no trailing commas, which is what KMS
 * accepts) that keeps where every value is, so problems can point at a line and column and
 * form edits can reuse the original text of what they did not change. Pure TypeScript:
 * the webview bundles the same code.
 */

export type JsonPath = readonly (string | number)[];

interface NodeBase {
  /** Offset of the first character of the value. */
  readonly offset: number;
  /** Length of the value's text. */
  readonly length: number;
}

export interface JsonObjectNode extends NodeBase {
  readonly type: 'object';
  readonly properties: JsonPropertyNode[];
}

export interface JsonPropertyNode {
  readonly key: string;
  /** Offset and length of the key's text, quotes included. */
  readonly keyOffset: number;
  readonly keyLength: number;
  readonly value: JsonNode;
}

export interface JsonArrayNode extends NodeBase {
  readonly type: 'array';
  readonly items: JsonNode[];
}

export interface JsonScalarNode extends NodeBase {
  readonly type: 'string' | 'number' | 'boolean' | 'null';
  readonly value: string | number | boolean | null;
}

export type JsonNode = JsonObjectNode | JsonArrayNode | JsonScalarNode;

export interface JsonSyntaxError {
  readonly message: string;
  readonly offset: number;
  readonly length: number;
}

export interface DuplicateKey {
  readonly key: string;
  readonly path: JsonPath;
  readonly offset: number;
  readonly length: number;
}

export interface JsonParseResult {
  /** The parsed tree; undefined when the text has a syntax error. */
  readonly root?: JsonNode;
  /** At most one: parsing stops at the first syntax error. */
  readonly errors: readonly JsonSyntaxError[];
  /** Keys that appear twice in one object (JSON.parse keeps the last; IAM rejects them). */
  readonly duplicateKeys: readonly DuplicateKey[];
}

class SyntaxProblem extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly length: number,
  ) {
    super(message);
  }
}

/** Nesting deeper than this is refused (a key policy is at most 32 KB and a few levels deep). */
const MAX_DEPTH = 64;

export function parseJson(text: string): JsonParseResult {
  const duplicateKeys: DuplicateKey[] = [];
  let pos = 0;

  const describeAt = (at: number): string => {
    if (at >= text.length) return 'the end of the text';
    const ch = text[at];
    if (ch === '\n' || ch === '\r') return 'the end of the line';
    return `"${ch}"`;
  };
  const fail = (message: string, at = pos, length = 1): never => {
    throw new SyntaxProblem(message, Math.min(at, text.length), at >= text.length ? 0 : length);
  };
  const skipWhitespace = (): void => {
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) pos++;
      else if (c === 0x2f && (text[pos + 1] === '/' || text[pos + 1] === '*'))
        fail('Comments are not allowed in a key policy: remove the comment.', pos, 2);
      else break;
    }
  };

  const parseString = (): string => {
    const start = pos;
    pos++; // opening quote
    let out = '';
    for (;;) {
      if (pos >= text.length) fail('Unterminated string: add the closing double quote.', start, 1);
      const ch = text[pos];
      if (ch === '"') {
        pos++;
        return out;
      }
      if (ch === '\\') {
        const esc = text[pos + 1];
        switch (esc) {
          case '"':
          case '\\':
          case '/':
            out += esc;
            pos += 2;
            break;
          case 'b':
            out += '\b';
            pos += 2;
            break;
          case 'f':
            out += '\f';
            pos += 2;
            break;
          case 'n':
            out += '\n';
            pos += 2;
            break;
          case 'r':
            out += '\r';
            pos += 2;
            break;
          case 't':
            out += '\t';
            pos += 2;
            break;
          case 'u': {
            const hex = text.slice(pos + 2, pos + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('Invalid \\u escape: it needs four hexadecimal digits.', pos, 2 + hex.length);
            out += String.fromCharCode(parseInt(hex, 16));
            pos += 6;
            break;
          }
          default:
            fail(`Invalid escape "\\${esc ?? ''}" in a string: use \\\\ for a backslash.`, pos, 2);
        }
        continue;
      }
      const code = ch.charCodeAt(0);
      if (code < 0x20)
        fail(
          ch === '\n'
            ? 'Unterminated string: a string cannot span lines; add the closing double quote.'
            : 'Control characters must be escaped in strings.',
          ch === '\n' ? start : pos,
          1,
        );
      out += ch;
      pos++;
    }
  };

  const parseNumber = (): JsonScalarNode => {
    const start = pos;
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(pos, pos + 400));
    if (!m) fail(`Unexpected ${describeAt(pos)}: expected a value.`, pos);
    const raw = (m as RegExpExecArray)[0];
    pos += raw.length;
    return { type: 'number', value: Number(raw), offset: start, length: raw.length };
  };

  const parseValue = (path: (string | number)[], depth: number): JsonNode => {
    if (depth > MAX_DEPTH) fail('The JSON is nested too deeply.', pos);
    skipWhitespace();
    if (pos >= text.length)
      fail(
        path.length === 0
          ? 'The text is empty: a key policy is a JSON object like {"Version": "2012-10-17", "Statement": [...]}.'
          : 'Unexpected end of the text: a value is missing.',
        pos,
        0,
      );
    const ch = text[pos];
    const start = pos;
    if (ch === '{') {
      pos++;
      const properties: JsonPropertyNode[] = [];
      const seen = new Set<string>();
      skipWhitespace();
      if (text[pos] === '}') {
        pos++;
        return { type: 'object', properties, offset: start, length: pos - start };
      }
      for (;;) {
        skipWhitespace();
        if (text[pos] !== '"') {
          if (text[pos] === '}' && properties.length) fail('Trailing comma: remove the comma before "}".', lastCommaBefore(pos));
          fail(`Unexpected ${describeAt(pos)}: expected a property name in double quotes.`, pos);
        }
        const keyOffset = pos;
        const key = parseString();
        const keyLength = pos - keyOffset;
        if (seen.has(key)) duplicateKeys.push({ key, path: [...path], offset: keyOffset, length: keyLength });
        seen.add(key);
        skipWhitespace();
        if (text[pos] !== ':') fail(`Unexpected ${describeAt(pos)}: expected ":" after the property name "${key}".`, pos);
        pos++;
        const value = parseValue([...path, key], depth + 1);
        properties.push({ key, keyOffset, keyLength, value });
        skipWhitespace();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === '}') {
          pos++;
          return { type: 'object', properties, offset: start, length: pos - start };
        }
        if (text[pos] === '"') fail(`Missing comma before the property ${readKeyPreview(pos)}.`, pos);
        fail(`Unexpected ${describeAt(pos)}: expected "," or "}" after the value of "${key}".`, pos);
      }
    }
    if (ch === '[') {
      pos++;
      const items: JsonNode[] = [];
      skipWhitespace();
      if (text[pos] === ']') {
        pos++;
        return { type: 'array', items, offset: start, length: pos - start };
      }
      for (;;) {
        skipWhitespace();
        if (text[pos] === ']' && items.length) fail('Trailing comma: remove the comma before "]".', lastCommaBefore(pos));
        items.push(parseValue([...path, items.length], depth + 1));
        skipWhitespace();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === ']') {
          pos++;
          return { type: 'array', items, offset: start, length: pos - start };
        }
        if (pos < text.length && /["{[\d\-tfn]/.test(text[pos])) fail('Missing comma between array items.', pos);
        fail(`Unexpected ${describeAt(pos)}: expected "," or "]" in the list.`, pos);
      }
    }
    if (ch === '"') {
      const value = parseString();
      return { type: 'string', value, offset: start, length: pos - start };
    }
    if (ch === '-' || (ch >= '0' && ch <= '9')) return parseNumber();
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return { type: value === null ? 'null' : 'boolean', value, offset: start, length: word.length };
      }
    }
    if (ch === "'") fail('Strings must use double quotes ("), not single quotes.', pos);
    const word = /^[A-Za-z_]\w*/.exec(text.slice(pos, pos + 60))?.[0];
    if (word) fail(`Unexpected word "${word}": strings must be in double quotes.`, pos, word.length);
    return fail(`Unexpected ${describeAt(pos)}: expected a value.`, pos);
  };

  const lastCommaBefore = (at: number): number => {
    let i = at - 1;
    while (i >= 0 && text[i] !== ',') i--;
    return Math.max(i, 0);
  };
  const readKeyPreview = (at: number): string => {
    const m = /^"((?:[^"\\\n]|\\.){0,40})"/.exec(text.slice(at, at + 44));
    return m ? `"${m[1]}"` : 'that follows';
  };

  try {
    // A byte-order mark is tolerated at the very start (editors on Windows add one).
    if (text.charCodeAt(0) === 0xfeff) pos = 1;
    const root = parseValue([], 0);
    skipWhitespace();
    if (pos < text.length) fail(`Unexpected ${describeAt(pos)} after the end of the policy: remove it.`, pos, text.length - pos);
    return { root, errors: [], duplicateKeys };
  } catch (e) {
    if (e instanceof SyntaxProblem) return { errors: [{ message: e.message, offset: e.offset, length: e.length }], duplicateKeys };
    throw e;
  }
}

/** The plain value of a node (what JSON.parse gives, keeping the last of duplicate keys). */
export function nodeValue(node: JsonNode): unknown {
  switch (node.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const p of node.properties) {
        // defineProperty so a key named "__proto__" is data, not the prototype.
        Object.defineProperty(out, p.key, { value: nodeValue(p.value), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    case 'array':
      return node.items.map(nodeValue);
    default:
      return node.value;
  }
}

/** The node at a path (property names and array indexes), or the deepest one found. */
export function nodeAtPath(root: JsonNode | undefined, path: JsonPath): { node?: JsonNode; property?: JsonPropertyNode; exact: boolean } {
  let node: JsonNode | undefined = root;
  let property: JsonPropertyNode | undefined;
  for (const step of path) {
    if (!node) return { exact: false };
    if (typeof step === 'number' && node.type === 'array' && step < node.items.length) {
      node = node.items[step];
      property = undefined;
    } else if (typeof step === 'string' && node.type === 'object') {
      // The last occurrence wins, like JSON.parse.
      const found: JsonPropertyNode | undefined = [...node.properties].reverse().find((p) => p.key === step);
      if (!found) return { node, property, exact: false };
      property = found;
      node = found.value;
    } else {
      return { node, property, exact: false };
    }
  }
  return { node, property, exact: true };
}

export interface TextPosition {
  /** 1-based. */
  readonly line: number;
  /** 1-based, in UTF-16 code units. */
  readonly column: number;
}

/** Line and column of an offset. */
export function positionAt(text: string, offset: number): TextPosition {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

/** Offset of a 1-based line and column. */
export function offsetAt(text: string, position: TextPosition): number {
  let line = 1;
  let i = 0;
  while (line < position.line && i < text.length) {
    if (text.charCodeAt(i) === 0x0a) line++;
    i++;
  }
  return Math.min(i + position.column - 1, text.length);
}
