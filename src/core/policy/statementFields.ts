/**
 * A key-policy statement as form fields (Sid, Effect, principals, actions, resources,
 * Condition) and back: `readStatementFields` says why a statement cannot be shown as fields,
 * `writeStatementFields` applies fields to the original value keeping everything the edit
 * did not touch (key order, strings that were strings, lists that were lists).
 */
import { type JsonObject, STATEMENT_KEYS, isJsonObject, principalEntries, sameJson, stringList } from './policyModel';

export type Effect = 'Allow' | 'Deny';

export interface FormPrincipal {
  /** "*" (everyone), or a principal type: AWS, Service, Federated, CanonicalUser. */
  readonly type: string;
  readonly value: string;
}

/** A statement as the form edits it. Every list keeps the order of the policy. */
export interface StatementFields {
  /** '' when the statement has no Sid. */
  readonly sid: string;
  readonly effect: Effect;
  readonly principalKey: 'Principal' | 'NotPrincipal';
  readonly principals: readonly FormPrincipal[];
  readonly actionKey: 'Action' | 'NotAction';
  readonly actions: readonly string[];
  readonly resourceKey: 'Resource' | 'NotResource';
  readonly resources: readonly string[];
  /** The Condition as JSON text; '' when there is none. */
  readonly condition: string;
}

export function readStatementFields(s: unknown): { fields: StatementFields } | { reason: string } {
  if (!isJsonObject(s)) return { reason: 'It is not an object.' };
  const unknown = Object.keys(s).filter((k) => !(STATEMENT_KEYS as readonly string[]).includes(k));
  if (unknown.length)
    return {
      reason: `It has ${unknown.map((k) => `"${k}"`).join(', ')}, which ${unknown.length > 1 ? 'are' : 'is'} not a statement element.`,
    };
  if ('Sid' in s && typeof s.Sid !== 'string') return { reason: 'Its Sid is not a string.' };
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny')
    return { reason: `Its Effect is ${JSON.stringify(s.Effect) ?? 'missing'}; the form knows "Allow" and "Deny".` };
  for (const [a, b] of [
    ['Principal', 'NotPrincipal'],
    ['Action', 'NotAction'],
    ['Resource', 'NotResource'],
  ] as const) {
    if (a in s && b in s) return { reason: `It has both ${a} and ${b}.` };
  }
  const principalKey = 'NotPrincipal' in s ? 'NotPrincipal' : 'Principal';
  let principals: FormPrincipal[] = [];
  if (principalKey in s) {
    const entries = principalEntries(s[principalKey]);
    if (!entries) return { reason: `Its ${principalKey} is not "*" or an object of principal lists.` };
    principals = entries;
  }
  const actionKey = 'NotAction' in s ? 'NotAction' : 'Action';
  const actions = actionKey in s ? stringList(s[actionKey]) : [];
  if (!actions) return { reason: `Its ${actionKey} is not a string or a list of strings.` };
  const resourceKey = 'NotResource' in s ? 'NotResource' : 'Resource';
  const resources = resourceKey in s ? stringList(s[resourceKey]) : [];
  if (!resources) return { reason: `Its ${resourceKey} is not a string or a list of strings.` };
  if ('Condition' in s && !isJsonObject(s.Condition)) return { reason: 'Its Condition is not an object.' };
  return {
    fields: {
      sid: typeof s.Sid === 'string' ? s.Sid : '',
      effect: s.Effect,
      principalKey,
      principals,
      actionKey,
      actions,
      resourceKey,
      resources,
      condition: 'Condition' in s ? JSON.stringify(s.Condition, null, 2) : '',
    },
  };
}

/**
 * A statement value with the form fields applied to `original`: elements whose fields did
 * not change keep their original value (a string stays a string), new elements go where
 * the console puts them, and renamed ones (Action → NotAction) keep their place.
 */
