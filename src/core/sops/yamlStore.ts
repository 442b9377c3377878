// YAML SOPS files: read with the `yaml` package (its document model keeps comments), written
// the way sops writes them (go-yaml v3, indent 4): comments on their own lines before what they
// describe, a line comment moved above its item, no blank lines, go-yaml's choice of quoting.
import type { Document, Node, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { secretsScan as yaml } from '../lazy/loadSecretsScan';
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

// ------------------------------------------------------------------------------ read

function commentLines(comment: string | null | undefined): SopsComment[] {
  if (!comment) return [];
  return comment
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => new SopsComment(line));
}

function scalarValue(node: Scalar, where: string): SopsValue {
  const v = node.value;
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return new SopsInt(v);
  if (typeof v === 'number') {
    const src = (node.source ?? '').trim();
    const m = /^([-+]?)(0x[0-9a-fA-F]+|0o[0-7]+|[0-9]+)$/.exec(src);
    if (m && node.type === 'PLAIN') {
      const magnitude = BigInt(m[2]);
      return new SopsInt(m[1] === '-' ? -magnitude : magnitude);
    }
    if (Number.isInteger(v) && !/[.eE]|inf|nan/i.test(src) && node.type === 'PLAIN') return new SopsInt(BigInt(v));
    return new SopsFloat(v);
  }
  if (v instanceof Uint8Array) return v;
  throw new SopsError('SopsFormat', `The YAML value at ${where} has a type SOPS cannot hold.`);
}

function nodeValue(node: unknown, doc: Document, where: string): SopsValue {
  if (node === null || node === undefined) return null;
  if (yaml().isAlias(node)) return nodeValue(node.resolve(doc), doc, where);
  if (yaml().isScalar(node)) return scalarValue(node, where);
  if (yaml().isMap(node)) return mapBranch(node, doc, where);
  if (yaml().isSeq(node)) return seqList(node, doc, where);
  throw new SopsError('SopsFormat', `The YAML at ${where} is not a value SOPS can hold.`);
}

function keyText(node: unknown, doc: Document, where: string): string {
  if (yaml().isAlias(node)) return keyText(node.resolve(doc), doc, where);
  if (yaml().isScalar(node)) {
    if (node.value === null || node.value === undefined) return '';
    if (typeof node.value === 'object')
      throw new SopsError('SopsFormat', `A key under ${where} is not text: SOPS supports only string keys.`);
    if (typeof node.value === 'string') return node.value;
    return node.source !== undefined && node.type === 'PLAIN' ? node.source : `${node.value as number | boolean | bigint}`;
  }
  throw new SopsError('SopsFormat', `A key under ${where} is a collection: SOPS supports only string keys.`);
}

function mapBranch(map: YAMLMap, doc: Document, where: string): SopsBranch {
  const out = branch(commentLines(map.commentBefore).map((c) => ({ key: c, value: null })));
  for (const pair of map.items) {
    if (!yaml().isPair(pair)) continue;
    const keyNode = pair.key as Node | null;
    const key = keyText(keyNode, doc, where);
    const path = where === '(top)' ? key : `${where}.${key}`;
    for (const c of commentLines(keyNode?.commentBefore)) out.push({ key: c, value: null });
    for (const c of commentLines(keyNode?.comment)) out.push({ key: c, value: null });
    const valueNode = pair.value as Node | null;
    const scalarLike = valueNode === null || yaml().isScalar(valueNode) || yaml().isAlias(valueNode);
    if (scalarLike && valueNode) {
      for (const c of commentLines(valueNode.commentBefore)) out.push({ key: c, value: null });
      for (const c of commentLines(valueNode.comment)) out.push({ key: c, value: null });
    }
    out.push({ key, value: nodeValue(valueNode, doc, path) });
  }
  for (const c of commentLines(map.comment)) out.push({ key: c, value: null });
  return out;
}

