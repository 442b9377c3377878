import { KEY_ADMIN_ACTIONS, KEY_DELETION_ACTIONS } from '../policy/kmsActions';
import type { KeyTypeId } from './keyTypes';
import type { Principal } from './principals';

/**
 * Key policies for a new key: KMS's default (the account may do everything; IAM policies
 * decide who does what), or the style of the AWS console's default, with chosen key
 * administrators and key users.
 */

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Principal: { readonly AWS?: string | string[]; readonly Service?: string | string[] };
  readonly Action: string | string[];
  readonly Resource: '*';
  readonly Condition?: Record<string, Record<string, string>>;
}

export interface KeyPolicy {
  readonly Version: '2012-10-17';
  readonly Id: string;
  readonly Statement: PolicyStatement[];
}

export interface Account {
  readonly accountId: string;
  readonly partition: string;
}

/** KMS's default key policy: the account root may do `kms:*`. */
export function defaultKeyPolicy(account: Account): KeyPolicy {
  return { Version: '2012-10-17', Id: 'key-default-1', Statement: [rootStatement(account)] };
}

/** What the console gives key administrators (without deletion when not allowed). */
export function administratorActions(options: { allowDeletion: boolean; multiRegion: boolean }): string[] {
  const actions = [...KEY_ADMIN_ACTIONS];
  if (options.multiRegion) actions.push('kms:ReplicateKey');
  if (options.allowDeletion) actions.push(...KEY_DELETION_ACTIONS);
  return actions;
}

/** What the console gives key users, by key type. */
export function userActions(type: KeyTypeId): string[] {
  switch (type) {
    case 'symmetric':
      return ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'];
    case 'asymmetricEncrypt':
      return ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:DescribeKey', 'kms:GetPublicKey'];
    case 'signVerify':
      return ['kms:DescribeKey', 'kms:GetPublicKey', 'kms:Sign', 'kms:Verify'];
    case 'hmac':
      return ['kms:DescribeKey', 'kms:GenerateMac', 'kms:VerifyMac'];
    case 'keyAgreement':
      return ['kms:DescribeKey', 'kms:GetPublicKey', 'kms:DeriveSharedSecret'];
  }
}

export interface ConsolePolicyInput {
  readonly account: Account;
  readonly keyType: KeyTypeId;
  readonly multiRegion: boolean;
  /** AWS principals (accounts, users, roles): services cannot administer keys. */
  readonly administrators: readonly Principal[];
  readonly allowAdministratorsToDelete: boolean;
  /** AWS principals and service principals. */
  readonly users: readonly Principal[];
}

/**
 * The console's default key policy: the account root statement (so the key can never be
 * locked out), "Allow access for Key Administrators", "Allow use of the key" and "Allow
 * attachment of persistent resources" (grants for AWS services, for the AWS principals
 * among the users). Statements with no principals are left out.
 */
export function consoleKeyPolicy(input: ConsolePolicyInput): KeyPolicy {
  const statements: PolicyStatement[] = [rootStatement(input.account)];
  const admins = input.administrators.filter((p) => p.kind !== 'service').map((p) => p.value);
  if (admins.length) {
    statements.push({
      Sid: 'Allow access for Key Administrators',
      Effect: 'Allow',
      Principal: { AWS: admins },
      Action: administratorActions({ allowDeletion: input.allowAdministratorsToDelete, multiRegion: input.multiRegion }),
      Resource: '*',
    });
  }
  const awsUsers = input.users.filter((p) => p.kind !== 'service').map((p) => p.value);
  const serviceUsers = input.users.filter((p) => p.kind === 'service').map((p) => p.value);
  if (awsUsers.length || serviceUsers.length) {
    statements.push({
      Sid: 'Allow use of the key',
      Effect: 'Allow',
      Principal: { ...(awsUsers.length ? { AWS: awsUsers } : {}), ...(serviceUsers.length ? { Service: serviceUsers } : {}) },
      Action: userActions(input.keyType),
      Resource: '*',
    });
  }
  if (awsUsers.length) {
    statements.push({
      Sid: 'Allow attachment of persistent resources',
      Effect: 'Allow',
      Principal: { AWS: awsUsers },
      Action: ['kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant'],
      Resource: '*',
      Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    });
  }
  return { Version: '2012-10-17', Id: 'key-consolepolicy-3', Statement: statements };
}

function rootStatement(account: Account): PolicyStatement {
  return {
    Sid: 'Enable IAM User Permissions',
    Effect: 'Allow',
    Principal: { AWS: `arn:${account.partition}:iam::${account.accountId}:root` },
    Action: 'kms:*',
    Resource: '*',
  };
}

/** The policy as KMS takes it (pretty-printed, well under the 32,768-byte limit for sane lists). */
export function policyJson(policy: KeyPolicy): string {
  return JSON.stringify(policy, null, 2);
}

export const POLICY_BYTES_MAX = 32_768;

/** KMS refuses key policies over 32,768 bytes. */
export function policySizeProblem(json: string): string | undefined {
  const bytes = Buffer.byteLength(json, 'utf8');
  return bytes > POLICY_BYTES_MAX ? `The key policy would be ${bytes} bytes; KMS allows at most ${POLICY_BYTES_MAX}. Name fewer principals.` : undefined;
}