export function writeStatementFields(original: unknown, fields: StatementFields): { value: JsonObject } | { error: string } {
  const base: JsonObject = isJsonObject(original) ? original : {};
  const before = readStatementFields(base);
  const old = 'fields' in before ? before.fields : undefined;

  let condition: unknown;
  if (fields.condition.trim() !== '') {
    try {
      condition = JSON.parse(fields.condition);
    } catch (e) {
      return { error: `The Condition is not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
    }
    if (!isJsonObject(condition))
      return { error: 'The Condition must be a JSON object such as {"StringEquals": {"kms:CallerAccount": "111122223333"}}.' };
  }

  const next: Array<[string, unknown]> = [];
  const placed = new Set<string>();
  const valueFor = (key: string): unknown => {
    switch (key) {
      case 'Sid':
        if (old && old.sid === fields.sid) return base.Sid;
        return fields.sid === '' ? undefined : fields.sid;
      case 'Effect':
        return fields.effect;
      case 'Principal':
      case 'NotPrincipal':
        if (fields.principals.length === 0) return undefined;
        if (old && old.principalKey === key && samePrincipals(old.principals, fields.principals)) return base[key];
        return principalValue(fields.principals, base[key]);
      case 'Action':
      case 'NotAction':
        if (fields.actions.length === 0) return undefined;
        if (old && old.actionKey === key && sameList(old.actions, fields.actions)) return base[key];
        return listValue(fields.actions, base[key]);
      case 'Resource':
      case 'NotResource':
        if (fields.resources.length === 0) return undefined;
        if (old && old.resourceKey === key && sameList(old.resources, fields.resources)) return base[key];
        return listValue(fields.resources, base[key]);
      case 'Condition':
        if (condition === undefined) return undefined;
        return sameJson(base.Condition, condition) ? base.Condition : condition;
      default:
        return base[key];
    }
  };
  // Each of Principal/NotPrincipal, Action/NotAction, Resource/NotResource is written under
  // the key the fields choose, in the place the pair had (a rename keeps the position).
  const chosen: Record<string, string> = {
    Principal: fields.principalKey,
    NotPrincipal: fields.principalKey,
    Action: fields.actionKey,
    NotAction: fields.actionKey,
    Resource: fields.resourceKey,
    NotResource: fields.resourceKey,
  };
  const put = (key: string, first = false): void => {
    if (placed.has(key)) return;
    placed.add(key);
    const v = valueFor(key);
    if (v === undefined) return;
    if (first) next.unshift([key, v]);
    else next.push([key, v]);
  };
  for (const key of Object.keys(base)) put(chosen[key] ?? key);
  put('Sid', true);
  for (const key of ['Effect', fields.principalKey, fields.actionKey, fields.resourceKey, 'Condition']) put(key);
  return { value: Object.fromEntries(next) };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function samePrincipals(a: readonly FormPrincipal[], b: readonly FormPrincipal[]): boolean {
  return a.length === b.length && a.every((p, i) => p.type === b[i].type && p.value === b[i].value);
}

/** One item as a string, unless the original was a list; several as a list. */
function listValue(items: readonly string[], original: unknown): string | string[] {
  return items.length === 1 && !Array.isArray(original) ? items[0] : [...items];
}

function principalValue(principals: readonly FormPrincipal[], original: unknown): unknown {
  if (principals.length === 1 && principals[0].type === '*') return '*';
  const out: JsonObject = {};
  const originalObject = isJsonObject(original) ? original : {};
  for (const p of principals) {
    if (p.type === '*') {
      // "Everyone" mixed with named principals means AWS "*".
      out.AWS = [...(stringList(out.AWS) ?? []), '*'];
      continue;
    }
    const list = (out[p.type] as string[] | undefined) ?? [];
    list.push(p.value);
    out[p.type] = list;
  }
  for (const [type, list] of Object.entries(out)) out[type] = listValue(list as string[], originalObject[type]);
  return out;
}
