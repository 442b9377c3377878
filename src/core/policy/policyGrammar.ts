// The key-policy grammar as KMS reads it, statement by statement: versions, Sid, Effect,
// principals, actions and resources, conditions, and the warnings for statements that give
// away more than their Sid suggests. Issues go to validatePolicy's collector.
import { explainUnknownOperator, parseConditionOperator } from './conditions';
import { type JsonNode, type JsonPath, nodeAtPath, nodeValue } from './jsonDocument';
import { actionPatternMatches, effectiveActions, expandActionPattern, kmsActionInfo, suggestActions } from './kmsActions';
import { POLICY_VERSIONS, STATEMENT_KEYS, TOP_LEVEL_KEYS, isJsonObject, stringList } from './policyModel';
import { PRINCIPAL_TYPES, canonicalUserProblem, federatedProblem, parseAwsPrincipal, serviceProblem } from './principals';
import { sidExcess, summarizeActions } from './sidIntent';
import type { Add, IssueSeverity, ValidationContext } from './validatePolicy';

export class GrammarChecker {
  private version: string | undefined;

  constructor(
    private readonly root: JsonNode,
    private readonly context: ValidationContext,
    private readonly addRaw: Add,
  ) {}

  /** Adds an issue at a node: its value, its key (for "unknown element"), or its first character. */
  private add(severity: IssueSeverity, code: string, message: string, path: JsonPath, at: 'value' | 'key' | 'open' = 'value'): void {
    const { node, property } = nodeAtPath(this.root, path);
    const statementIndex =
      path[0] !== 'Statement' || path.length < 2
        ? undefined
        : typeof path[1] === 'number'
          ? path[1]
          : this.statementIsObject()
            ? 0
            : undefined;
    if (at === 'key' && property) {
      this.addRaw(severity, code, message, property.keyOffset, property.keyLength, path, statementIndex);
      return;
    }
    const target = node ?? this.root;
    const length = at === 'open' || target.type === 'object' || target.type === 'array' ? 1 : target.length;
    this.addRaw(severity, code, message, target.offset, length, path, statementIndex);
  }

  private statementIsObject(): boolean {
    const s = nodeAtPath(this.root, ['Statement']).node;
    return s?.type === 'object';
  }

  check(): void {
    const root = this.root;
    if (root.type !== 'object') {
      this.add('error', 'not-object', 'A key policy is a JSON object: {"Version": "2012-10-17", "Statement": [ … ]}.', []);
      return;
    }
    for (const p of root.properties) {
      if (!(TOP_LEVEL_KEYS as readonly string[]).includes(p.key)) {
        const hint = TOP_LEVEL_KEYS.find((k) => k.toLowerCase() === p.key.toLowerCase());
        this.add(
          'error',
          'unknown-element',
          hint
            ? `"${p.key}" must be written "${hint}" (element names are case-sensitive).`
            : `"${p.key}" is not a key policy element. A key policy has Version, Id and Statement.`,
          [p.key],
          'key',
        );
      }
    }
    const value = nodeValue(root) as Record<string, unknown>;
    this.checkVersion(value);
    if ('Id' in value && typeof value.Id !== 'string') this.add('error', 'id-type', 'Id must be a string.', ['Id']);

    if (!('Statement' in value)) {
      this.add('error', 'no-statement', 'The policy has no Statement: add "Statement": [ … ] with at least one statement.', [], 'open');
      return;
    }
    const statements = value.Statement;
    if (isJsonObject(statements)) {
      this.checkStatement(statements, ['Statement'], 0);
    } else if (Array.isArray(statements)) {
      if (statements.length === 0)
        this.add('error', 'no-statement', 'Statement is empty: nobody could use or manage the key. Add at least one statement.', [
          'Statement',
        ]);
      statements.forEach((s, i) => {
        if (!isJsonObject(s))
          this.add(
            'error',
            'statement-type',
            `Statement ${i + 1} must be an object {"Effect": …, "Principal": …, "Action": …, "Resource": "*"}.`,
            ['Statement', i],
          );
        else this.checkStatement(s, ['Statement', i], i);
      });
      this.checkSids(statements);
    } else {
      this.add('error', 'statement-type', 'Statement must be a list of statements: "Statement": [ { … } ].', ['Statement']);
    }
  }

