/**
 * The KMS console's key policy, in one place for both ends: Create Key writes it
 * (`consoleKeyPolicy`), the policy editor's form recognises its statements (`consoleRoleOf`)
 * and writes new ones (`consoleRoleStatement`). Whatever one writes, the other reads back.
 *
 * The console's policy is the account statement ("Enable IAM User Permissions"), "Allow
 * access for Key Administrators", "Allow use of the key" and, for symmetric encryption keys,
 * "Allow attachment of persistent resources" (grants for AWS services, for the key users
 * that are IAM principals). The console leaves the grants statement out for asymmetric,
 * HMAC and key agreement keys: the AWS services that integrate with KMS (and create grants
 * on the user's behalf) use symmetric encryption keys only (KMS developer guide: "Default key
 * policy"; "Controlling access to HMAC KMS keys": "it does not include the key policy
 * statement designed for using grants with AWS services").
 */
import { CURRENT_POLICY_VERSION, type JsonObject, POLICY_SIZE_LIMIT, isJsonObject, stringList, utf8Length } from './policyModel';
import { accountRootArn, isServicePrincipal } from './principals';

/** Key usage and spec as DescribeKey reports them, and whether the key is multi-Region. */
export interface KeyKind {
  readonly keyUsage?: string;
  readonly keySpec?: string;
  readonly multiRegion?: boolean;
}

// ---- the console's action sets -----------------------------------------------------

/** What the KMS console gives key administrators, without deletion. */
export const KEY_ADMIN_ACTIONS: readonly string[] = [
  'kms:Create*',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:RotateKeyOnDemand',
];

/** Added for administrators allowed to delete the key. */
export const KEY_DELETION_ACTIONS: readonly string[] = ['kms:ScheduleKeyDeletion', 'kms:CancelKeyDeletion'];

/** Added for administrators of a multi-Region key (none of the wildcards above covers it). */
export const KEY_REPLICATION_ACTIONS: readonly string[] = ['kms:ReplicateKey'];

/** What the console gives key administrators of this kind of key. */
export function administratorActions(options: { allowDeletion: boolean; multiRegion?: boolean }): string[] {
  return [
    ...KEY_ADMIN_ACTIONS,
    ...(options.multiRegion ? KEY_REPLICATION_ACTIONS : []),
    ...(options.allowDeletion ? KEY_DELETION_ACTIONS : []),
  ];
}

/** What the console gives key users, by the key's usage and spec. */
export function keyUserActions(kind: KeyKind = {}): string[] {
  switch (kind.keyUsage) {
    case 'SIGN_VERIFY':
      return ['kms:DescribeKey', 'kms:GetPublicKey', 'kms:Sign', 'kms:Verify'];
    case 'GENERATE_VERIFY_MAC':
      return ['kms:DescribeKey', 'kms:GenerateMac', 'kms:VerifyMac'];
    case 'KEY_AGREEMENT':
      return ['kms:DescribeKey', 'kms:GetPublicKey', 'kms:DeriveSharedSecret'];
    default:
      return isSymmetricEncryption(kind)
        ? ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey']
        : ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:DescribeKey', 'kms:GetPublicKey'];
  }
}

/** Every key-user action set the console writes (to recognise an existing users statement). */
export const ALL_KEY_USER_ACTION_SETS: readonly (readonly string[])[] = [
  keyUserActions({ keyUsage: 'ENCRYPT_DECRYPT', keySpec: 'SYMMETRIC_DEFAULT' }),
  keyUserActions({ keyUsage: 'ENCRYPT_DECRYPT', keySpec: 'RSA_2048' }),
  keyUserActions({ keyUsage: 'SIGN_VERIFY' }),
  keyUserActions({ keyUsage: 'GENERATE_VERIFY_MAC' }),
  keyUserActions({ keyUsage: 'KEY_AGREEMENT' }),
];

/** What the console lets key users do with grants ("Allow attachment of persistent resources"). */
export const KEY_GRANT_ACTIONS: readonly string[] = ['kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant'];

function isSymmetricEncryption(kind: KeyKind): boolean {
  return (kind.keyUsage === undefined || kind.keyUsage === 'ENCRYPT_DECRYPT') && (!kind.keySpec || kind.keySpec === 'SYMMETRIC_DEFAULT');
}

