// The key-policy grammar for the elements of a statement: principals, actions, resources and
// conditions. Called by policyGrammar's GrammarChecker, which owns the issue collector.
import { explainUnknownOperator, parseConditionOperator } from './conditions';
import type { JsonPath } from './jsonDocument';
import { actionPatternMatches, expandActionPattern, kmsActionInfo, suggestActions } from './kmsActions';
import { isJsonObject, stringList } from './policyModel';
import { PRINCIPAL_TYPES, canonicalUserProblem, federatedProblem, parseAwsPrincipal, serviceProblem } from './principals';
import type { IssueSeverity, ValidationContext } from './validatePolicy';

/** What the element checks need from the checker: where issues go, the policy's Version, the key. */
export interface GrammarScope {
  add(severity: IssueSeverity, code: string, message: string, path: JsonPath, at?: 'value' | 'key' | 'open'): void;
  readonly version: string | undefined;
  readonly context: ValidationContext;
}

export function checkPrincipal(g: GrammarScope, p: unknown, path: JsonPath, label: string): void {
  if (p === '*') return;
  if (typeof p === 'string') {
    const parsed = parseAwsPrincipal(p);
    g.add(
      'error',
      'principal-form',
      `${label}: Principal must be "*" or an object such as {"AWS": ${JSON.stringify(parsed.ok ? p : 'arn:aws:iam::111122223333:root')}}.`,
      path,
    );
    return;
  }
  if (!isJsonObject(p)) {
    g.add(
      'error',
      'principal-form',
      `${label}: Principal must be "*" or an object such as {"AWS": "arn:aws:iam::111122223333:root"}.`,
      path,
    );
    return;
  }
  if (Object.keys(p).length === 0) g.add('error', 'principal-empty', `${label}: Principal is empty: name at least one principal.`, path);
  for (const [type, values] of Object.entries(p)) {
    if (!(PRINCIPAL_TYPES as readonly string[]).includes(type)) {
      const hint = PRINCIPAL_TYPES.find((t) => t.toLowerCase() === type.toLowerCase());
      g.add(
        'error',
        'principal-type',
        hint
          ? `${label}: write the principal type as "${hint}".`
          : `${label}: "${type}" is not a principal type. Use AWS, Service, Federated or CanonicalUser.`,
        [...path, type],
        'key',
      );
      continue;
    }
    const list = Array.isArray(values) ? values : [values];
    if (Array.isArray(values) && values.length === 0)
      g.add('error', 'principal-empty', `${label}: the ${type} principal list is empty: name at least one, or remove "${type}".`, [
        ...path,
        type,
      ]);
    list.forEach((v, i) => {
      const itemPath = Array.isArray(values) ? [...path, type, i] : [...path, type];
      if (typeof v !== 'string') {
        g.add(
          'error',
          'principal-value',
          `${label}: principals are strings (ARNs, account ids, service names), not ${JSON.stringify(v)}.`,
          itemPath,
        );
        return;
      }
      checkPrincipalValue(g, type as (typeof PRINCIPAL_TYPES)[number], v, itemPath, label);
    });
  }
}

function checkPrincipalValue(g: GrammarScope, type: (typeof PRINCIPAL_TYPES)[number], v: string, path: JsonPath, label: string): void {
  switch (type) {
    case 'AWS': {
      const parsed = parseAwsPrincipal(v);
      if (!parsed.ok) {
        g.add('error', 'principal-arn', `${label}: ${parsed.problem}`, path);
        return;
      }
      if (parsed.principal.kind === 'unique-id') {
        g.add(
          'warning',
          'principal-deleted',
          `${label}: ${v} is the unique id of a deleted IAM ${v.startsWith('AROA') ? 'role' : 'user'}. ` +
            'It grants nothing; re-creating it does not restore access. Remove it or name the new ARN.',
          path,
        );
      }
      if (parsed.principal.kind === 'assumed-role') {
        g.add(
          'warning',
          'principal-session',
          `${label}: ${v} is one role session; it stops applying when the session ends. ` +
            `Name the role (arn:${parsed.principal.partition}:iam::${parsed.principal.accountId}:role/${parsed.principal.roleName}) instead.`,
          path,
        );
      }
      return;
    }
    case 'Service': {
      const problem = serviceProblem(v);
      if (problem) g.add('warning', 'principal-service', `${label}: ${problem}`, path);
      return;
    }
    case 'Federated': {
      const problem = federatedProblem(v);
      if (problem) g.add('warning', 'principal-federated', `${label}: ${problem}`, path);
      return;
    }
    case 'CanonicalUser': {
      const problem = canonicalUserProblem(v);
      if (problem) g.add('error', 'principal-canonical', `${label}: ${problem}`, path);
      return;
    }
  }
}

export function checkActions(g: GrammarScope, a: unknown, path: JsonPath, label: string): void {
  if (Array.isArray(a) && a.length === 0) {
    g.add(
      'error',
      'action-empty',
      `${label}: the action list is empty, so the statement has no effect. Add actions such as "kms:Decrypt".`,
      path,
    );
    return;
  }
  if (typeof a !== 'string' && !Array.isArray(a)) {
    g.add('error', 'action-type', `${label}: actions are a string or a list of strings such as ["kms:Encrypt", "kms:Decrypt"].`, path);
    return;
  }
  const list = Array.isArray(a) ? a : [a];
  list.forEach((action, i) => {
    const itemPath = Array.isArray(a) ? [...path, i] : path;
    if (typeof action !== 'string') {
      g.add('error', 'action-type', `${label}: actions are strings such as "kms:Decrypt", not ${JSON.stringify(action)}.`, itemPath);
      return;
    }
    checkAction(g, action, itemPath, label);
  });
}