  private checkVersion(value: Record<string, unknown>): void {
    if (!('Version' in value)) {
      this.add(
        'warning',
        'no-version',
        'No Version: IAM then reads the policy as version 2008-10-17, which has no policy variables. Add "Version": "2012-10-17".',
        [],
        'open',
      );
      return;
    }
    const v = value.Version;
    if (typeof v !== 'string' || !(POLICY_VERSIONS as readonly string[]).includes(v)) {
      this.add(
        'error',
        'version',
        `Version must be "2012-10-17" (or the older "2008-10-17"), not ${JSON.stringify(v)}. It is the policy language version, not a date you choose.`,
        ['Version'],
      );
      return;
    }
    this.version = v;
  }

  private checkSids(statements: unknown[]): void {
    const seen = new Map<string, number>();
    statements.forEach((s, i) => {
      if (!isJsonObject(s) || typeof s.Sid !== 'string' || s.Sid === '') return;
      const first = seen.get(s.Sid);
      if (first !== undefined)
        this.add('warning', 'duplicate-sid', `Sid "${s.Sid}" is also used by statement ${first + 1}: give each statement its own Sid.`, [
          'Statement',
          i,
          'Sid',
        ]);
      else seen.set(s.Sid, i);
    });
  }

  private checkStatement(s: Record<string, unknown>, path: JsonPath, index: number): void {
    const label = typeof s.Sid === 'string' && s.Sid ? `Statement "${s.Sid}"` : `Statement ${index + 1}`;
    for (const key of Object.keys(s)) {
      if (!(STATEMENT_KEYS as readonly string[]).includes(key)) {
        const hint = STATEMENT_KEYS.find((k) => k.toLowerCase() === key.toLowerCase());
        this.add(
          'error',
          'unknown-element',
          hint
            ? `"${key}" must be written "${hint}" (element names are case-sensitive).`
            : `"${key}" is not a statement element. Statements have Sid, Effect, Principal, Action, Resource and Condition (or NotPrincipal, NotAction, NotResource).`,
          [...path, key],
          'key',
        );
      }
    }
    if ('Sid' in s && typeof s.Sid !== 'string') this.add('error', 'sid-type', `${label}: Sid must be a string.`, [...path, 'Sid']);

    // Effect
    if (!('Effect' in s))
      this.add('error', 'no-effect', `${label} has no Effect: add "Effect": "Allow" or "Effect": "Deny".`, path, 'open');
    else if (s.Effect !== 'Allow' && s.Effect !== 'Deny') {
      const fixed =
        typeof s.Effect === 'string' && ['allow', 'deny'].includes(s.Effect.toLowerCase())
          ? ` Write "${s.Effect.charAt(0).toUpperCase()}${s.Effect.slice(1).toLowerCase()}" (case-sensitive).`
          : '';
      this.add('error', 'effect', `${label}: Effect must be "Allow" or "Deny", not ${JSON.stringify(s.Effect)}.${fixed}`, [
        ...path,
        'Effect',
      ]);
    }

    // Principal
    const hasP = 'Principal' in s;
    const hasNotP = 'NotPrincipal' in s;
    if (!hasP && !hasNotP)
      this.add(
        'error',
        'no-principal',
        `${label} has no Principal. Every statement of a key policy names who it applies to, e.g. "Principal": {"AWS": "arn:aws:iam::111122223333:root"}.`,
        path,
        'open',
      );
    if (hasP && hasNotP)
      this.add('error', 'principal-both', `${label} has both Principal and NotPrincipal: keep one.`, [...path, 'NotPrincipal'], 'key');
    if (hasP) this.checkPrincipal(s.Principal, [...path, 'Principal'], label);
    if (hasNotP) {
      this.checkPrincipal(s.NotPrincipal, [...path, 'NotPrincipal'], label);
      if (s.Effect === 'Allow')
        this.add(
          'warning',
          'allow-not-principal',
          `${label} allows everyone except the principals listed (Allow with NotPrincipal). Name the principals with Principal instead.`,
          [...path, 'NotPrincipal'],
          'key',
        );
    }

    // Action
    const hasA = 'Action' in s;
    const hasNotA = 'NotAction' in s;
    if (!hasA && !hasNotA)
      this.add('error', 'no-action', `${label} has no Action, so it has no effect: add "Action": […], e.g. "kms:Decrypt".`, path, 'open');
    if (hasA && hasNotA)
      this.add('error', 'action-both', `${label} has both Action and NotAction: keep one.`, [...path, 'NotAction'], 'key');
    if (hasA) this.checkActions(s.Action, [...path, 'Action'], label);
    if (hasNotA) {
      this.checkActions(s.NotAction, [...path, 'NotAction'], label);
      if (s.Effect === 'Allow')
        this.add(
          'warning',
          'allow-not-action',
          `${label} allows every action except those listed (Allow with NotAction), including actions KMS adds later. List the actions to allow instead.`,
          [...path, 'NotAction'],
          'key',
        );
    }

    // Resource
    const hasR = 'Resource' in s;
    const hasNotR = 'NotResource' in s;
    if (!hasR && !hasNotR)
      this.add(
        'error',
        'no-resource',
        `${label} has no Resource, so it has no effect: add "Resource": "*" (in a key policy, "*" means this key).`,
        path,
        'open',
      );
    if (hasR && hasNotR)
      this.add('error', 'resource-both', `${label} has both Resource and NotResource: keep one.`, [...path, 'NotResource'], 'key');
    if (hasR) this.checkResources(s.Resource, [...path, 'Resource'], label, false);
    if (hasNotR) this.checkResources(s.NotResource, [...path, 'NotResource'], label, true);

    // Condition
    if ('Condition' in s) this.checkCondition(s.Condition, [...path, 'Condition'], label);

    this.checkBreadth(s, path, label);
  }

