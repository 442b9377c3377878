import { type Checked, ok, problem, quote } from './checked';

/**
 * Checks of what the key lifecycle commands take, with KMS's limits. Each answers with
 * the value to send or a sentence naming the fix, before anything is sent to KMS.
 */

export const WAITING_PERIOD = { min: 7, max: 30, default: 30 } as const;
export const ROTATION_PERIOD = { min: 90, max: 2560, default: 365 } as const;
export const RANDOM_BYTES = { min: 1, max: 1024 } as const;
export const DESCRIPTION_MAX = 8192;
export const ALIAS_NAME_MAX = 256;
export const TAG_KEY_MAX = 128;
export const TAG_VALUE_MAX = 256;
export const TAGS_PER_KEY_MAX = 50;
export const GRANT_NAME_MAX = 256;
/** Sign, Verify, GenerateMac and VerifyMac take 1–4,096 bytes of message. */
export const MESSAGE_BYTES_MAX = 4096;
export const CONSTRAINT_PAIRS_MAX = 8;
export const CONSTRAINT_VALUE_MAX = 384;

/** A whole number typed into an input box, from `min` to `max`. */
export function checkIntegerText(text: string, range: { min: number; max: number }, what: string): Checked<number> {
  const t = text.trim();
  if (t === '') return problem(`Enter ${what}: a whole number from ${range.min} to ${range.max}.`);
  if (!/^\d+$/.test(t)) return problem(`${quote(t)} is not a whole number: enter ${what} from ${range.min} to ${range.max}.`);
  const n = Number(t);
  if (n < range.min || n > range.max)
    return problem(`${what[0].toUpperCase()}${what.slice(1)} must be from ${range.min} to ${range.max}, not ${n}.`);
  return ok(n);
}

/** ScheduleKeyDeletion's PendingWindowInDays: 7–30 days. */
export function checkWaitingPeriod(text: string): Checked<number> {
  return checkIntegerText(text, WAITING_PERIOD, 'the waiting period in days');
}

/** EnableKeyRotation's RotationPeriodInDays: 90–2,560 days. */
export function checkRotationPeriod(text: string): Checked<number> {
  return checkIntegerText(text, ROTATION_PERIOD, 'the rotation period in days');
}

export function checkRandomLength(text: string): Checked<number> {
  return checkIntegerText(text, RANDOM_BYTES, 'the number of random bytes');
}

const ALIAS_PATTERN = /^alias\/[a-zA-Z0-9/_-]+$/;

/**
 * An alias name for CreateAlias/UpdateAlias: `alias/` then letters, digits, `/`, `_` and
 * `-`, at most 256 characters, not under the reserved `alias/aws/`. A name typed without
 * the `alias/` prefix gets it.
 */