/** Whether the console adds the grants statement for this kind of key (symmetric encryption keys: see the top of this file). */
export function keyKindUsesGrantsStatement(kind: KeyKind = {}): boolean {
  return isSymmetricEncryption(kind);
}

/** Same action names, ignoring order and case. */
export function sameActionSet(a: readonly string[], b: readonly string[]): boolean {
  const norm = (l: readonly string[]): string[] => [...new Set(l.map((s) => s.trim().toLowerCase()))].sort();
  const x = norm(a);
  const y = norm(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

// ---- the console's statements --------------------------------------------------------

/** The role a console statement plays: the account's, administrators' (with or without deletion), users', grants'. */
export type ConsoleRole = 'account' | 'admins' | 'admins-delete' | 'users' | 'grants';
export type MemberRole = Exclude<ConsoleRole, 'account'>;

export const CONSOLE_SIDS = {
  account: 'Enable IAM User Permissions',
  admins: 'Allow access for Key Administrators',
  /** Only when a policy has administrators both with and without deletion (the console writes one statement). */
  adminsDeleteSeparate: 'Allow access for Key Administrators who may delete the key',
  users: 'Allow use of the key',
  grants: 'Allow attachment of persistent resources',
} as const;

/** The account and partition whose root is "the account" of a policy. */
export interface PolicyAccount {
  readonly accountId?: string;
  readonly partition?: string;
}

/**
 * The members of a role statement: its AWS principals, then its Service principals;
 * undefined when its Principal has anything else (then it is not a role statement).
 */
export function rolePrincipalsOf(s: unknown): string[] | undefined {
  if (!isJsonObject(s) || !isJsonObject(s.Principal)) return undefined;
  const keys = Object.keys(s.Principal);
  if (keys.length === 0 || keys.some((k) => k !== 'AWS' && k !== 'Service')) return undefined;
  const out: string[] = [];
  for (const k of ['AWS', 'Service']) {
    if (!(k in s.Principal)) continue;
    const list = stringList(s.Principal[k]);
    if (!list) return undefined;
    out.push(...list);
  }
  return out;
}

/** The administrator action sets the console has written (older consoles had no RotateKeyOnDemand), with and without deletion. */
const ADMIN_SETS: ReadonlyArray<{ actions: readonly string[]; canDelete: boolean }> = (() => {
  const withoutRotate = KEY_ADMIN_ACTIONS.filter((a) => a !== 'kms:RotateKeyOnDemand');
  const out: { actions: readonly string[]; canDelete: boolean }[] = [];
  for (const base of [KEY_ADMIN_ACTIONS, withoutRotate]) {
    for (const replicate of [[], KEY_REPLICATION_ACTIONS]) {
      out.push({ actions: [...base, ...replicate], canDelete: false });
      out.push({ actions: [...base, ...replicate, ...KEY_DELETION_ACTIONS], canDelete: true });
    }
  }
  return out;
})();

function isGrantCondition(c: unknown): boolean {
  return (
    isJsonObject(c) &&
    Object.keys(c).length === 1 &&
    isJsonObject(c.Bool) &&
    Object.keys(c.Bool).length === 1 &&
    [true, 'true'].includes(c.Bool['kms:GrantIsForAWSResource'] as string | boolean)
  );
}

/** A statement that is exactly one of the console's role statements, and its principals. */
export function consoleRoleOf(s: unknown, account: PolicyAccount = {}): { role: ConsoleRole; principals: string[] } | undefined {
  if (!isJsonObject(s) || s.Effect !== 'Allow') return undefined;
  const allowed = ['Sid', 'Effect', 'Principal', 'Action', 'Resource', 'Condition'];
  if (Object.keys(s).some((k) => !allowed.includes(k))) return undefined;
  const principals = rolePrincipalsOf(s);
  if (!principals || principals.includes('*')) return undefined;
  const actions = stringList(s.Action);
  const resources = stringList(s.Resource);
  if (!actions || !resources || resources.length !== 1 || resources[0] !== '*') return undefined;

  if ('Condition' in s) {
    return isGrantCondition(s.Condition) && sameActionSet(actions, KEY_GRANT_ACTIONS) ? { role: 'grants', principals } : undefined;
  }
  const { accountId } = account;
  if (
    accountId &&
    principals.length === 1 &&
    [accountId, accountRootArn(accountId, account.partition)].includes(principals[0]) &&
    sameActionSet(actions, ['kms:*'])
  ) {
    return { role: 'account', principals };
  }
  const admin = ADMIN_SETS.find((set) => sameActionSet(actions, set.actions));
  if (admin) return { role: admin.canDelete ? 'admins-delete' : 'admins', principals };
  if (ALL_KEY_USER_ACTION_SETS.some((set) => sameActionSet(actions, set))) return { role: 'users', principals };
  return undefined;
}

/** A Principal value for role members: AWS principals under "AWS", services under "Service", each a list. */
function memberPrincipal(members: readonly string[]): JsonObject {
  const aws = members.filter((m) => !isServicePrincipal(m));
  const services = members.filter(isServicePrincipal);
  return { ...(aws.length ? { AWS: aws } : {}), ...(services.length ? { Service: services } : {}) };
}

/** A new role statement as the console writes it. */
export function consoleRoleStatement(
  role: MemberRole,
  members: readonly string[],
  kind: KeyKind = {},
  options: { sid?: string } = {},
): JsonObject {
  const Principal = memberPrincipal(members);
  switch (role) {
    case 'admins':
    case 'admins-delete':
      return {
        Sid: options.sid ?? CONSOLE_SIDS.admins,
        Effect: 'Allow',
        Principal,
        Action: administratorActions({ allowDeletion: role === 'admins-delete', multiRegion: kind.multiRegion }),
        Resource: '*',
      };
    case 'users':
      return { Sid: options.sid ?? CONSOLE_SIDS.users, Effect: 'Allow', Principal, Action: keyUserActions(kind), Resource: '*' };
    case 'grants':
      return {
        Sid: options.sid ?? CONSOLE_SIDS.grants,
        Effect: 'Allow',
        Principal,
        Action: [...KEY_GRANT_ACTIONS],
        Resource: '*',
        Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      };
  }
}

/** The account statement: the account root may do `kms:*` (so IAM policies count and the key cannot be locked out). */
export function accountStatement(accountId: string, partition = 'aws'): JsonObject {
  return {
    Sid: CONSOLE_SIDS.account,
    Effect: 'Allow',
    Principal: { AWS: accountRootArn(accountId, partition) },
    Action: 'kms:*',
    Resource: '*',
  };
}

/** KMS's default key policy (what CreateKey attaches when given none): the account root may do `kms:*`. */
export function defaultKeyPolicy(accountId: string, partition = 'aws'): JsonObject {
  return { Version: CURRENT_POLICY_VERSION, Id: 'key-default-1', Statement: [accountStatement(accountId, partition)] };
}

export interface ConsolePolicyInput {
  readonly accountId: string;
  readonly partition: string;
  readonly kind: KeyKind;
  /** Principal values (ARNs); service principals cannot administer keys and are left out. */
  readonly administrators: readonly string[];
  readonly allowAdministratorsToDelete: boolean;
  /** Principal values (ARNs) and service principals. */
  readonly users: readonly string[];
}

/**
 * The console's default key policy for a new key with these administrators and users.
 * Statements with no principals are left out; the grants statement names the users that
 * are IAM principals (an AWS service cannot be given grants for AWS resources).
 */
export function consoleKeyPolicy(input: ConsolePolicyInput): JsonObject {
  const statements: JsonObject[] = [accountStatement(input.accountId, input.partition)];
  const admins = input.administrators.filter((p) => !isServicePrincipal(p));
  if (admins.length)
    statements.push(consoleRoleStatement(input.allowAdministratorsToDelete ? 'admins-delete' : 'admins', admins, input.kind));
  if (input.users.length) statements.push(consoleRoleStatement('users', input.users, input.kind));
  const awsUsers = input.users.filter((p) => !isServicePrincipal(p));
  if (awsUsers.length && keyKindUsesGrantsStatement(input.kind)) statements.push(consoleRoleStatement('grants', awsUsers, input.kind));
  return { Version: CURRENT_POLICY_VERSION, Id: 'key-consolepolicy-3', Statement: statements };
}

/** Why KMS would refuse a policy text for its size (at most 32,768 bytes of UTF-8), or undefined. */
export function policySizeProblem(json: string): string | undefined {
  const bytes = utf8Length(json);
  return bytes > POLICY_SIZE_LIMIT
    ? `The key policy would be ${bytes} bytes; KMS allows at most ${POLICY_SIZE_LIMIT}. Name fewer principals.`
    : undefined;
}