  private checkPrincipal(p: unknown, path: JsonPath, label: string): void {
    if (p === '*') return;
    if (typeof p === 'string') {
      const parsed = parseAwsPrincipal(p);
      this.add(
        'error',
        'principal-form',
        `${label}: Principal must be "*" or an object such as {"AWS": ${JSON.stringify(parsed.ok ? p : 'arn:aws:iam::111122223333:root')}}.`,
        path,
      );
      return;
    }
    if (!isJsonObject(p)) {
      this.add(
        'error',
        'principal-form',
        `${label}: Principal must be "*" or an object such as {"AWS": "arn:aws:iam::111122223333:root"}.`,
        path,
      );
      return;
    }
    if (Object.keys(p).length === 0)
      this.add('error', 'principal-empty', `${label}: Principal is empty: name at least one principal.`, path);
    for (const [type, values] of Object.entries(p)) {
      if (!(PRINCIPAL_TYPES as readonly string[]).includes(type)) {
        const hint = PRINCIPAL_TYPES.find((t) => t.toLowerCase() === type.toLowerCase());
        this.add(
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
        this.add('error', 'principal-empty', `${label}: the ${type} principal list is empty: name at least one, or remove "${type}".`, [
          ...path,
          type,
        ]);
      list.forEach((v, i) => {
        const itemPath = Array.isArray(values) ? [...path, type, i] : [...path, type];
        if (typeof v !== 'string') {
          this.add(
            'error',
            'principal-value',
            `${label}: principals are strings (ARNs, account ids, service names), not ${JSON.stringify(v)}.`,
            itemPath,
          );
          return;
        }
        this.checkPrincipalValue(type as (typeof PRINCIPAL_TYPES)[number], v, itemPath, label);
      });
    }
  }

  private checkPrincipalValue(type: (typeof PRINCIPAL_TYPES)[number], v: string, path: JsonPath, label: string): void {
    switch (type) {
      case 'AWS': {
        const parsed = parseAwsPrincipal(v);
        if (!parsed.ok) {
          this.add('error', 'principal-arn', `${label}: ${parsed.problem}`, path);
          return;
        }
        if (parsed.principal.kind === 'unique-id') {
          this.add(
            'warning',
            'principal-deleted',
            `${label}: ${v} is the unique id of a deleted IAM ${v.startsWith('AROA') ? 'role' : 'user'}. It grants nothing; re-creating it does not restore access. Remove it or name the new ARN.`,
            path,
          );
        }
        if (parsed.principal.kind === 'assumed-role') {
          this.add(
            'warning',
            'principal-session',
            `${label}: ${v} is one role session; it stops applying when the session ends. Name the role (arn:${parsed.principal.partition}:iam::${parsed.principal.accountId}:role/${parsed.principal.roleName}) instead.`,
            path,
          );
        }
        return;
      }
      case 'Service': {
        const problem = serviceProblem(v);
        if (problem) this.add('warning', 'principal-service', `${label}: ${problem}`, path);
        return;
      }
      case 'Federated': {
        const problem = federatedProblem(v);
        if (problem) this.add('warning', 'principal-federated', `${label}: ${problem}`, path);
        return;
      }
      case 'CanonicalUser': {
        const problem = canonicalUserProblem(v);
        if (problem) this.add('error', 'principal-canonical', `${label}: ${problem}`, path);
        return;
      }
    }
  }

  private checkActions(a: unknown, path: JsonPath, label: string): void {
    if (Array.isArray(a) && a.length === 0) {
      this.add(
        'error',
        'action-empty',
        `${label}: the action list is empty, so the statement has no effect. Add actions such as "kms:Decrypt".`,
        path,
      );
      return;
    }
    if (typeof a !== 'string' && !Array.isArray(a)) {
      this.add('error', 'action-type', `${label}: actions are a string or a list of strings such as ["kms:Encrypt", "kms:Decrypt"].`, path);
      return;
    }
    const list = Array.isArray(a) ? a : [a];
    list.forEach((action, i) => {
      const itemPath = Array.isArray(a) ? [...path, i] : path;
      if (typeof action !== 'string') {
        this.add('error', 'action-type', `${label}: actions are strings such as "kms:Decrypt", not ${JSON.stringify(action)}.`, itemPath);
        return;
      }
      this.checkAction(action, itemPath, label);
    });
  }

  private checkAction(action: string, path: JsonPath, label: string): void {
    if (action === '*') return;
    const m = /^([A-Za-z0-9-]+):([A-Za-z0-9*?]+)$/.exec(action);
    if (!m) {
      const suggestion = suggestActions(action)[0];
      this.add(
        'error',
        'action-form',
        `${label}: "${action}" is not an action. Actions look like "kms:Decrypt"${suggestion ? `; did you mean "${suggestion}"?` : '.'}`,
        path,
      );
      return;
    }
    const [, service, name] = m;
    if (service.toLowerCase() !== 'kms') {
      this.add(
        'warning',
        'action-service',
        `${label}: "${action}" is not a KMS action, so it has no effect in a key policy. Grant it in an IAM or ${service} policy instead.`,
        path,
      );
      return;
    }
    if (/[*?]/.test(name)) {
      if (expandActionPattern(action).length === 0)
        this.add('warning', 'action-matches-nothing', `${label}: "${action}" matches no KMS action.`, path);
      return;
    }
    const info = kmsActionInfo(action);
    if (!info) {
      const suggestions = suggestActions(action);
      this.add(
        'warning',
        'unknown-action',
        `${label}: "${action}" is not a known KMS action${suggestions.length ? `. Did you mean ${suggestions.map((s) => `"${s}"`).join(' or ')}?` : '; check the spelling.'}`,
        path,
      );
      return;
    }
    if (!info.keyResource) {
      this.add(
        'warning',
        'action-not-key',
        `${label}: "kms:${info.name}" is not an action on a key, so it has no effect in a key policy. Allow it in an IAM policy instead.`,
        path,
      );
    }
  }

  private checkResources(r: unknown, path: JsonPath, label: string, not: boolean): void {
    const list = stringList(r);
    if (!list) {
      this.add('error', 'resource-type', `${label}: Resource is a string or a non-empty list of strings; in a key policy use "*".`, path);
      return;
    }
    if (not) {
      this.add(
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
      if (this.context.keyArn && actionPatternMatches(value, this.context.keyArn)) continue;
      if (!this.context.keyArn && /^arn:[^:]+:kms:[^:]*:[^:]*:key\//.test(value)) continue;
      this.add(
        'warning',
        'resource-other',
        `${label}: in a key policy the resource is always this key; "${value}" ${this.context.keyArn ? 'does not name it, so the statement has no effect' : 'is not a key ARN'}. Use "*".`,
        itemPath,
      );
    }
  }

  private checkCondition(c: unknown, path: JsonPath, label: string): void {
    if (!isJsonObject(c)) {
      this.add(
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
      if (!parsed) this.add('error', 'condition-operator', `${label}: ${explainUnknownOperator(op)}`, opPath, 'key');
      if (!isJsonObject(block) || Object.keys(block).length === 0) {
        this.add(
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
          this.add(
            'error',
            'condition-key',
            `${label}: "${key}" is not a condition key; keys look like "kms:CallerAccount" or "aws:PrincipalArn".`,
            keyPath,
            'key',
          );
        const list = Array.isArray(values) ? values : [values];
        if (Array.isArray(values) && values.length === 0)
          this.add('error', 'condition-value', `${label}: the values of "${key}" are empty.`, keyPath);
        list.forEach((v, i) => {
          const vPath = Array.isArray(values) ? [...keyPath, i] : keyPath;
          if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
            this.add(
              'error',
              'condition-value',
              `${label}: condition values are strings, numbers or booleans, not ${JSON.stringify(v)}.`,
              vPath,
            );
            return;
          }
          if (parsed?.base === 'Null' && !(['true', 'false', true, false] as unknown[]).includes(v))
            this.add('error', 'condition-value', `${label}: Null takes "true" or "false".`, vPath);
          if (parsed?.base === 'Bool' && !(['true', 'false', true, false] as unknown[]).includes(v))
            this.add('error', 'condition-value', `${label}: Bool takes "true" or "false".`, vPath);
          if (typeof v === 'string' && /\$\{[^}]*\}/.test(v) && this.version !== '2012-10-17') {
            this.add(
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

  /** Warnings for statements that allow more than they seem to. */
  private checkBreadth(s: Record<string, unknown>, path: JsonPath, label: string): void {
    const actionPatterns = stringList(s.Action ?? s.NotAction);
    if (!actionPatterns) return;
    const actions = effectiveActions(actionPatterns, !('Action' in s));
    const hasCondition = isJsonObject(s.Condition) && Object.keys(s.Condition).length > 0;
    const principal = s.Principal;
    const everyone = principal === '*' || (isJsonObject(principal) && (stringList(principal.AWS) ?? []).includes('*'));

    if (s.Effect === 'Allow' && everyone && !hasCondition && 'Principal' in s) {
      this.add(
        'warning',
        'public-principal',
        `${label} lets any principal in any AWS account ${summarizeActions(actions)} this key, because "Principal" is "*" without a Condition. Name the principals, or add a Condition such as {"StringEquals": {"kms:CallerAccount": "${this.context.accountId ?? '111122223333'}"}}.`,
        [...path, 'Principal'],
        'key',
      );
    }
    if (s.Effect === 'Deny' && everyone && !hasCondition && 'Principal' in s && actions.has('kms:PutKeyPolicy')) {
      this.add(
        'warning',
        'deny-everyone',
        `${label} denies everyone (including the account and its administrators) ${summarizeActions(actions)} this key, with no Condition. Nobody could change the policy again.`,
        [...path, 'Effect'],
      );
    }
    if (s.Effect === 'Allow' && typeof s.Sid === 'string') {
      const excess = sidExcess(s.Sid, actions, s.Principal, this.context.accountId);
      if (excess)
        this.add(
          'warning',
          'broader-than-sid',
          `${label}: the Sid suggests ${excess.scope}, but the actions also allow ${excess.extra}.`,
          [...path, 'Action' in s ? 'Action' : 'NotAction'],
          'key',
        );
    }
  }
}
