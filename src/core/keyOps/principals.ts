import { isServicePrincipal, parseAwsPrincipal } from '../policy/principals';
import { type Checked, ok, problem, quote } from './checked';

/**
 * The principals the lifecycle commands take (grantee and retiring principals of grants,
 * key administrators and key users of a new key's policy): an AWS account id, the account
 * root, IAM users and roles, assumed-role and federated-user sessions, and AWS service
 * principals. An account id becomes the account's root ARN. What an ARN names (and why
 * one is refused) comes from the policy model (core/policy/principals.ts).
 */
export type PrincipalKind = 'account' | 'user' | 'role' | 'assumed-role' | 'federated-user' | 'service';

export interface Principal {
  readonly kind: PrincipalKind;
  /** What goes into the request or policy: an ARN, or the service principal's name. */
  readonly value: string;
  readonly accountId?: string;
  readonly partition?: string;
}

export const PRINCIPAL_FORMS =
  'an account id (12 digits), arn:aws:iam::<account>:root, arn:aws:iam::<account>:user/<name>, ' +
  'arn:aws:iam::<account>:role/<name>, arn:aws:sts::<account>:assumed-role/<role>/<session>, or a ' +
  'service principal such as dynamodb.amazonaws.com';

/**
 * What a principal typed or passed is, or why KMS would not take it. `partition` is used
 * to turn a bare account id into its root ARN (default "aws").
 */
export function parsePrincipal(input: string, options: { partition?: string } = {}): Checked<Principal> {
  const v = input;
  if (v.trim() !== v) return problem(`The principal ${quote(v)} has spaces around it: remove them.`);
  if (v === '') return problem(`Enter a principal: ${PRINCIPAL_FORMS}.`);
  if (v === '*') return problem('"*" (everyone) cannot be given here: name an account, user, role or service.');
  if (/^\d{12}$/.test(v)) {
    const partition = options.partition ?? 'aws';
    return ok({ kind: 'account', value: `arn:${partition}:iam::${v}:root`, accountId: v, partition });
  }
  if (/^\d+$/.test(v)) return problem(`${quote(v)} is not an AWS account id: account ids have exactly 12 digits.`);
  if (v.startsWith('arn:')) return parseArn(v);
  if (isServicePrincipal(v)) return ok({ kind: 'service', value: v });
  if (/\.amazonaws\.com/.test(v))
    return problem(`${quote(v)} is not a service principal: write it like dynamodb.amazonaws.com, in lower case.`);
  return problem(`${quote(v)} is not a principal format KMS accepts. Use ${PRINCIPAL_FORMS}.`);
}

function parseArn(v: string): Checked<Principal> {
  // Only IAM and STS ARNs name principals; the policy model tells what one is or why it is not.
  if (!/^arn:[^:]*:(iam|sts):/.test(v)) return problem(`${quote(v)} is not a principal format KMS accepts. Use ${PRINCIPAL_FORMS}.`);
  const parsed = parseAwsPrincipal(v);
  if (!parsed.ok) return problem(parsed.problem);
  const p = parsed.principal;
  if (p.kind === 'anyone' || p.kind === 'unique-id')
    return problem(`${quote(v)} is not a principal format KMS accepts. Use ${PRINCIPAL_FORMS}.`);
  return ok({ kind: p.kind, value: v, accountId: p.accountId, partition: p.partition ?? 'aws' });
}

/** Several principals typed in one line or passed as a list; all must parse. */
export function parsePrincipals(
  values: readonly string[],
  options: { partition?: string; allowServices?: boolean; role?: string } = {},
): Checked<Principal[]> {
  const out: Principal[] = [];
  for (const value of values) {
    const p = parsePrincipal(value, options);
    if (!p.ok) return p;
    if (p.value.kind === 'service' && options.allowServices === false) {
      return problem(`${quote(value)} is a service principal; ${options.role ?? 'this'} must be an account, user or role.`);
    }
    if (!out.some((o) => o.value === p.value.value)) out.push(p.value);
  }
  return ok(out);
}

/** The account and partition of a KMS ARN (`arn:aws:kms:<region>:<account>:key/<id>`). */
export function accountOfArn(arn: string | undefined): { accountId: string; partition: string } | undefined {
  const m = /^arn:([^:]+):[^:]*:[^:]*:(\d{12}):/.exec(arn ?? '');
  return m ? { partition: m[1], accountId: m[2] } : undefined;
}
