/**
 * The lockout check: would the new policy still let the account (its root, through which
 * IAM policies apply) or the caller change the key policy, and what administration does
 * the change take away? KMS runs its own "policy lockout safety check" on PutKeyPolicy for
 * the caller; this one runs before saving, also for the account, and explains the outcome
 * in words. Evaluation is the IAM one without request context: an Allow with a Condition
 * counts as "only under conditions", a Deny with a Condition as "may block".
 */
import { actionPatternMatches } from './kmsActions';
import { isJsonObject, statementsOf, stringList } from './policyModel';
import { accountRootArn, delegatesToAccount, describeAwsPrincipal, parseAwsPrincipal, principalNamesCaller } from './principals';

export interface LockoutContext {
  /** The key's account. */
  readonly accountId: string;
  readonly partition?: string;
  /** The key's ARN; statements whose Resource does not match it do not count. */
  readonly keyArn?: string;
  /** The caller's ARN as STS GetCallerIdentity reports it, when known. */
  readonly callerArn?: string;
}

export type Access = 'allowed' | 'conditional' | 'blocked' | 'none';

/** Administration worth keeping, with what losing it means. */
export const ADMIN_ACTIONS: readonly { action: string; means: string }[] = [
  { action: 'kms:PutKeyPolicy', means: 'change the key policy' },
  { action: 'kms:GetKeyPolicy', means: 'read the key policy' },
  { action: 'kms:DescribeKey', means: 'see the key' },
  { action: 'kms:EnableKey', means: 'enable the key' },
  { action: 'kms:DisableKey', means: 'disable the key' },
  { action: 'kms:ScheduleKeyDeletion', means: 'schedule the key’s deletion' },
  { action: 'kms:CancelKeyDeletion', means: 'cancel a scheduled deletion' },
  { action: 'kms:CreateGrant', means: 'create grants' },
  { action: 'kms:RevokeGrant', means: 'revoke grants' },
  { action: 'kms:EnableKeyRotation', means: 'turn on key rotation' },
  { action: 'kms:TagResource', means: 'tag the key' },
  { action: 'kms:UpdateKeyDescription', means: 'change the description' },
];

export type LockoutLevel =
  /** The account or the caller can still change the policy, and no administration is lost. */
  | 'safe'
  /** The account or the caller can still change the policy, but loses some administration. */
  | 'reduced'
  /** Only other principals (or only under conditions) can change the policy. */
  | 'at-risk'
  /** Nobody can change the policy any more. */
  | 'locked-out';

export interface LockoutReport {
  readonly level: LockoutLevel;
  /** One plain sentence. */
  readonly headline: string;
  /** Further sentences: what is lost, who can still change the policy, which statement blocks it. */
  readonly details: readonly string[];
  /** Needs an explicit "I understand" before saving. */
  readonly needsConfirmation: boolean;
  /** Actions of ADMIN_ACTIONS the account (or caller) could perform before and cannot after. */
  readonly lost: readonly string[];
  /** Principals named in unconditional, unblocked Allow statements for kms:PutKeyPolicy. */
  readonly canChangePolicy: readonly string[];
  /**
   * The caller (ctx.callerArn) could change the policy before (with `previous`) and could not
   * after: "this change removes your own permission to change the policy".
   */
  readonly removesCallersPermission: boolean;
}

interface Subject {
  readonly label: string;
  /** The caller of ctx.callerArn (the account's subject when the caller is the root). */
  readonly isCaller?: boolean;
  readonly matches: (policyValue: string) => boolean;
}

interface Evaluation {
  readonly access: Access;
  /** Sids or numbers of the statements that decided it. */
  readonly allowedBy: string[];
  readonly deniedBy: string[];
}

function statementLabel(s: Record<string, unknown>, i: number): string {
  return typeof s.Sid === 'string' && s.Sid ? `"${s.Sid}"` : `${i + 1}`;
}

function principalApplies(s: Record<string, unknown>, subject: Subject): boolean {
  const not = 'NotPrincipal' in s;
  const value = not ? s.NotPrincipal : s.Principal;
  let named: boolean;
  if (value === '*') named = true;
  else if (isJsonObject(value)) named = (stringList(value.AWS) ?? []).some((v) => subject.matches(v));
  else return false; // malformed: KMS would refuse it; it decides nothing here
  return not ? !named : named;
}

function actionApplies(s: Record<string, unknown>, action: string): boolean {
  const not = 'NotAction' in s;
  const patterns = stringList(not ? s.NotAction : s.Action);
  if (!patterns) return false;
  const hit = patterns.some((p) => actionPatternMatches(p, action));
  return not ? !hit : hit;
}

