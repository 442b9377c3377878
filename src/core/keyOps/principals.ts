import { type Checked, ok, problem, quote } from './checked';

/**
 * The principals the lifecycle commands take (grantee and retiring principals of grants,
 * key administrators and key users of a new key's policy): an AWS account id, the account
 * root, IAM users and roles, assumed-role and federated-user sessions, and AWS service
 * principals. An account id becomes the account's root ARN.
 */
export type PrincipalKind = 'account' | 'user' | 'role' | 'assumed-role' | 'federated-user' | 'service';

export interface Principal {
  readonly kind: PrincipalKind;
  /** What goes into the request or policy: an ARN, or the service principal's name. */
  readonly value: string;
  readonly accountId?: string;
  readonly partition?: string;
}

const PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b', 'aws-iso-e', 'aws-iso-f', 'aws-eusc'];
const PARTITION = `(${PARTITIONS.join('|')})`;
const IAM_NAME = /^[\w+=,.@-]{1,128}$/;
const IAM_ARN = new RegExp(`^arn:${PARTITION}:iam::(\\d{12}):(root|user|role)(?:/(.*))?$`);
const STS_ARN = new RegExp(`^arn:${PARTITION}:sts::(\\d{12}):(assumed-role|federated-user)/(.+)$`);
const SERVICE = /^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)*\.amazonaws\.com(\.cn)?$/;

export const PRINCIPAL_FORMS =
  'an account id (12 digits), arn:aws:iam::<account>:root, arn:aws:iam::<account>:user/<name>, arn:aws:iam::<account>:role/<name>, arn:aws:sts::<account>:assumed-role/<role>/<session>, or a service principal such as dynamodb.amazonaws.com';

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
  if (SERVICE.test(v)) return ok({ kind: 'service', value: v });
  if (/\.amazonaws\.com/.test(v)) return problem(`${quote(v)} is not a service principal: write it like dynamodb.amazonaws.com, in lower case.`);
  return problem(`${quote(v)} is not a principal format KMS accepts. Use ${PRINCIPAL_FORMS}.`);
}

function parseArn(v: string): Checked<Principal> {
  if (v.includes('*') || v.includes('?')) return problem(`${quote(v)}: wildcards are not allowed in principal ARNs.`);
  const iam = IAM_ARN.exec(v);
  if (iam) {
    const [, partition, accountId, type, rest] = iam;
    if (type === 'root') {
      if (rest !== undefined) return problem(`${quote(v)}: the account root ARN ends with ":root".`);
      return ok({ kind: 'account', value: v, accountId, partition });
    }
    if (!rest) return problem(`${quote(v)} names no ${type}: add its name after "${type}/".`);
    const parts = rest.split('/');
    const name = parts.pop() ?? '';
    if (!name) return problem(`${quote(v)} ends with "/": add the ${type} name.`);
    if (!IAM_NAME.test(name)) return problem(`${quote(v)}: ${quote(name)} is not a valid IAM ${type} name (letters, digits and +=,.@_- only).`);
    if (parts.some((p) => !/^[\x21-\x7e]+$/.test(p))) return problem(`${quote(v)}: the path of the ${type} has an empty or invalid part.`);
    return ok({ kind: type as 'user' | 'role', value: v, accountId, partition });
  }
  const sts = STS_ARN.exec(v);
  if (sts) {
    const [, partition, accountId, type, rest] = sts;
    if (type === 'assumed-role') {
      const [roleName, sessionName, ...extra] = rest.split('/');
      if (!roleName || !sessionName || extra.length) return problem(`${quote(v)}: an assumed-role ARN has the form arn:aws:sts::<account>:assumed-role/<role>/<session>.`);
      return ok({ kind: 'assumed-role', value: v, accountId, partition });
    }
    return ok({ kind: 'federated-user', value: v, accountId, partition });
  }
  if (/^arn:[^:]*:iam::[^:]*:(group)\//.test(v)) return problem(`${quote(v)}: an IAM group cannot be a principal. Name its users or roles instead.`);
  if (/^arn:[^:]*:(iam|sts)::(?!\d{12}:)/.test(v)) return problem(`${quote(v)}: the account part of the ARN must be a 12-digit account id.`);
  if (/^arn:[^:]*:iam:[^:]+:/.test(v)) return problem(`${quote(v)}: IAM ARNs have no Region; write arn:aws:iam::<account>:…`);
  const partition = /^arn:([^:]*):/.exec(v)?.[1];
  if (partition !== undefined && !PARTITIONS.includes(partition)) return problem(`${quote(v)}: "${partition}" is not an AWS partition (aws, aws-cn, aws-us-gov…).`);
  return problem(`${quote(v)} is not a principal format KMS accepts. Use ${PRINCIPAL_FORMS}.`);
}

/** Several principals typed in one line or passed as a list; all must parse. */
export function parsePrincipals(values: readonly string[], options: { partition?: string; allowServices?: boolean; role?: string } = {}): Checked<Principal[]> {
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
