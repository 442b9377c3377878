/**
 * Turning a policy value back into text after a form edit, so that the diff shows only
 * what changed: an unchanged policy keeps its exact text, and in a changed one every
 * element and statement that did not change keeps its original text; only the rest is
 * written anew, in the indentation, line ending and colon spacing of the original.
 */
import { type JsonNode, nodeValue, parseJson } from './jsonDocument';
import { isJsonObject, sameJson } from './policyModel';

export interface JsonStyle {
  /** One level of indentation; '' writes everything on one line. */
  readonly indent: string;
  readonly newline: '\n' | '\r\n';
  /** Between a property name and its value: ": " or " : ". */
  readonly colon: string;
  readonly finalNewline: boolean;
  /**
   * Arrays on one line, items separated by ", " (`[ {` … `}, {` … `} ]`), as the Jackson
   * pretty printer writes them: the layout KMS returns for the policies it makes itself.
   */
  readonly inlineArrays: boolean;
}

export const DEFAULT_STYLE: JsonStyle = { indent: '  ', newline: '\n', colon: ': ', finalNewline: false, inlineArrays: false };

/** The layout of a JSON text, guessed from its first lines. */
export function detectStyle(text: string): JsonStyle {
  const newline = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  let indent = '';
  if (lines.length > 1) {
    const indents = lines
      .slice(1)
      .map((l) => /^[ \t]*/.exec(l)?.[0] ?? '')
      .filter((s) => s.length > 0);
    if (indents.length) {
      const tabs = indents[0].startsWith('\t');
      const smallest = Math.min(...indents.map((s) => s.length));
      indent = tabs ? '\t' : ' '.repeat(Math.min(Math.max(smallest, 1), 8));
    } else {
      indent = '  ';
    }
  }
  const colonMatch = /"(?:[^"\\]|\\.)*"([ \t]*:[ \t]*)/.exec(text);
  const colon = colonMatch ? colonMatch[1].replace(/\t/g, ' ') : ': ';
  const inlineArrays = indent !== '' && /\[ (\{|"|\d|\])/.test(text) && !/\[[ \t]*\r?\n/.test(text);
  return { indent, newline, colon: indent === '' && colon === ':' ? ':' : colon || ': ', finalNewline: /\r?\n$/.test(text), inlineArrays };
}

/** A value as text in a style, starting at nesting depth `depth`. */
export function stringifyStyled(value: unknown, style: JsonStyle, depth = 0): string {
  if (Array.isArray(value)) {
    return wrapArray(
      value.map((v) => stringifyStyled(v, style, depth + arrayStep(style))),
      style,
      depth,
    );
  }
  if (isJsonObject(value)) {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined);
    return wrapObject(
      keys.map((k) => `${JSON.stringify(k)}${style.colon}${stringifyStyled(value[k], style, depth + 1)}`),
      style,
      depth,
    );
  }
  return JSON.stringify(value) ?? 'null';
}

/** How much deeper the items of an array are indented (Jackson's inline arrays add no level). */
function arrayStep(style: JsonStyle): number {
  return style.inlineArrays ? 0 : 1;
}

function wrapArray(items: string[], style: JsonStyle, depth: number): string {
  if (items.length === 0) return style.inlineArrays ? '[ ]' : '[]';
  if (!style.indent) return `[${items.join(',')}]`;
  if (style.inlineArrays) return `[ ${items.join(', ')} ]`;
  const inner = style.newline + style.indent.repeat(depth + 1);
  return `[${inner}${items.join(`,${inner}`)}${style.newline}${style.indent.repeat(depth)}]`;
}

function wrapObject(entries: string[], style: JsonStyle, depth: number): string {
  if (entries.length === 0) return style.inlineArrays ? '{ }' : '{}';
  if (!style.indent) return `{${entries.join(',')}}`;
  const inner = style.newline + style.indent.repeat(depth + 1);
  return `{${inner}${entries.join(`,${inner}`)}${style.newline}${style.indent.repeat(depth)}}`;
}

/**
 * The text of `value`, reusing `previousText` wherever the value did not change. Without a
 * previous text (or one that is not JSON), the value is written in the default style.
 */
export function formatPolicy(value: unknown, previousText?: string): string {
  if (previousText === undefined) return stringifyStyled(value, DEFAULT_STYLE);
  const parsed = parseJson(previousText);
  const style = parsed.root ? detectStyle(previousText) : DEFAULT_STYLE;
  if (!parsed.root) return stringifyStyled(value, style);
  if (sameJson(nodeValue(parsed.root), value) && parsed.duplicateKeys.length === 0) return previousText;
  const body = new Reuse(previousText, style).write(value, parsed.root, 0);
  return style.finalNewline ? body + style.newline : body;
}

class Reuse {
  constructor(
    private readonly text: string,
    private readonly style: JsonStyle,
  ) {}

  private slice(node: JsonNode): string {
    return this.text.slice(node.offset, node.offset + node.length);
  }

  /** Writes `value` at `depth`, given the node it replaces (if any). */
  write(value: unknown, previous: JsonNode | undefined, depth: number): string {
    if (previous && sameJson(nodeValue(previous), value)) return this.slice(previous);
    if (isJsonObject(value) && previous?.type === 'object') return this.writeObject(value, previous, depth);
    if (Array.isArray(value) && previous?.type === 'array') return this.writeArray(value, previous.items, depth);
    // "Statement": {…} that became a list keeps the original statement's text.
    if (Array.isArray(value) && previous?.type === 'object') return this.writeArray(value, [previous], depth);
    return stringifyStyled(value, this.style, depth);
  }

  private writeObject(value: Record<string, unknown>, previous: JsonNode & { type: 'object' }, depth: number): string {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined);
    const entries = keys.map((k) => {
      const before = [...previous.properties].reverse().find((p) => p.key === k);
      return `${JSON.stringify(k)}${this.style.colon}${this.write(value[k], before?.value, depth + 1)}`;
    });
    return wrapObject(entries, this.style, depth);
  }

  /** Items equal to an original item reuse its text (each original used once, in order of appearance). */
  private writeArray(value: unknown[], previousItems: readonly JsonNode[], depth: number): string {
    const unused = previousItems.map((node) => ({ node, value: nodeValue(node), used: false }));
    const items = value.map((v, i) => {
      const same = unused.find((u) => !u.used && sameJson(u.value, v));
      if (same) {
        same.used = true;
        return this.slice(same.node);
      }
      // An edited item at the same position is written against its old self, so its unchanged parts keep their text.
      const counterpart = unused[i] && !unused[i].used && isJsonObject(v) && isJsonObject(unused[i].value) ? unused[i] : undefined;
      if (counterpart) counterpart.used = true;
      return this.write(v, counterpart?.node, depth + arrayStep(this.style));
    });
    return wrapArray(items, this.style, depth);
  }
}

/** The smallest replacement turning `before` into `after` (to keep the cursor in an open editor). */
export function minimalEdit(before: string, after: string): { offset: number; deleteCount: number; insert: string } {
  let start = 0;
  const max = Math.min(before.length, after.length);
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let endBefore = before.length;
  let endAfter = after.length;
  while (endBefore > start && endAfter > start && before.charCodeAt(endBefore - 1) === after.charCodeAt(endAfter - 1)) {
    endBefore--;
    endAfter--;
  }
  return { offset: start, deleteCount: endBefore - start, insert: after.slice(start, endAfter) };
}
