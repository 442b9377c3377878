/**
 * The forms a principal takes in a key policy: `*`, an account id, the account root, IAM
 * users and roles, assumed-role and federated-user sessions, service principals. Parsing
 * tells the form and the lockout check what each one is; problems come with a sentence
 * naming the fix.
 */

export type PrincipalType = 'AWS' | 'Service' | 'Federated' | 'CanonicalUser';
export const PRINCIPAL_TYPES: readonly PrincipalType[] = ['AWS', 'Service', 'Federated', 'CanonicalUser'];

export const PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b', 'aws-iso-e', 'aws-iso-f', 'aws-eusc'] as const;

export type AwsPrincipal =
  | { readonly kind: 'anyone' }
  | { readonly kind: 'account'; readonly accountId: string; readonly partition?: string; readonly form: 'id' | 'root' }
  | { readonly kind: 'user' | 'role'; readonly accountId: string; readonly partition: string; readonly path: string; readonly name: string }
  | {
      readonly kind: 'assumed-role';
      readonly accountId: string;
      readonly partition: string;
      readonly roleName: string;
      readonly sessionName: string;
    }
  | { readonly kind: 'federated-user'; readonly accountId: string; readonly partition: string; readonly name: string }
  | { readonly kind: 'unique-id'; readonly id: string };

export type ParsedAwsPrincipal = { readonly ok: true; readonly principal: AwsPrincipal } | { readonly ok: false; readonly problem: string };

const ACCOUNT_ID = /^\d{12}$/;
const PARTITION = `(${PARTITIONS.join('|')})`;
const IAM_ARN = new RegExp(
  `^arn:${PARTITION}:iam::(\\d{12}):(root|user|role|group|policy|oidc-provider|saml-provider|instance-profile)(?:/(.*))?$`,
);
const STS_ARN = new RegExp(`^arn:${PARTITION}:sts::(\\d{12}):(assumed-role|federated-user)/(.+)$`);
/** IAM user and role names: letters, digits and +=,.@_- (at most 128). */
const IAM_NAME = /^[\w+=,.@-]{1,128}$/;
/** An AWS service principal such as "logs.amazonaws.com" (".amazonaws.com.cn" in China). */
const SERVICE_PRINCIPAL = /^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)*\.amazonaws\.com(\.cn)?$/;
/** IAM unique ids of deleted users and roles, which KMS shows in place of their ARNs. */
const UNIQUE_ID = /^(AIDA|AROA)[A-Z0-9]{12,}$/;

/** What an "AWS" principal value is, or why it is not one. */
export function parseAwsPrincipal(value: string): ParsedAwsPrincipal {
  const v = value;
  if (v === '*') return { ok: true, principal: { kind: 'anyone' } };
  if (v.trim() !== v) return { ok: false, problem: `"${v}" has spaces around it: remove them.` };
  if (ACCOUNT_ID.test(v)) return { ok: true, principal: { kind: 'account', accountId: v, form: 'id' } };
  if (/^\d+$/.test(v)) return { ok: false, problem: `"${v}" is not an AWS account id: account ids have exactly 12 digits.` };
  if (UNIQUE_ID.test(v)) return { ok: true, principal: { kind: 'unique-id', id: v } };
  if (!v.startsWith('arn:')) {
    return {
      ok: false,
      problem: `"${v}" is not a principal: use an account id (12 digits), an IAM ARN like arn:aws:iam::111122223333:role/Name, or "*".`,
    };
  }
  if (v.includes('*') || v.includes('?')) {
    return {
      ok: false,
      problem: `"${v}": wildcards are not allowed in principal ARNs. Use "*" with a Condition on aws:PrincipalArn (ArnLike) instead.`,
    };
  }
  const iam = IAM_ARN.exec(v);
  if (iam) {
    const [, partition, accountId, type, rest] = iam;
    if (type === 'root') {
      if (rest !== undefined) return { ok: false, problem: `"${v}": the account root ARN ends with ":root".` };
      return { ok: true, principal: { kind: 'account', accountId, partition, form: 'root' } };
    }
    if (type === 'group')
      return {
        ok: false,
        problem: `"${v}": an IAM group cannot be a principal. Name its users or roles, or allow the account and give the group an IAM policy.`,
      };
    if (type !== 'user' && type !== 'role')
      return { ok: false, problem: `"${v}": an IAM ${type} cannot be a principal here. Use a user, a role or the account.` };
    if (!rest) return { ok: false, problem: `"${v}" names no ${type}: add its name after "${type}/".` };
    const parts = rest.split('/');
    const name = parts.pop() as string;
    if (!name) return { ok: false, problem: `"${v}" ends with "/": add the ${type} name.` };
    if (!IAM_NAME.test(name))
      return { ok: false, problem: `"${v}": "${name}" is not a valid IAM ${type} name (letters, digits and +=,.@_- only).` };
    if (parts.some((p) => !/^[\x21-\x7e]+$/.test(p)))
      return { ok: false, problem: `"${v}": the path of the ${type} has an empty or invalid part.` };
    return { ok: true, principal: { kind: type, accountId, partition, path: parts.length ? `/${parts.join('/')}/` : '/', name } };
  }
  const sts = STS_ARN.exec(v);
  if (sts) {
    const [, partition, accountId, type, rest] = sts;
    if (type === 'assumed-role') {
      const [roleName, sessionName, ...extra] = rest.split('/');
      if (!roleName || !sessionName || extra.length)
        return { ok: false, problem: `"${v}": an assumed-role ARN has the form arn:aws:sts::<account>:assumed-role/<role>/<session>.` };
      return { ok: true, principal: { kind: 'assumed-role', accountId, partition, roleName, sessionName } };
    }
    return { ok: true, principal: { kind: 'federated-user', accountId, partition, name: rest } };
  }
  if (/^arn:[^:]*:iam::[^:]*:/.test(v) && !/^arn:[^:]*:iam::\d{12}:/.test(v)) {
    return { ok: false, problem: `"${v}": the account part of an IAM ARN must be a 12-digit account id.` };
  }
  if (/^arn:[^:]+:iam:[^:]+:/.test(v)) return { ok: false, problem: `"${v}": IAM ARNs have no Region; write arn:aws:iam::<account>:…` };
  const partition = /^arn:([^:]*):/.exec(v)?.[1];
  if (partition !== undefined && !(PARTITIONS as readonly string[]).includes(partition)) {
    return { ok: false, problem: `"${v}": "${partition}" is not an AWS partition (aws, aws-cn, aws-us-gov…).` };
  }
  return {
    ok: false,
    problem:
      `"${v}" is not an IAM principal ARN: use arn:aws:iam::<account>:root, …:user/<name>, …:role/<name> ` +
      'or arn:aws:sts::<account>:assumed-role/<role>/<session>.',
  };
}