function seqList(seq: YAMLSeq, doc: Document, where: string): SopsList {
  const out: SopsList = [...commentLines(seq.commentBefore)];
  for (const item of seq.items) {
    const node = item as Node | null;
    if (node) {
      if (yaml().isScalar(node) || yaml().isAlias(node)) {
        out.push(...commentLines(node.commentBefore), ...commentLines(node.comment));
      } else {
        out.push(...commentLines(node.commentBefore));
      }
    }
    out.push(nodeValue(node, doc, where));
  }
  out.push(...commentLines(seq.comment));
  return out;
}

/** The documents of a YAML file as sops trees (one branch per document). */
export function parseYaml(text: string): SopsBranch[] {
  const docs = yaml().parseAllDocuments(text, { version: '1.2', uniqueKeys: false, intAsBigInt: false, strict: false });
  if (!Array.isArray(docs)) return [branch()];
  const branches: SopsBranch[] = [];
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) throw new SopsError('SopsFormat', `The file is not valid YAML: ${error.message}`);
    const contents = doc.contents as Node | null;
    let b: SopsBranch;
    if (contents === null || (yaml().isScalar(contents) && (contents.value === null || contents.value === undefined))) b = branch();
    else if (yaml().isMap(contents)) b = mapBranch(contents, doc, '(top)');
    else if (yaml().isSeq(contents))
      throw new SopsError('SopsFormat', 'YAML documents that are sequences are not supported by SOPS: the top level must be a mapping.');
    else throw new SopsError('SopsFormat', 'The top level of a SOPS YAML document must be a mapping.');
    const head = commentLines(doc.commentBefore).map((c) => ({ key: c, value: null }));
    const foot = commentLines(doc.comment).map((c) => ({ key: c, value: null }));
    if (contents && !yaml().isMap(contents)) head.push(...commentLines(contents.commentBefore).map((c) => ({ key: c, value: null })));
    branches.push(branch([...head, ...b, ...foot]));
  }
  if (branches.length === 0) branches.push(branch());
  return branches;
}

// ------------------------------------------------------------------------------ write

const INDENT = 4;

/** go-yaml v3's resolve(): what a plain scalar would be read back as. */
function resolvesToNonString(s: string): boolean {
  if (s === '' || s === '~' || /^(null|Null|NULL)$/.test(s)) return true;
  if (/^(true|True|TRUE|false|False|FALSE)$/.test(s)) return true;
  // YAML 1.1 booleans that go-yaml still quotes on output.
  if (/^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/.test(s)) return true;
  if (/^[-+]?(0|[1-9][0-9_]*)$/.test(s) || /^[-+]?0[0-7_]+$/.test(s)) return true;
  if (/^[-+]?0x[0-9a-fA-F_]+$/.test(s) || /^[-+]?0o[0-7_]+$/.test(s) || /^[-+]?0b[01_]+$/.test(s)) return true;
  if (/^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$/.test(s)) return true;
  if (/^[-+]?\.(inf|Inf|INF)$/.test(s) || /^\.(nan|NaN|NAN)$/.test(s)) return true;
  // base 60 floats (YAML 1.1), quoted by go-yaml
  if (/^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/.test(s)) return true;
  // timestamps
  if (/^\d{4}-\d{1,2}-\d{1,2}(?:(?:[Tt]|[ \t]+)\d{1,2}:\d{2}:\d{2}(?:\.\d*)?(?:[ \t]*(?:Z|[-+]\d{1,2}(?::?\d{2})?))?)?$/.test(s))
    return true;
  if (s === '<<') return true;
  return false;
}

function isPrintable(ch: number): boolean {
  return (
    ch === 0x09 ||
    ch === 0x0a ||
    ch === 0x0d ||
    (ch >= 0x20 && ch <= 0x7e) ||
    ch === 0x85 ||
    (ch >= 0xa0 && ch <= 0xd7ff) ||
    (ch >= 0xe000 && ch <= 0xfffd && ch !== 0xfeff) ||
    (ch >= 0x10000 && ch <= 0x10ffff)
  );
}

