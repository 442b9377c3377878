// Encryption context as people type it: `key=value` pairs separated by commas or new lines,
// or a JSON object when a value needs a comma.
import { ArgumentError } from '../args/argumentError';
import type { EncryptionContext } from './messageFormat';

/** Parses "app=web, env=prod" (or `{"app":"web"}`); an empty text is no context. Throws ArgumentError. */
export function parseEncryptionContext(text: string): EncryptionContext {
  const trimmed = text.trim();
  if (trimmed === '') return {};
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new ArgumentError(
        'The encryption context is not valid JSON. Write key=value pairs separated by commas, or a JSON object of strings.',
      );
    }
    if (
      typeof parsed !== 'object' ||
      parsed === null ||
      Array.isArray(parsed) ||
      Object.values(parsed).some((v) => typeof v !== 'string')
    ) {
      throw new ArgumentError('A JSON encryption context must be an object of string values, like {"app": "web"}.');
    }
    return checkContext(parsed as EncryptionContext);
  }
  const context: EncryptionContext = {};
  for (const part of trimmed.split(/[,\n]/)) {
    const pair = part.trim();
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0)
      throw new ArgumentError(
        `"${pair}" is not a key=value pair. Write the encryption context as key=value pairs separated by commas, e.g. app=web, env=prod.`,
      );
    const key = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (Object.prototype.hasOwnProperty.call(context, key)) throw new ArgumentError(`The encryption context names "${key}" twice.`);
    context[key] = value;
  }
  return checkContext(context);
}

/** Refuses what KMS would refuse: empty keys or values, and the reserved "aws-crypto-" keys. */
export function checkContext(context: EncryptionContext): EncryptionContext {
  for (const [key, value] of Object.entries(context)) {
    if (key.trim() === '') throw new ArgumentError('An encryption context key is empty.');
    if (value === '') throw new ArgumentError(`The encryption context value of "${key}" is empty: KMS needs a value for every key.`);
    if (key.startsWith('aws-crypto-'))
      throw new ArgumentError(`"${key}": encryption context keys starting with "aws-crypto-" are reserved by the AWS Encryption SDK.`);
  }
  return context;
}

/** "app=web, env=prod" (sorted by key); "" for none. */
export function formatEncryptionContext(context: EncryptionContext | undefined): string {
  const entries = Object.entries(context ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.some(([k, v]) => /[,=\n]/.test(k) || /[,\n]/.test(v))) return JSON.stringify(Object.fromEntries(entries));
  return entries.map(([k, v]) => `${k}=${v}`).join(', ');
}

/**
 * The pairs of `expected` that `actual` lacks or has with another value (an Encryption SDK
 * message may hold more pairs than a person checks for).
 */
export function contextMismatches(actual: EncryptionContext, expected: EncryptionContext): string[] {
  return Object.entries(expected)
    .filter(([k, v]) => actual[k] !== v)
    .map(([k, v]) => (Object.prototype.hasOwnProperty.call(actual, k) ? `${k}=${v} (it has ${k}=${actual[k]})` : `${k}=${v} (missing)`));
}
