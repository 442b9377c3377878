/**
 * Who can use a key, from what KMS returns about it: the key policy (GetKeyPolicy) and its
 * grants (ListGrants). Offline analysis: IAM identity policies, SCPs, permission boundaries and
 * session policies are not read, so where the policy trusts an account ("the account root")
 * the answer is "any principal of that account whose IAM policy allows it".
 *
 * Case rules implemented (KMS developer guide, "Encryption context" and "Grant constraints"):
 * - grant constraints (EncryptionContextEquals, EncryptionContextSubset) compare keys and
 *   values case-sensitively;
 * - the policy condition key kms:EncryptionContext:<key> matches the context key
 *   case-insensitively (condition key names are not case-sensitive), and its value by the
 *   operator (StringEquals: case-sensitive; StringEqualsIgnoreCase: not); kms:EncryptionContextKeys
 *   compares key names with the operator's case rule.
 * So a policy condition on `kms:EncryptionContext:Department` also matches a request with
 * `department`, while a grant constrained to `Department` refuses it; the analysis flags such
 * near-misses between a grant and the policy, and within one grant.
 */
import { parseConditionOperator } from '../policy/conditions';
import { type ConditionClause, conditionClauses, describeClause, quote } from './conditionWords';
import { effectiveActions, kmsActionInfo } from '../policy/kmsActions';
import { isJsonObject, principalEntries, statementsOf, stringList } from '../policy/policyModel';
import { describeAwsPrincipal, parseAwsPrincipal } from '../policy/principals';

export type AccessGroup = 'administrators' | 'users' | 'services' | 'otherAccounts' | 'everyone';

export interface AccessEntry {
  /** As written in the policy or grant: an ARN, an account id, a service principal, "*". */
  readonly principal: string;
  /** For people: "any principal of account 111122223333 whose IAM policy allows it", "role Admin (111122223333)". */
  readonly description: string;
  /** "kms:Decrypt", "kms:ReEncrypt*", "kms:*"; for NotAction "every action except kms:X". */
  readonly actions: readonly string[];
  /** The conditions in words, each one a sentence fragment. */
  readonly conditions: readonly string[];
  readonly source: 'policy' | 'grant';
  readonly effect: 'Allow' | 'Deny';
  readonly group: AccessGroup;
  readonly statementSid?: string;
  /** Index of the statement in the policy (0-based), for statements without a Sid. */
  readonly statementIndex?: number;
  readonly grantId?: string;
  readonly grantName?: string;
}

export type FindingSeverity = 'high' | 'medium' | 'low';

export interface AccessFinding {
  readonly code:
    | 'PublicAccess'
    | 'AllowWithNotPrincipal'
    | 'CrossAccountDecrypt'
    | 'GrantWithoutConstraints'
    | 'GrantContextCase'
    | 'UnparsablePolicy';
  readonly severity: FindingSeverity;
  readonly title: string;
  readonly detail: string;
  /** "statement AllowUse", "statement #3", "grant 0123…". */
  readonly where: string;
  readonly statementSid?: string;
  readonly grantId?: string;
}

export interface GrantInput {
  readonly GrantId?: string;
  readonly Name?: string;
  readonly GranteePrincipal?: string;
  readonly RetiringPrincipal?: string;
  readonly IssuingAccount?: string;
  readonly Operations?: readonly string[];
  readonly Constraints?: {
    readonly EncryptionContextSubset?: Record<string, string>;
    readonly EncryptionContextEquals?: Record<string, string>;
  };
}

export interface EffectiveAccess {
  readonly keyArn: string;
  readonly accountId: string;
  readonly principals: readonly AccessEntry[];
  readonly findings: readonly AccessFinding[];
}

export const GROUP_TITLES: Readonly<Record<AccessGroup, { title: string; explanation: string }>> = {
  administrators: { title: 'Administrators', explanation: 'May change the key, its policy or its state, or delete it.' },
  users: { title: 'Users', explanation: 'May use the key (encrypt, decrypt, sign, grants) or read it, in this account.' },
  services: { title: 'Services', explanation: 'AWS services, and principals allowed only through an AWS service (kms:ViaService).' },
  otherAccounts: { title: 'Other accounts', explanation: 'Principals of other AWS accounts.' },
  everyone: { title: 'Everyone', explanation: 'Any principal ("*"), limited only by the conditions shown.' },
};

