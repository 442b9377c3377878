// The key-policy grammar as KMS reads it, statement by statement: versions, Sid, Effect, the
// elements of each statement (principals, actions, resources, conditions: policyElements.ts), and the
// warnings for statements that give away more than their Sid suggests. Issues go to validatePolicy's collector.
import { type JsonNode, type JsonPath, nodeAtPath, nodeValue } from './jsonDocument';
import { effectiveActions } from './kmsActions';
import { POLICY_VERSIONS, STATEMENT_KEYS, TOP_LEVEL_KEYS, isJsonObject, stringList } from './policyModel';
import { checkActions, checkCondition, checkPrincipal, checkResources, type GrammarScope } from './policyElements';
import { sidExcess, summarizeActions } from './sidIntent';
import type { Add, IssueSeverity, ValidationContext } from './validatePolicy';

export class GrammarChecker implements GrammarScope {
  version: string | undefined;

  constructor(
    private readonly root: JsonNode,
    readonly context: ValidationContext,
    private readonly addRaw: Add,
  ) {}

  /** Adds an issue at a node: its value, its key (for "unknown element"), or its first character. */
  add(severity: IssueSeverity, code: string, message: string, path: JsonPath, at: 'value' | 'key' | 'open' = 'value'): void {
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
            : `"${key}" is not a statement element. Statements have Sid, Effect, Principal, Action, Resource and ` +
                'Condition (or NotPrincipal, NotAction, NotResource).',
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
    if (hasP) checkPrincipal(this, s.Principal, [...path, 'Principal'], label);
    if (hasNotP) {
      checkPrincipal(this, s.NotPrincipal, [...path, 'NotPrincipal'], label);
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
    if (hasA) checkActions(this, s.Action, [...path, 'Action'], label);
    if (hasNotA) {
      checkActions(this, s.NotAction, [...path, 'NotAction'], label);
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
    if (hasR) checkResources(this, s.Resource, [...path, 'Resource'], label, false);
    if (hasNotR) checkResources(this, s.NotResource, [...path, 'NotResource'], label, true);

    // Condition
    if ('Condition' in s) checkCondition(this, s.Condition, [...path, 'Condition'], label);

    this.checkBreadth(s, path, label);
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
        `${label} lets any principal in any AWS account ${summarizeActions(actions)} this key, because ` +
          '"Principal" is "*" without a Condition. Name the principals, or add a Condition such as ' +
          `{"StringEquals": {"kms:CallerAccount": "${this.context.accountId ?? '111122223333'}"}}.`,
        [...path, 'Principal'],
        'key',
      );
    }
    if (s.Effect === 'Deny' && everyone && !hasCondition && 'Principal' in s && actions.has('kms:PutKeyPolicy')) {
      this.add(
        'warning',
        'deny-everyone',
        `${label} denies everyone (including the account and its ` +
          `administrators) ${summarizeActions(actions)} this key, with no Condition. Nobody could change the policy again.`,
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
