// The tree model of a SOPS file, as the reference implementation (getsops/sops) holds it:
// branches are ordered lists of items whose key is a string or a comment; values are scalars,
// branches, or lists (which may hold comments too). Numbers keep the distinction sops makes
// between `int` and `float`, since the type is recorded beside each encrypted value.
import { KmsError } from '../kms/errors';

/** A comment line, without its leading `#`. */
export class SopsComment {
  constructor(readonly value: string) {}
}

/** An integer (sops `int`), kept exact. */
export class SopsInt {
  constructor(readonly value: bigint) {}
}

/** A floating point number (sops `float`; every JSON number is one). */
export class SopsFloat {
  constructor(readonly value: number) {}
}

export type SopsLeaf = string | boolean | SopsInt | SopsFloat | Uint8Array | null;
export type SopsValue = SopsLeaf | SopsBranch | SopsList;
export type SopsList = Array<SopsValue | SopsComment>;
export interface SopsItem {
  key: string | SopsComment;
  value: SopsValue;
}
export type SopsBranch = SopsItem[] & { readonly __branch?: true };

export function branch(items: SopsItem[] = []): SopsBranch {
  const b = items as SopsBranch;
  branchMarks.add(b);
  return b;
}

const branchMarks = new WeakSet<object>();

export function isBranch(value: unknown): value is SopsBranch {
  return Array.isArray(value) && branchMarks.has(value);
}

export function isList(value: unknown): value is SopsList {
  return Array.isArray(value) && !branchMarks.has(value);
}

/** The error of everything SOPS: a sentence that names the file's problem or the fix. */
export class SopsError extends KmsError {
  constructor(
    code: 'SopsFormat' | 'SopsTampered' | 'SopsMacMismatch' | 'SopsNoUsableKey' | 'SopsUnsupported' | 'SopsRule',
    message: string,
    readonly sopsDetails: { readonly path?: string } = {},
  ) {
    super(code, message);
  }
}

/** The sops type name of a leaf (`str`, `int`, `float`, `bool`, `bytes`). */
export function leafType(value: SopsLeaf | SopsComment): 'str' | 'int' | 'float' | 'bool' | 'bytes' | 'comment' | 'null' {
  if (value === null) return 'null';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  if (value instanceof SopsInt) return 'int';
  if (value instanceof SopsFloat) return 'float';
  if (value instanceof SopsComment) return 'comment';
  return 'bytes';
}

/** sops's ToBytes: the bytes a value is encrypted as and that the MAC covers. */
export function leafBytes(value: Exclude<SopsLeaf, null> | SopsComment): Buffer {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (typeof value === 'boolean') return Buffer.from(value ? 'True' : 'False');
  if (value instanceof SopsInt) return Buffer.from(value.value.toString());
  if (value instanceof SopsFloat) return Buffer.from(goFormatFloat(value.value, 'f'));
  if (value instanceof SopsComment) return Buffer.from(value.value, 'utf8');
  return Buffer.from(value);
}

/** Two leaves hold the same value of the same type. */
export function sameLeaf(a: SopsLeaf | SopsComment, b: SopsLeaf | SopsComment): boolean {
  const ta = leafType(a);
  if (ta !== leafType(b)) return false;
  if (a === null) return true;
  return leafBytes(a as Exclude<SopsLeaf, null>).equals(leafBytes(b as Exclude<SopsLeaf, null>));
}

// ---------------------------------------------------------------- Go's number formatting

interface Digits {
  readonly neg: boolean;
  /** Shortest round-trip decimal digits, no leading zeros ("75" for 0.75). */
  readonly digits: string;
  /** Position of the decimal point relative to the digits (0.75 → 0, 5432 → 4). */
  readonly dp: number;
}

function shortestDigits(n: number): Digits {
  const neg = n < 0 || Object.is(n, -0);
  const [mantissa, exp] = Math.abs(n).toExponential().split('e');
  const digits = mantissa!.replace('.', '').replace(/0+$/, '') || '0';
  return { neg, digits, dp: Number(exp) + 1 };
}

function fixed({ neg, digits, dp }: Digits): string {
  let text: string;
  if (digits === '0') text = '0';
  else if (dp <= 0) text = `0.${'0'.repeat(-dp)}${digits}`;
  else if (dp >= digits.length) text = digits + '0'.repeat(dp - digits.length);
  else text = `${digits.slice(0, dp)}.${digits.slice(dp)}`;
  return (neg ? '-' : '') + text;
}

function exponent({ neg, digits, dp }: Digits): string {
  const exp = digits === '0' ? 0 : dp - 1;
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const e = Math.abs(exp);
  return `${neg ? '-' : ''}${mantissa}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
}

/**
 * Go's strconv.FormatFloat(n, fmt, -1, 64): `f` is what sops encrypts a float as; `g` is how
 * go-yaml writes one; `json` is encoding/json's form.
 */
export function goFormatFloat(n: number, fmt: 'f' | 'g' | 'json'): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  const d = shortestDigits(n);
  if (fmt === 'f') return fixed(d);
  if (fmt === 'g') {
    const exp = d.digits === '0' ? 0 : d.dp - 1;
    return exp < -4 || exp >= 6 ? exponent(d) : fixed(d);
  }
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) return exponent(d).replace(/e([+-])0(\d)$/, 'e$1$2');
  return fixed(d);
}
