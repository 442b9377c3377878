/**
 * The result of checking a value a person typed or a script passed: the usable value, or
 * a sentence saying what is wrong and how to fix it. Input boxes show the sentence as
 * the validation message; command arguments turn it into an ArgumentError naming the field.
 */
export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

export function ok<T>(value: T): Checked<T> {
  return { ok: true, value };
}

export function problem<T = never>(sentence: string): Checked<T> {
  return { ok: false, problem: sentence };
}

/** The problem of a check, or undefined when it passed (for InputBox validation). */
export function problemOf(checked: Checked<unknown>): string | undefined {
  return checked.ok ? undefined : checked.problem;
}

/** Quotes a value for a message, shortened when long. */
export function quote(value: string, max = 60): string {
  return `"${value.length > max ? `${value.slice(0, max)}…` : value}"`;
}
