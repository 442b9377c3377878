/**
 * The shape of a key policy and small readers over its plain JSON value, shared by
 * validation, the form mapping and the lockout check. They never throw on odd input: they
 * return undefined where a value is not what the grammar allows.
 */

/** KMS refuses key policies larger than this (bytes). */
export const POLICY_SIZE_LIMIT = 32_768;

export const POLICY_VERSIONS = ['2012-10-17', '2008-10-17'] as const;
export const CURRENT_POLICY_VERSION = '2012-10-17';

export const TOP_LEVEL_KEYS = ['Version', 'Id', 'Statement'] as const;
export const STATEMENT_KEYS = [
  'Sid',
  'Effect',
  'Principal',
  'NotPrincipal',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Condition',
] as const;
export type StatementKey = (typeof STATEMENT_KEYS)[number];

export type JsonObject = Record<string, unknown>;

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A string, or a non-empty list of strings, as a list; undefined for anything else. */
export function stringList(v: unknown): string[] | undefined {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')) return [...v];
  return undefined;
}

/** The statements of a policy value: `Statement` as a list (a single object counts as one). */
export function statementsOf(policy: unknown): unknown[] {
  if (!isJsonObject(policy)) return [];
  const s = policy.Statement;
  if (Array.isArray(s)) return s as unknown[];
  if (isJsonObject(s)) return [s];
  return [];
}

export interface PrincipalEntry {
  /** "*" for `"Principal": "*"`, else the principal type (AWS, Service…). */
  readonly type: string;
  readonly value: string;
}

/** `Principal` (or `NotPrincipal`) as a flat list of entries; undefined when malformed. */
export function principalEntries(v: unknown): PrincipalEntry[] | undefined {
  if (v === '*') return [{ type: '*', value: '*' }];
  if (!isJsonObject(v)) return undefined;
  const out: PrincipalEntry[] = [];
  for (const [type, values] of Object.entries(v)) {
    const list = stringList(values);
    if (!list) return undefined;
    for (const value of list) out.push({ type, value });
  }
  return out;
}

/** Bytes the policy takes as UTF-8 (what the 32 KB limit counts). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * The characters KMS accepts in a key policy: tab, line feed, carriage return, printable
 * ASCII (U+0020–U+007E) and printable Latin-1 (U+00A1–U+00FF).
 */
export function isAllowedPolicyChar(code: number): boolean {
  return code === 0x09 || code === 0x0a || code === 0x0d || (code >= 0x20 && code <= 0x7e) || (code >= 0xa1 && code <= 0xff);
}

/** JSON with object keys sorted, so two values that mean the same compare equal as text. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isJsonObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** Deep equality of JSON values, key order included (what "unchanged" means for round trips). */
export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