function resourceApplies(s: Record<string, unknown>, keyArn: string | undefined): boolean {
  const not = 'NotResource' in s;
  const patterns = stringList(not ? s.NotResource : s.Resource);
  if (!patterns) return false;
  const hit = patterns.some((p) => p === '*' || (keyArn ? actionPatternMatches(p, keyArn) : /:key\//.test(p)));
  return not ? !hit : hit;
}

function evaluate(policy: unknown, subject: Subject, action: string, keyArn: string | undefined): Evaluation {
  type Found = 'yes' | 'conditional' | 'no';
  const stronger = (a: Found, conditional: boolean): Found => (conditional ? (a === 'yes' ? 'yes' : 'conditional') : 'yes');
  let allow: Found = 'no';
  let deny: Found = 'no';
  const allowedBy: string[] = [];
  const deniedBy: string[] = [];
  const statements = statementsOf(policy);
  for (let i = 0; i < statements.length; i++) {
    const s = statements[i];
    if (!isJsonObject(s)) continue;
    if (!principalApplies(s, subject) || !actionApplies(s, action) || !resourceApplies(s, keyArn)) continue;
    const conditional = isJsonObject(s.Condition) && Object.keys(s.Condition).length > 0;
    if (s.Effect === 'Deny') {
      deny = stronger(deny, conditional);
      deniedBy.push(statementLabel(s, i));
    } else if (s.Effect === 'Allow') {
      allow = stronger(allow, conditional);
      allowedBy.push(statementLabel(s, i));
    }
  }
  const access: Access =
    deny === 'yes' ? 'blocked' : allow === 'no' ? 'none' : allow === 'conditional' || deny === 'conditional' ? 'conditional' : 'allowed';
  return { access, allowedBy, deniedBy };
}

function subjectsOf(ctx: LockoutContext): Subject[] {
  const root = accountRootArn(ctx.accountId, ctx.partition);
  const caller = ctx.callerArn;
  const subjects: Subject[] = [
    { label: `the account ${ctx.accountId}`, isCaller: caller === root, matches: (v) => v === '*' || delegatesToAccount(v, ctx.accountId) },
  ];
  if (caller && caller !== root) {
    const callerAccount = /^arn:[^:]+:(?:iam|sts)::(\d{12}):/.exec(caller)?.[1];
    subjects.push({
      label: `you (${describeAwsPrincipal(caller)})`,
      isCaller: true,
      // Named directly, or through its account (the account principal lets IAM policies decide).
      matches: (v) => principalNamesCaller(v, caller) || (callerAccount !== undefined && delegatesToAccount(v, callerAccount)),
    });
  }
  return subjects;
}

const rank: Record<Access, number> = { allowed: 3, conditional: 2, none: 1, blocked: 0 };

function best(
  policy: unknown,
  subjects: Subject[],
  action: string,
  keyArn: string | undefined,
): { subject: Subject; evaluation: Evaluation } {
  return subjects
    .map((subject) => ({ subject, evaluation: evaluate(policy, subject, action, keyArn) }))
    .sort((a, b) => rank[b.evaluation.access] - rank[a.evaluation.access])[0];
}

/** AWS principals the policy lets change itself without conditions (and no Deny blocks). */
function principalsThatCanChangePolicy(policy: unknown, keyArn: string | undefined): string[] {
  const out: string[] = [];
  for (const s of statementsOf(policy)) {
    if (!isJsonObject(s) || s.Effect !== 'Allow' || 'NotPrincipal' in s) continue;
    if (isJsonObject(s.Condition) && Object.keys(s.Condition).length > 0) continue;
    if (!actionApplies(s, 'kms:PutKeyPolicy') || !resourceApplies(s, keyArn)) continue;
    const values = s.Principal === '*' ? ['*'] : isJsonObject(s.Principal) ? (stringList(s.Principal.AWS) ?? []) : [];
    for (const v of values) {
      if (out.includes(v) || !parseAwsPrincipal(v).ok) continue;
      const subject: Subject = { label: v, matches: (x) => x === '*' || x === v || principalNamesCaller(x, v) };
      if (evaluate(policy, subject, 'kms:PutKeyPolicy', keyArn).access === 'allowed') out.push(v);
    }
  }
  return out;
}

function listWords(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/**
 * Checks `policy` (the new policy value). With `previous` (the policy on the server), also
 * says which administration the account or caller loses.
 */
export function checkLockout(policy: unknown, ctx: LockoutContext, previous?: unknown): LockoutReport {
  const subjects = subjectsOf(ctx);
  const who = subjects.length > 1 ? `${subjects[0].label} or ${subjects[1].label}` : subjects[0].label;
  const noLonger =
    subjects.length > 1
      ? `Neither ${subjects[0].label} nor ${subjects[1].label} could change this key policy any more.`
      : `${capitalize(subjects[0].label)} could no longer change this key policy.`;
  const put = best(policy, subjects, 'kms:PutKeyPolicy', ctx.keyArn);
  const canChangePolicy = principalsThatCanChangePolicy(policy, ctx.keyArn);

  const lost: string[] = [];
  if (previous !== undefined) {
    for (const { action } of ADMIN_ACTIONS) {
      const before = best(previous, subjects, action, ctx.keyArn).evaluation.access;
      const after = best(policy, subjects, action, ctx.keyArn).evaluation.access;
      if (rank[after] < rank[before] && before !== 'none' && before !== 'blocked') lost.push(action);
    }
  }
  const lostSentence = lost.length
    ? `${capitalize(who)} would no longer be able to ${listWords(lost.map((a) => `${ADMIN_ACTIONS.find((x) => x.action === a)?.means ?? a} (${a})`))}.`
    : undefined;
  const details: string[] = [];
  const others = canChangePolicy.filter((p) => !subjects.some((s) => s.matches(p)));

  // The caller's own permission, when the caller is known: could it change the policy before, and after?
  const callerSubject = subjects.find((s) => s.isCaller);
  let removesCallersPermission = false;
  if (callerSubject && ctx.callerArn && previous !== undefined) {
    const before = evaluate(previous, callerSubject, 'kms:PutKeyPolicy', ctx.keyArn).access;
    const after = evaluate(policy, callerSubject, 'kms:PutKeyPolicy', ctx.keyArn).access;
    removesCallersPermission = (before === 'allowed' || before === 'conditional') && (after === 'none' || after === 'blocked');
  }
  if (removesCallersPermission && ctx.callerArn) {
    const callerWords = `${ctx.callerArn} (the identity this connection signs in as)`;
    const stillCan = put.evaluation.access === 'allowed' ? [put.subject.label] : others.map(describeAwsPrincipal);
    details.push(`You are ${callerWords}: the policy on KMS lets you change it, the new one does not.`);
    if (stillCan.length)
      details.push(
        `${capitalize(listWords(stillCan))} could still change it; make sure you can act as ${stillCan.length > 1 ? 'one of them' : 'it'}.`,
      );
    else details.push('Nobody could change or repair the policy afterwards; only AWS Support can help restore access to the key.');
    if (lostSentence) details.push(lostSentence);
    return {
      level: put.evaluation.access === 'allowed' ? 'reduced' : stillCan.length ? 'at-risk' : 'locked-out',
      headline: stillCan.length
        ? 'This change removes your own permission to change the ' +
          `policy: ${describeAwsPrincipal(ctx.callerArn)} (${ctx.callerArn}) could no longer change this key policy.`
        : 'After this change nobody could change this key policy: you would lock yourself out of the key. ' +
          `This change removes your own permission to change the policy (${ctx.callerArn}).`,
      details,
      needsConfirmation: true,
      lost,
      canChangePolicy,
      removesCallersPermission,
    };
  }

  if (put.evaluation.access === 'allowed') {
    if (lostSentence) details.push(lostSentence);
    return {
      level: lost.length ? 'reduced' : 'safe',
      headline: lost.length
        ? `${capitalize(put.subject.label)} can still change this key policy, but loses some administration.`
        : `${capitalize(put.subject.label)} can still change this key policy.`,
      details,
      needsConfirmation: false,
      lost,
      canChangePolicy,
      removesCallersPermission,
    };
  }

  const deniedBy = put.evaluation.deniedBy;
  if (put.evaluation.access === 'blocked') {
    details.push(
      `Statement${deniedBy.length > 1 ? 's' : ''} ${listWords(deniedBy)} ` +
        `den${deniedBy.length > 1 ? 'y' : 'ies'} kms:PutKeyPolicy to ${who}, and a Deny overrides every Allow.`,
    );
  } else if (put.evaluation.access === 'conditional') {
    details.push(
      put.evaluation.deniedBy.length
        ? `Statement${deniedBy.length > 1 ? 's' : ''} ${listWords(deniedBy)} may deny it, depending ` +
            `on ${deniedBy.length > 1 ? 'their conditions' : 'its condition'}.`
        : `Only statement${put.evaluation.allowedBy.length > 1 ? 's' : ''} ${listWords(put.evaluation.allowedBy)} ` +
            `allow${put.evaluation.allowedBy.length > 1 ? '' : 's'} it, and only ` +
            `when ${put.evaluation.allowedBy.length > 1 ? 'their conditions hold' : 'its condition holds'}.`,
    );
  } else {
    details.push(
      `No statement allows kms:PutKeyPolicy to ${who} (IAM policies in the account count only when the key policy allows the account).`,
    );
  }
  if (lostSentence) details.push(lostSentence);

  if (put.evaluation.access === 'conditional' || others.length) {
    if (others.length)
      details.push(
        `Only ${listWords(others.map(describeAwsPrincipal))} could still change it. ` +
          `Make sure ${others.length > 1 ? 'they exist' : 'it exists'} and that you can act ` +
          `as ${others.length > 1 ? 'one of them' : 'it'}.`,
      );
    details.push('If that fails, nobody can change the policy and only AWS Support can help restore access to the key.');
    return {
      level: 'at-risk',
      headline:
        put.evaluation.access === 'conditional' ? `${capitalize(who)} could change this key policy only under conditions.` : noLonger,
      details,
      needsConfirmation: true,
      lost,
      canChangePolicy,
      removesCallersPermission,
    };
  }
  details.push(
    'Nobody could change or repair the policy afterwards; only AWS Support can help restore access to ' +
      'the key. KMS may also refuse the change with its own lockout safety check.',
  );
  return {
    level: 'locked-out',
    headline: `After this change nobody could change this key policy: you would lock yourself out of the key.`,
    details,
    needsConfirmation: true,
    lost,
    canChangePolicy,
    removesCallersPermission,
  };
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