function checkAction(g: GrammarScope, action: string, path: JsonPath, label: string): void {
  if (action === '*') return;
  const m = /^([A-Za-z0-9-]+):([A-Za-z0-9*?]+)$/.exec(action);
  if (!m) {
    const suggestion = suggestActions(action)[0];
    g.add(
      'error',
      'action-form',
      `${label}: "${action}" is not an action. Actions look like "kms:Decrypt"${suggestion ? `; did you mean "${suggestion}"?` : '.'}`,
      path,
    );
    return;
  }
  const [, service, name] = m;
  if (service.toLowerCase() !== 'kms') {
    g.add(
      'warning',
      'action-service',
      `${label}: "${action}" is not a KMS action, so it has no effect in a key policy. Grant it in an IAM or ${service} policy instead.`,
      path,
    );
    return;
  }
  if (/[*?]/.test(name)) {
    if (expandActionPattern(action).length === 0)
      g.add('warning', 'action-matches-nothing', `${label}: "${action}" matches no KMS action.`, path);
    return;
  }
  const info = kmsActionInfo(action);
  if (!info) {
    const suggestions = suggestActions(action);
    const hint = suggestions.length ? `. Did you mean ${suggestions.map((s) => `"${s}"`).join(' or ')}?` : '; check the spelling.';
    g.add('warning', 'unknown-action', `${label}: "${action}" is not a known KMS action${hint}`, path);
    return;
  }
  if (!info.keyResource) {
    g.add(
      'warning',
      'action-not-key',
      `${label}: "kms:${info.name}" is not an action on a key, so it has no effect in a key policy. Allow it in an IAM policy instead.`,
      path,
    );
  }
}

export function checkResources(g: GrammarScope, r: unknown, path: JsonPath, label: string, not: boolean): void {
  const list = stringList(r);
  if (!list) {
    g.add('error', 'resource-type', `${label}: Resource is a string or a non-empty list of strings; in a key policy use "*".`, path);
    return;
  }
  if (not) {
    g.add(
      'warning',
      'not-resource',
      `${label}: NotResource in a key policy is unusual (the policy is about this key only). Use "Resource": "*".`,
      path,
      'key',
    );
    return;
  }
  for (const [i, value] of list.entries()) {
    if (value === '*') continue;
    const itemPath = Array.isArray(r) ? [...path, i] : path;
    if (g.context.keyArn && actionPatternMatches(value, g.context.keyArn)) continue;
    if (!g.context.keyArn && /^arn:[^:]+:kms:[^:]*:[^:]*:key\//.test(value)) continue;
    g.add(
      'warning',
      'resource-other',
      `${label}: in a key policy the resource is always this key; ` +
        `"${value}" ${g.context.keyArn ? 'does not name it, so the statement has no effect' : 'is not a key ARN'}. Use "*".`,
      itemPath,
    );
  }
}

export function checkCondition(g: GrammarScope, c: unknown, path: JsonPath, label: string): void {
  if (!isJsonObject(c)) {
    g.add(
      'error',
      'condition-type',
      `${label}: Condition is an object such as {"StringEquals": {"kms:CallerAccount": "111122223333"}}.`,
      path,
    );
    return;
  }
  for (const [op, block] of Object.entries(c)) {
    const opPath = [...path, op];
    const parsed = parseConditionOperator(op);
    if (!parsed) g.add('error', 'condition-operator', `${label}: ${explainUnknownOperator(op)}`, opPath, 'key');
    if (!isJsonObject(block) || Object.keys(block).length === 0) {
      g.add(
        'error',
        'condition-block',
        `${label}: "${op}" takes an object of condition keys and values, e.g. {"aws:PrincipalOrgID": "o-abc123"}.`,
        opPath,
      );
      continue;
    }
    for (const [key, values] of Object.entries(block)) {
      const keyPath = [...opPath, key];
      if (!/^[A-Za-z0-9-]+:\S+$/.test(key))
        g.add(
          'error',
          'condition-key',
          `${label}: "${key}" is not a condition key; keys look like "kms:CallerAccount" or "aws:PrincipalArn".`,
          keyPath,
          'key',
        );
      const list = Array.isArray(values) ? values : [values];
      if (Array.isArray(values) && values.length === 0)
        g.add('error', 'condition-value', `${label}: the values of "${key}" are empty.`, keyPath);
      list.forEach((v, i) => {
        const vPath = Array.isArray(values) ? [...keyPath, i] : keyPath;
        if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
          g.add(
            'error',
            'condition-value',
            `${label}: condition values are strings, numbers or booleans, not ${JSON.stringify(v)}.`,
            vPath,
          );
          return;
        }
        if (parsed?.base === 'Null' && !(['true', 'false', true, false] as unknown[]).includes(v))
          g.add('error', 'condition-value', `${label}: Null takes "true" or "false".`, vPath);
        if (parsed?.base === 'Bool' && !(['true', 'false', true, false] as unknown[]).includes(v))
          g.add('error', 'condition-value', `${label}: Bool takes "true" or "false".`, vPath);
        if (typeof v === 'string' && /\$\{[^}]*\}/.test(v) && g.version !== '2012-10-17') {
          g.add(
            'warning',
            'policy-variable',
            `${label}: policy variables like ${/\$\{[^}]*\}/.exec(v)?.[0] ?? ''} work only with "Version": "2012-10-17".`,
            vPath,
          );
        }
      });
    }
  }
}