export function checkAliasName(input: string): Checked<string> {
  if (input.trim() !== input) return problem(`The alias name ${quote(input)} has spaces around it: remove them.`);
  if (input === '') return problem('Enter an alias name, like alias/my-app.');
  const name = input.startsWith('alias/') ? input : `alias/${input}`;
  if (name === 'alias/') return problem('"alias/" needs a name after it, like alias/my-app.');
  if (name.length > ALIAS_NAME_MAX)
    return problem(`The alias name is ${name.length} characters long; KMS allows at most ${ALIAS_NAME_MAX}.`);
  if (/^alias\/aws\//i.test(name))
    return problem(`${quote(name)}: names under alias/aws/ are reserved for AWS managed keys. Choose another name.`);
  if (!ALIAS_PATTERN.test(name)) {
    const bad = [...new Set(name.slice('alias/'.length).replace(/[a-zA-Z0-9/_-]/g, ''))].map((c) => (c === ' ' ? 'space' : `"${c}"`));
    return problem(
      `${quote(name)} is not a valid alias name: use only letters, digits, "/", "_" and "-" after alias/ (found ${bad.join(', ')}).`,
    );
  }
  if (name.endsWith('/')) return problem(`${quote(name)} ends with "/": add a name after it.`);
  return ok(name);
}

/** Whether an alias belongs to an AWS managed key (cannot be changed or deleted). */
export function isAwsManagedAlias(aliasName: string): boolean {
  return /^alias\/aws\//i.test(aliasName);
}

export function checkDescription(text: string): Checked<string> {
  if (text.length > DESCRIPTION_MAX)
    return problem(`The description is ${text.length} characters long; KMS allows at most ${DESCRIPTION_MAX}.`);
  return ok(text);
}

export interface Tag {
  readonly TagKey: string;
  readonly TagValue: string;
}

const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

export function checkTagKey(key: string): Checked<string> {
  if (key === '') return problem('A tag key cannot be empty.');
  if ([...key].length > TAG_KEY_MAX) return problem(`The tag key ${quote(key)} is longer than ${TAG_KEY_MAX} characters.`);
  if (/^aws:/i.test(key)) return problem(`The tag key ${quote(key)} starts with "aws:", which is reserved for AWS. Choose another key.`);
  if (!TAG_CHARS.test(key))
    return problem(`The tag key ${quote(key)} has characters tags cannot hold: use letters, digits, spaces and _ . : / = + - @.`);
  return ok(key);
}

export function checkTagValue(key: string, value: string): Checked<string> {
  if ([...value].length > TAG_VALUE_MAX) return problem(`The value of tag ${quote(key)} is longer than ${TAG_VALUE_MAX} characters.`);
  if (!TAG_CHARS.test(value))
    return problem(`The value of tag ${quote(key)} has characters tags cannot hold: use letters, digits, spaces and _ . : / = + - @.`);
  return ok(value);
}

/** Tags given as a map (command arguments); `existing` counts towards the 50-tag limit. */
export function checkTags(map: Readonly<Record<string, string>>, existingKeys: readonly string[] = []): Checked<Tag[]> {
  const tags: Tag[] = [];
  for (const [key, value] of Object.entries(map)) {
    const k = checkTagKey(key);
    if (!k.ok) return k;
    const v = checkTagValue(key, value);
    if (!v.ok) return v;
    tags.push({ TagKey: key, TagValue: value });
  }
  const total = new Set([...existingKeys.filter((k) => !/^aws:/i.test(k)), ...tags.map((t) => t.TagKey)]).size;
  if (total > TAGS_PER_KEY_MAX) {
    return problem(
      `A key can have at most ${TAGS_PER_KEY_MAX} tags; this would ` +
        `make ${total}${existingKeys.length ? ` (it has ${existingKeys.length})` : ''}. Remove some first.`,
    );
  }
  return ok(tags);
}

/**
 * Tags typed in one line: `key=value, key=value` (tag keys and values cannot contain
 * commas, so the comma separates them; the first "=" separates key and value; a pair
 * without "=" has an empty value). Empty text is no tags.
 */
export function parseTagsText(text: string, existingKeys: readonly string[] = []): Checked<Tag[]> {
  const map: Record<string, string> = {};
  for (const part of text.split(',')) {
    const pair = part.trim();
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = (eq < 0 ? pair : pair.slice(0, eq)).trim();
    const value = eq < 0 ? '' : pair.slice(eq + 1).trim();
    if (key === '') return problem(`${quote(pair)} has no tag key before "=": write key=value.`);
    if (key in map) return problem(`The tag key ${quote(key)} is given twice.`);
    map[key] = value;
  }
  return checkTags(map, existingKeys);
}

/** Tag keys for UntagResource. */
export function checkTagKeys(keys: readonly string[]): Checked<string[]> {
  if (keys.length === 0) return problem('Name at least one tag key to remove.');
  for (const key of keys) {
    const k = checkTagKey(key);
    if (!k.ok) return k;
  }
  return ok([...new Set(keys)]);
}

/** A grant's friendly name: 1–256 of letters, digits, ":", "/", "_" and "-". */
export function checkGrantName(name: string): Checked<string> {
  if (name.length > GRANT_NAME_MAX) return problem(`The grant name is longer than ${GRANT_NAME_MAX} characters.`);
  if (!/^[a-zA-Z0-9:/_-]+$/.test(name))
    return problem(`${quote(name)} is not a valid grant name: use only letters, digits, ":", "/", "_" and "-".`);
  return ok(name);
}

export function checkRegionName(region: string): Checked<string> {
  const r = region.trim();
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(r)) return problem(`${quote(region)} is not an AWS Region name: write it like us-west-2.`);
  return ok(r);
}

export type EncryptionContext = Record<string, string>;

/**
 * An encryption context typed in one line: a JSON object (`{"app":"web"}`) or
 * `key=value` pairs separated by commas. Empty text is no context.
 */
export function parseEncryptionContextText(text: string): Checked<EncryptionContext> {
  const t = text.trim();
  if (t === '') return ok({});
  if (t.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(t);
    } catch (error) {
      return problem(
        `The encryption context is not valid JSON (${error instanceof Error ? error.message : String(error)}). Write {"key":"value"} or key=value, key=value.`,
      );
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      return problem('The encryption context must be a JSON object of strings, like {"app":"web"}.');
    const context: EncryptionContext = {};
    for (const [k, v] of Object.entries(parsed)) {
      if (typeof v !== 'string') return problem(`The encryption context value of ${quote(k)} must be a string.`);
      context[k] = v;
    }
    return checkEncryptionContext(context);
  }
  const context: EncryptionContext = {};
  for (const part of t.split(',')) {
    const pair = part.trim();
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) return problem(`${quote(pair)} is not key=value: write the encryption context as key=value, key=value (or as JSON).`);
    const key = pair.slice(0, eq).trim();
    if (key in context) return problem(`The encryption context key ${quote(key)} is given twice.`);
    context[key] = pair.slice(eq + 1).trim();
  }
  return checkEncryptionContext(context);
}

export function checkEncryptionContext(context: EncryptionContext): Checked<EncryptionContext> {
  for (const [k, v] of Object.entries(context)) {
    if (k === '') return problem('An encryption context key cannot be empty.');
    if (v === '') return problem(`The encryption context value of ${quote(k)} is empty: KMS needs a value for every key.`);
  }
  return ok(context);
}

/** A grant constraint's encryption context: at most 8 pairs, values of at most 384 characters. */
export function checkConstraintContext(context: EncryptionContext): Checked<EncryptionContext> {
  const checked = checkEncryptionContext(context);
  if (!checked.ok) return checked;
  const n = Object.keys(context).length;
  if (n === 0) return problem('A grant constraint needs at least one encryption context pair.');
  if (n > CONSTRAINT_PAIRS_MAX)
    return problem(`A grant constraint can hold at most ${CONSTRAINT_PAIRS_MAX} encryption context pairs, not ${n}.`);
  const long = Object.entries(context).find(([, v]) => v.length > CONSTRAINT_VALUE_MAX);
  if (long) return problem(`The constraint value of ${quote(long[0])} is longer than ${CONSTRAINT_VALUE_MAX} characters.`);
  return ok(context);
}

/** Splits a list typed in one line (commas, spaces or semicolons) into its entries. */
export function splitList(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}
