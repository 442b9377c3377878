// JSON SOPS files (and binary files, which sops stores as JSON with one `data` value): read
// keeping the order of keys (JSON.parse would move integer-like keys first), written as sops
// writes them (Go's encoding/json, then indented with tabs, no final newline).
import {
  branch,
  goFormatFloat,
  isBranch,
  isList,
  SopsComment,
  SopsError,
  SopsFloat,
  SopsInt,
  type SopsBranch,
  type SopsList,
  type SopsValue,
} from './tree';

class JsonReader {
  private i = 0;
  constructor(private readonly s: string) {}

  fail(what: string): never {
    const before = this.s.slice(0, this.i);
    const line = before.split('\n').length;
    throw new SopsError('SopsFormat', `The file is not valid JSON: ${what} at line ${line}.`);
  }

  ws(): void {
    while (this.i < this.s.length && ' \t\n\r'.includes(this.s[this.i])) this.i++;
  }

  value(): SopsValue {
    this.ws();
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === 't' && this.s.startsWith('true', this.i)) return ((this.i += 4), true);
    if (c === 'f' && this.s.startsWith('false', this.i)) return ((this.i += 5), false);
    if (c === 'n' && this.s.startsWith('null', this.i)) return ((this.i += 4), null);
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/.exec(this.s.slice(this.i, this.i + 400));
    if (m) {
      this.i += m[0].length;
      return new SopsFloat(Number(m[0]));
    }
    return this.fail(c === undefined ? 'unexpected end' : `unexpected "${c}"`);
  }

  string(): string {
    const start = this.i;
    this.i++;
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c === '"') {
        this.i++;
        try {
          return JSON.parse(this.s.slice(start, this.i)) as string;
        } catch {
          return this.fail('a bad string');
        }
      }
      if (c === '\\') this.i++;
      this.i++;
    }
    return this.fail('an unterminated string');
  }

  object(): SopsBranch {
    this.i++;
    const out = branch();
    this.ws();
    if (this.s[this.i] === '}') return (this.i++, out);
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail('a key that is not a string');
      const key = this.string();
      this.ws();
      if (this.s[this.i] !== ':') this.fail('a missing ":"');
      this.i++;
      out.push({ key, value: this.value() });
      this.ws();
      const c = this.s[this.i];
      this.i++;
      if (c === '}') return out;
      if (c !== ',') this.fail('a missing "," or "}"');
    }
  }

  array(): SopsList {
    this.i++;
    const out: SopsList = [];
    this.ws();
    if (this.s[this.i] === ']') return (this.i++, out);
    for (;;) {
      out.push(this.value());
      this.ws();
      const c = this.s[this.i];
      this.i++;
      if (c === ']') return out;
      if (c !== ',') this.fail('a missing "," or "]"');
    }
  }

  end(): void {
    this.ws();
    if (this.i < this.s.length) this.fail('text after the end');
  }
}

export function parseJson(text: string): SopsBranch {
  const reader = new JsonReader(text.replace(/^\uFEFF/, ''));
  const value = reader.value();
  reader.end();
  if (!isBranch(value)) throw new SopsError('SopsFormat', 'The top level of a SOPS JSON file must be an object.');
  return value;
}

/** encoding/json's string form (HTML characters and U+2028/2029 escaped, as Go does). */
export function goJsonString(s: string): string {
  let out = '"';
  for (const c of s) {
    const code = c.codePointAt(0)!;
    if (c === '"') out += '\\"';
    else if (c === '\\') out += '\\\\';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (code < 0x20 || c === '<' || c === '>' || c === '&' || code === 0x2028 || code === 0x2029)
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += c;
  }
  return `${out}"`;
}

function jsonValue(value: SopsValue | SopsComment, depth: number): string {
  const pad = '\t'.repeat(depth + 1);
  const close = '\t'.repeat(depth);
  if (isBranch(value)) {
    const items = value.filter((i) => !(i.key instanceof SopsComment));
    if (items.length === 0) return '{}';
    return `{\n${items.map((i) => `${pad}${goJsonString(i.key as string)}: ${jsonValue(i.value, depth + 1)}`).join(',\n')}\n${close}}`;
  }
  if (isList(value)) {
    const items = value.filter((i) => !(i instanceof SopsComment));
    if (items.length === 0) return '[]';
    return `[\n${items.map((i) => `${pad}${jsonValue(i, depth + 1)}`).join(',\n')}\n${close}]`;
  }
  if (value === null) return 'null';
  if (typeof value === 'string') return goJsonString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof SopsInt) return value.value.toString();
  if (value instanceof SopsFloat) {
    if (!Number.isFinite(value.value)) throw new SopsError('SopsFormat', 'JSON cannot hold an infinite or NaN number.');
    return goFormatFloat(value.value, 'json');
  }
  if (value instanceof SopsComment) return goJsonString(value.value);
  return goJsonString(Buffer.from(value).toString('base64'));
}

/** The JSON sops writes for a tree (tab indentation, no final newline). */
export function emitJson(tree: SopsBranch): string {
  return jsonValue(tree, 0);
}