/** Whether the value is an AWS service principal such as "lambda.amazonaws.com" (the only ones a key's users may include besides IAM principals). */
export function isServicePrincipal(value: string): boolean {
  return SERVICE_PRINCIPAL.test(value);
}

/** A service principal such as "logs.amazonaws.com". */
export function serviceProblem(value: string): string | undefined {
  if (value === '*') return undefined;
  if (isServicePrincipal(value) || /^[a-z0-9][a-z0-9.-]*\.(amazon|aws)\.(com|internal)$/.test(value)) return undefined;
  return `"${value}" is not a service principal: service principals look like logs.amazonaws.com.`;
}

export function canonicalUserProblem(value: string): string | undefined {
  return /^[0-9a-f]{64}$/.test(value) ? undefined : `"${value}" is not a canonical user id (64 hexadecimal characters).`;
}

export function federatedProblem(value: string): string | undefined {
  if (/^arn:[^:]+:iam::\d{12}:(saml-provider|oidc-provider)\/.+$/.test(value)) return undefined;
  if (/^[a-z0-9.-]+\.[a-z]{2,}(\/.*)?$/i.test(value)) return undefined; // cognito-identity.amazonaws.com, accounts.google.com…
  return `"${value}" is not a federated principal: use a SAML or OIDC provider ARN or an identity provider domain such as cognito-identity.amazonaws.com.`;
}

/** The account root ARN of an account. */
export function accountRootArn(accountId: string, partition = 'aws'): string {
  return `arn:${partition}:iam::${accountId}:root`;
}

/** The account an AWS principal belongs to (undefined for "*" and unique ids). */
export function accountOf(p: AwsPrincipal): string | undefined {
  return 'accountId' in p ? p.accountId : undefined;
}

/** Whether the value stands for a whole account (its id or its root ARN). */
export function isAccountPrincipal(value: string, accountId?: string): boolean {
  const parsed = parseAwsPrincipal(value);
  return parsed.ok && parsed.principal.kind === 'account' && (accountId === undefined || parsed.principal.accountId === accountId);
}

/** A short description for people: "the account 111122223333", "role Admin (111122223333)". */
export function describeAwsPrincipal(value: string): string {
  const parsed = parseAwsPrincipal(value);
  if (!parsed.ok) return value;
  const p = parsed.principal;
  switch (p.kind) {
    case 'anyone':
      return 'anyone (any AWS account)';
    case 'account':
      return `the account ${p.accountId}`;
    case 'user':
    case 'role':
      return `${p.kind} ${p.name} (${p.accountId})`;
    case 'assumed-role':
      return `session ${p.sessionName} of role ${p.roleName} (${p.accountId})`;
    case 'federated-user':
      return `federated user ${p.name} (${p.accountId})`;
    case 'unique-id':
      return `a deleted IAM ${p.id.startsWith('AROA') ? 'role' : 'user'} (${p.id})`;
  }
}

/**
 * Whether a principal in a policy (`policyValue`, an "AWS" value) names `caller`, an ARN
 * as STS GetCallerIdentity reports it: the same user or role, the role of an assumed-role
 * session, or "*". The account root in a policy does not name a caller directly (it
 * delegates to IAM policies): see `delegatesToAccount`.
 */
export function principalNamesCaller(policyValue: string, caller: string): boolean {
  if (policyValue === '*') return true;
  if (policyValue === caller) return true;
  const a = parseAwsPrincipal(policyValue);
  const c = parseAwsPrincipal(caller);
  if (!a.ok || !c.ok) return false;
  const pa = a.principal;
  const pc = c.principal;
  if (pa.kind === 'role' && pc.kind === 'assumed-role') return pa.accountId === pc.accountId && pa.name === pc.roleName;
  if (pa.kind === 'role' && pc.kind === 'role') return pa.accountId === pc.accountId && pa.name === pc.name;
  if (pa.kind === 'user' && pc.kind === 'user') return pa.accountId === pc.accountId && pa.name === pc.name;
  return false;
}

/** Whether a policy principal value is the account (id or root ARN), which delegates to IAM. */
export function delegatesToAccount(policyValue: string, accountId: string): boolean {
  return isAccountPrincipal(policyValue, accountId);
}