/** Condition keys that limit a "*" principal to known callers. */
const RESTRICTING_KEYS = new Set(
  [
    'aws:PrincipalOrgID',
    'aws:PrincipalOrgPaths',
    'aws:PrincipalAccount',
    'aws:PrincipalArn',
    'aws:PrincipalServiceName',
    'aws:SourceAccount',
    'aws:SourceArn',
    'aws:SourceOrgID',
    'aws:SourceOrgPaths',
    'aws:SourceVpc',
    'aws:SourceVpce',
    'aws:userid',
    'aws:username',
    'kms:CallerAccount',
    'kms:ViaService',
    'kms:GranteePrincipal',
  ].map((k) => k.toLowerCase()),
);

const DECRYPT_ACTIONS = ['kms:Decrypt', 'kms:ReEncryptFrom'];

/** The account of a key ARN. */
export function accountOfKeyArn(keyArn: string): string {
  const m = /^arn:[^:]+:kms:[^:]*:(\d{12}):key\//.exec(keyArn);
  if (!m) throw new Error(`"${keyArn}" is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>).`);
  return m[1];
}

function restricts(c: ConditionClause): boolean {
  const parsed = parseConditionOperator(c.operator);
  if (!parsed || /Not/.test(parsed.base) || parsed.base === 'Null') return false;
  if (parsed.ifExists) return false;
  return RESTRICTING_KEYS.has(c.key.toLowerCase()) && c.values.length > 0 && !c.values.includes('*');
}

// ---- the analysis --------------------------------------------------------------------------

function actionsAllowAny(actions: ReadonlySet<string>, wanted: readonly string[]): boolean {
  return wanted.some((a) => actions.has(a));
}

function isAdministrative(actions: ReadonlySet<string>): boolean {
  for (const a of actions) {
    const info = kmsActionInfo(a);
    if (info && info.keyResource && (info.category === 'admin' || info.category === 'delete')) return true;
  }
  return false;
}

function isServicePrincipal(value: string): boolean {
  return /\.amazonaws\.com(\.cn)?$/.test(value) || /\.(amazon|aws)\.(com|internal)$/.test(value);
}

function principalAccount(value: string): string | undefined {
  const parsed = parseAwsPrincipal(value);
  return parsed.ok && 'accountId' in parsed.principal ? parsed.principal.accountId : undefined;
}

function describePrincipal(type: string, value: string, accountId: string): string {
  if (type === '*' || value === '*') return 'anyone: any principal of any AWS account';
  if (type === 'Service') return `the AWS service ${value}`;
  if (type === 'Federated') return `users federated through ${value}`;
  if (type === 'CanonicalUser') return `the canonical user ${value}`;
  const parsed = parseAwsPrincipal(value);
  if (parsed.ok && parsed.principal.kind === 'account') {
    const own = parsed.principal.accountId === accountId;
    return `any principal of ${own ? 'this account' : 'the account'} ${parsed.principal.accountId} whose IAM policy allows it`;
  }
  return describeAwsPrincipal(value);
}

function groupOf(input: {
  type: string;
  value: string;
  actions: ReadonlySet<string>;
  clauses: readonly ConditionClause[];
  accountId: string;
}): AccessGroup {
  if (input.clauses.some((c) => c.key.toLowerCase() === 'kms:viaservice' && !/Not/.test(c.operator))) return 'services';
  if (input.type === 'Service' || (input.type === 'grant' && isServicePrincipal(input.value))) return 'services';
  if (input.type === '*' || input.value === '*') return 'everyone';
  const account = principalAccount(input.value);
  if (account && account !== input.accountId) return 'otherAccounts';
  if (input.type === 'Federated') return 'otherAccounts';
  return isAdministrative(input.actions) ? 'administrators' : 'users';
}

function shownActions(patterns: readonly string[], not: boolean): string[] {
  if (not) return [`every action except ${patterns.join(', ')}`];
  return [...patterns];
}

/**
 * Lists per principal what it may do with the key (policy statements and grants) and what a
 * reviewer would flag. `policy` is the key policy's JSON text.
 */