/** libyaml's analyze_scalar, for block context: may the text be written plain / single-quoted? */
function analyze(s: string): { plain: boolean; single: boolean } {
  if (s === '') return { plain: false, single: true };
  if (s.startsWith('---') || s.startsWith('...')) return { plain: false, single: true };
  let plain = true;
  let single = true;
  const chars = Array.from(s);
  let previousSpace = false;
  let previousBreak = false;
  let specialCharacters = false;
  let leadingSpace = false;
  let trailingSpace = false;
  let breakSpace = false;
  let spaceBreak = false;
  let lineBreaks = false;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    const next = chars[i + 1];
    const first = i === 0;
    const last = i === chars.length - 1;
    const followedBySpace = next === undefined || next === ' ' || next === '\t' || next === '\n' || next === '\r';
    // Indicators forbid the plain style only (libyaml's block_indicators).
    if (first) {
      if ('#,[]{}&*!|>\'"%@`'.includes(c)) plain = false;
      if ((c === '?' || c === ':') && followedBySpace) plain = false;
      if (c === '-' && followedBySpace) plain = false;
    } else {
      if (c === ':' && followedBySpace) plain = false;
      if (c === '#' && previousSpace) plain = false;
    }
    const code = c.codePointAt(0)!;
    if (!isPrintable(code) || code === 0xfeff) specialCharacters = true;
    if (c === '\n' || c === '\r' || code === 0x85 || code === 0x2028 || code === 0x2029) lineBreaks = true;
    if (c === ' ') {
      if (first) leadingSpace = true;
      if (last) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (c === '\n' || c === '\r') {
      if (first) leadingSpace = true;
      if (last) trailingSpace = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
  }
  if (leadingSpace || trailingSpace || breakSpace) plain = false;
  if (spaceBreak) {
    plain = false;
    single = false;
  }
  if (lineBreaks) plain = false;
  if (specialCharacters) {
    plain = false;
    single = false;
  }
  return { plain, single };
}

function doubleQuoted(s: string): string {
  let out = '"';
  for (const c of s) {
    const code = c.codePointAt(0)!;
    switch (c) {
      case '\0':
        out += '\\0';
        break;
      case '\x07':
        out += '\\a';
        break;
      case '\b':
        out += '\\b';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\v':
        out += '\\v';
        break;
      case '\f':
        out += '\\f';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\x1b':
        out += '\\e';
        break;
      case '"':
        out += '\\"';
        break;
      case '\\':
        out += '\\\\';
        break;
      default:
        if (code === 0x85) out += '\\N';
        else if (code === 0xa0) out += '\\_';
        else if (code === 0x2028) out += '\\L';
        else if (code === 0x2029) out += '\\P';
        else if (isPrintable(code) && code !== 0xfeff) out += c;
        else if (code <= 0xff) out += `\\x${code.toString(16).toUpperCase().padStart(2, '0')}`;
        else if (code <= 0xffff) out += `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
        else out += `\\U${code.toString(16).toUpperCase().padStart(8, '0')}`;
    }
  }
  return `${out}"`;
}

/** A string as go-yaml writes it; block literals return their lines after the indicator. */
function yamlString(s: string, indent: number, isKey: boolean): { inline: string; block?: string[] } {
  const a = analyze(s);
  if (
    !isKey &&
    s.includes('\n') &&
    a.single !== false &&
    !/[^\n\t\x20-\x7e\u00a0-\ud7ff\ue000-\ufffd]/u.test(s.replace(/[\u{10000}-\u{10ffff}]/gu, ''))
  ) {
    // Literal block (go-yaml uses it for every multi-line string in block context).
    let chomp = '-';
    let body = s;
    if (s.endsWith('\n')) {
      const trailing = /\n+$/.exec(s)![0].length;
      chomp = trailing === 1 ? '' : '+';
      body = trailing === 1 ? s.slice(0, -1) : s.slice(0, -1);
    }
    const hint = s.startsWith(' ') || s.startsWith('\n') ? String(INDENT) : '';
    const pad = ' '.repeat(indent);
    const lines = body.split('\n').map((line) => (line === '' ? '' : pad + line));
    return { inline: `|${hint}${chomp}`, block: lines };
  }
  if (resolvesToNonString(s)) return { inline: doubleQuoted(s) };
  if (a.plain) return { inline: s };
  if (a.single && !s.includes('\n')) return { inline: `'${s.replace(/'/g, "''")}'` };
  return { inline: doubleQuoted(s) };
}

function scalarText(value: SopsValue, indent: number): { inline: string; block?: string[] } {
  if (value === null) return { inline: 'null' };
  if (typeof value === 'string') return yamlString(value, indent, false);
  if (typeof value === 'boolean') return { inline: value ? 'true' : 'false' };
  if (value instanceof SopsInt) return { inline: value.value.toString() };
  if (value instanceof SopsFloat) {
    const g = goFormatFloat(value.value, 'g');
    return { inline: g === '+Inf' ? '.inf' : g === '-Inf' ? '-.inf' : g === 'NaN' ? '.nan' : g };
  }
  if (value instanceof Uint8Array) return { inline: `!!binary ${Buffer.from(value).toString('base64')}` };
  throw new SopsError('SopsFormat', 'A collection cannot be written as a scalar.');
}

/**
 * Writes a mapping whose keys start at `indent`. go-yaml indents what is nested under those keys
 * from `base` (the mapping's own indentation: for a mapping that is a list item, the dash's column).
 */
function emitBranch(b: SopsBranch, indent: number, out: string[], firstPrefix?: string, base = indent): void {
  const pad = ' '.repeat(indent);
  let first = true;
  const linePrefix = (): string => {
    if (first && firstPrefix !== undefined) {
      first = false;
      return firstPrefix;
    }
    first = false;
    return pad;
  };
  for (const item of b) {
    if (item.key instanceof SopsComment) {
      out.push(`${linePrefix()}#${item.key.value}`);
      continue;
    }
    const key = yamlString(item.key, indent, true).inline;
    emitValue(`${linePrefix()}${key}:`, item.value, base, out);
  }
  if (first && firstPrefix !== undefined) out.push(`${firstPrefix}{}`);
}

function emitValue(head: string, value: SopsValue, indent: number, out: string[]): void {
  if (isBranch(value)) {
    if (!value.some((i) => !(i.key instanceof SopsComment))) {
      out.push(`${head} {}`);
      return;
    }
    out.push(head);
    emitBranch(value, indent + INDENT, out);
  } else if (isList(value)) {
    if (!value.some((i) => !(i instanceof SopsComment))) {
      out.push(`${head} []`);
      return;
    }
    out.push(head);
    emitList(value, indent + INDENT, out);
  } else {
    const s = scalarText(value, indent + INDENT);
    out.push(`${head} ${s.inline}`);
    if (s.block) out.push(...s.block);
  }
}

function emitList(list: SopsList, indent: number, out: string[]): void {
  const pad = ' '.repeat(indent);
  for (const item of list) {
    if (item instanceof SopsComment) {
      out.push(`${pad}#${item.value}`);
    } else if (isBranch(item)) {
      if (!item.some((i) => !(i.key instanceof SopsComment))) out.push(`${pad}- {}`);
      else emitBranch(item, indent + 2, out, `${pad}- `, indent);
    } else if (isList(item)) {
      if (!item.some((i) => !(i instanceof SopsComment))) out.push(`${pad}- []`);
      else {
        out.push(`${pad}-`);
        emitList(item, indent + INDENT, out);
      }
    } else {
      const s = scalarText(item, indent + INDENT);
      out.push(`${pad}- ${s.inline}`);
      if (s.block) out.push(...s.block);
    }
  }
}

/** The YAML sops writes for these documents. */
export function emitYaml(branches: readonly SopsBranch[]): string {
  const docs = branches.map((b) => {
    const out: string[] = [];
    if (!b.some((i) => !(i.key instanceof SopsComment))) {
      for (const i of b) out.push(`#${(i.key as SopsComment).value}`);
      out.push('{}');
    } else emitBranch(b, 0, out);
    return `${out.join('\n')}\n`;
  });
  return docs.join('---\n');
}
