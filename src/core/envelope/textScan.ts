// Finding the text to work on in a line or a selection: quotes stay outside the ciphertext,
// and with no selection the base64 token under the cursor is the candidate.

export interface QuotedParts {
  /** Text before the part to transform: leading whitespace and an opening quote. */
  readonly prefix: string;
  readonly inner: string;
  /** Text after it: a closing quote and trailing whitespace. */
  readonly suffix: string;
}

const QUOTES = new Set(['"', "'", '`']);

/**
 * Splits a selection into what stays and what is transformed. A selection wrapped in the
 * same quote character on both ends keeps the quotes outside; `trim` also keeps leading
 * and trailing whitespace outside (decrypting; when encrypting, whitespace is content).
 */
export function splitQuoted(text: string, options: { trim: boolean }): QuotedParts {
  let start = 0;
  let end = text.length;
  if (options.trim) {
    while (start < end && /\s/.test(text[start])) start++;
    while (end > start && /\s/.test(text[end - 1])) end--;
  }
  const first = text[start];
  if (end - start >= 2 && QUOTES.has(first) && text[end - 1] === first) {
    start++;
    end--;
  }
  return { prefix: text.slice(0, start), inner: text.slice(start, end), suffix: text.slice(end) };
}

export interface TokenSpan {
  /** Offsets in the line: [start, end). */
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

const TOKEN = /[A-Za-z0-9+/]+={0,2}/g;

/**
 * The base64-looking token of `line` that contains (or ends at) `character`, or undefined.
 * "KEY=AQICAH…==" yields "AQICAH…==" for a cursor anywhere in the value: a token only
 * keeps "=" as its padding at the end.
 */
export function tokenAt(line: string, character: number, minLength = 1): TokenSpan | undefined {
  const tokens = [...line.matchAll(TOKEN)].map((m) => ({ start: m.index, end: m.index + m[0].length, text: m[0] }));
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (character < t.start || character > t.end) continue;
    // On the "=" of "PASSWORD=AQIC…" (or right after it) the value that follows is meant.
    const padding = t.text.length - t.text.replace(/=+$/, '').length;
    const next = tokens[i + 1];
    if (next && next.start === t.end && character >= t.end - padding) return next.text.length >= minLength ? next : undefined;
    return t.text.length >= minLength ? t : undefined;
  }
  return undefined;
}

/** Every base64-looking token of `line` of at least `minLength` characters. */
export function tokensIn(line: string, minLength: number): TokenSpan[] {
  const out: TokenSpan[] = [];
  for (const m of line.matchAll(TOKEN)) if (m[0].length >= minLength) out.push({ start: m.index, end: m.index + m[0].length, text: m[0] });
  return out;
}