export function analyzeKeyAccess(input: { keyArn: string; policy: string; grants: readonly GrantInput[] }): EffectiveAccess {
  const accountId = accountOfKeyArn(input.keyArn);
  const principals: AccessEntry[] = [];
  const findings: AccessFinding[] = [];
  let document: unknown;
  try {
    document = JSON.parse(input.policy);
  } catch (error) {
    findings.push({
      code: 'UnparsablePolicy',
      severity: 'high',
      title: 'The key policy is not valid JSON',
      detail: error instanceof Error ? error.message : String(error),
      where: 'key policy',
    });
    document = {};
  }
  const policyContextKeys: { key: string; values: readonly string[]; where: string; ignoreCase: boolean }[] = [];

  statementsOf(document).forEach((raw, index) => {
    if (!isJsonObject(raw)) return;
    const sid = typeof raw.Sid === 'string' && raw.Sid ? raw.Sid : undefined;
    const where = sid ? `statement ${sid}` : `statement #${index + 1}`;
    const effect = raw.Effect === 'Deny' ? 'Deny' : raw.Effect === 'Allow' ? 'Allow' : undefined;
    if (!effect) return;
    const notAction = raw.Action === undefined && raw.NotAction !== undefined;
    const patterns = stringList(notAction ? raw.NotAction : raw.Action) ?? [];
    const actions = effectiveActions(patterns, notAction);
    const clauses = conditionClauses(raw.Condition);
    for (const c of clauses) {
      if (c.key.toLowerCase().startsWith('kms:encryptioncontext:')) {
        policyContextKeys.push({
          key: c.key.slice('kms:EncryptionContext:'.length),
          values: c.values,
          where,
          ignoreCase: /IgnoreCase/.test(c.operator),
        });
      }
    }
    const conditions = clauses.map(describeClause);
    const notPrincipal = raw.Principal === undefined && raw.NotPrincipal !== undefined;
    const entries = principalEntries(notPrincipal ? raw.NotPrincipal : raw.Principal) ?? [];
    if (notPrincipal) {
      principals.push({
        principal: '*',
        description: `anyone except ${entries.map((e) => e.value).join(', ')}`,
        actions: shownActions(patterns, notAction),
        conditions,
        source: 'policy',
        effect,
        group: 'everyone',
        statementSid: sid,
        statementIndex: index,
      });
      if (effect === 'Allow') {
        findings.push({
          code: 'AllowWithNotPrincipal',
          severity: 'high',
          title: 'Allow with NotPrincipal',
          detail: `${where} allows everyone except ${entries.map((e) => e.value).join(', ')}: name the principals to allow instead.`,
          where,
          statementSid: sid,
        });
      }
      return;
    }
    for (const entry of entries) {
      const everyone = entry.type === '*' || entry.value === '*';
      const group = groupOf({ type: entry.type, value: entry.value, actions, clauses, accountId });
      principals.push({
        principal: entry.value,
        description: describePrincipal(entry.type, entry.value, accountId),
        actions: shownActions(patterns, notAction),
        conditions,
        source: 'policy',
        effect,
        group,
        statementSid: sid,
        statementIndex: index,
      });
      if (effect !== 'Allow') continue;
      if (everyone && !clauses.some(restricts)) {
        findings.push({
          code: 'PublicAccess',
          severity: 'high',
          title: 'Any principal, with no condition that limits who',
          detail:
            `${where} allows "*" to ${shownActions(patterns, notAction).join(', ')}${conditions.length ? ` (${conditions.join('; ')})` : ''}: ` +
            'any AWS account could use the key. Limit it with aws:PrincipalOrgID, kms:CallerAccount or ' +
            'aws:PrincipalAccount, or name the principals.',
          where,
          statementSid: sid,
        });
      }
      const account = principalAccount(entry.value);
      if (!everyone && account && account !== accountId && actionsAllowAny(actions, DECRYPT_ACTIONS)) {
        findings.push({
          code: 'CrossAccountDecrypt',
          severity: 'medium',
          title: `Account ${account} may decrypt`,
          detail:
            `${where} lets ${describePrincipal(entry.type, entry.value, accountId)} decrypt with this key. ` +
            'Check that this other account is meant to read the data.',
          where,
          statementSid: sid,
        });
      }
    }
  });

  for (const grant of input.grants) {
    const grantId = grant.GrantId ?? '?';
    const where = `grant ${grant.Name ? `${grant.Name} (${grantId})` : grantId}`;
    const grantee = grant.GranteePrincipal ?? '?';
    const actions = (grant.Operations ?? []).map((op) => `kms:${op}`);
    const actionSet = new Set(actions);
    const conditions: string[] = [];
    const equals = grant.Constraints?.EncryptionContextEquals;
    const subset = grant.Constraints?.EncryptionContextSubset;
    const pairs = (m: Record<string, string>): string =>
      Object.entries(m)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ');
    if (equals && Object.keys(equals).length)
      conditions.push(`only with exactly the encryption context ${pairs(equals)} (keys and values case-sensitive)`);
    if (subset && Object.keys(subset).length)
      conditions.push(`only when the encryption context includes ${pairs(subset)} (keys and values case-sensitive)`);
    if (grant.RetiringPrincipal) conditions.push(`can be retired by ${grant.RetiringPrincipal}`);
    if (grant.IssuingAccount && !grant.IssuingAccount.endsWith(`:${accountId}:root`) && grant.IssuingAccount !== accountId)
      conditions.push(`issued by ${grant.IssuingAccount}`);
    const type = isServicePrincipal(grantee) ? 'grant' : 'AWS';
    const group = groupOf({ type: type === 'grant' ? 'grant' : 'AWS', value: grantee, actions: actionSet, clauses: [], accountId });
    principals.push({
      principal: grantee,
      description: isServicePrincipal(grantee) ? `the AWS service ${grantee}` : describeAwsPrincipal(grantee),
      actions,
      conditions,
      source: 'grant',
      effect: 'Allow',
      group,
      grantId,
      ...(grant.Name ? { grantName: grant.Name } : {}),
    });
    const constrained = Boolean((equals && Object.keys(equals).length) || (subset && Object.keys(subset).length));
    const cryptographic = actions.some((a) => kmsActionInfo(a)?.category === 'use');
    if (!constrained && cryptographic) {
      findings.push({
        code: 'GrantWithoutConstraints',
        severity: 'medium',
        title: 'Grant without encryption-context constraints',
        detail:
          `${where} lets ${grantee} ${actions.join(', ')} with any encryption context. ` +
          `If the grantee's data carries an encryption context, constrain the grant to it ` +
          '(EncryptionContextSubset or EncryptionContextEquals).',
        where,
        grantId,
      });
    }
    const account = principalAccount(grantee);
    if (account && account !== accountId && actionsAllowAny(actionSet, DECRYPT_ACTIONS)) {
      findings.push({
        code: 'CrossAccountDecrypt',
        severity: 'medium',
        title: `Account ${account} may decrypt`,
        detail: `${where} lets ${describeAwsPrincipal(grantee)} of another account decrypt with this key.`,
        where,
        grantId,
      });
    }
    // The case rule: grant constraints are case-sensitive in keys and values.
    const constraintMap = { ...(subset ?? {}), ...(equals ?? {}) };
    const keys = Object.keys(constraintMap);
    const clash = keys.find((k, i) => keys.findIndex((o) => o.toLowerCase() === k.toLowerCase()) !== i);
    if (clash) {
      findings.push({
        code: 'GrantContextCase',
        severity: 'low',
        title: 'Grant constraint keys differ only in case',
        detail:
          `${where} constrains encryption context keys that differ only in case ` +
          `(${keys.filter((k) => k.toLowerCase() === clash.toLowerCase()).join(', ')}). ` +
          'Grant constraints are case-sensitive, so a request must carry each exactly as written.',
        where,
        grantId,
      });
    }
    for (const [key, value] of Object.entries(constraintMap)) {
      const near = policyContextKeys.find(
        (p) =>
          p.key.toLowerCase() === key.toLowerCase() &&
          (p.key !== key || p.values.some((v) => v !== value && v.toLowerCase() === value.toLowerCase())),
      );
      if (!near) continue;
      findings.push({
        code: 'GrantContextCase',
        severity: 'low',
        title: 'Encryption context case differs between a grant and the policy',
        detail:
          `${where} requires ${key}=${value} exactly (grant constraints are case-sensitive in keys and ` +
          `values), while ${near.where} tests kms:EncryptionContext:${near.key} ${quote(near.values)} (the key ` +
          `name matches in any case${near.ignoreCase ? ', the value too' : ', the value as written'}). ` +
          'A request written one way passes one check and fails the other: use the same spelling in both.',
        where,
        grantId,
      });
    }
  }
  const order: Record<FindingSeverity, number> = { high: 0, medium: 1, low: 2 };
  findings.sort((a, b) => order[a.severity] - order[b.severity]);
  return { keyArn: input.keyArn, accountId, principals, findings };
}
