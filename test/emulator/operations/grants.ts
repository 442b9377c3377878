// CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant. Grants are recorded and
// listed; the emulator does not evaluate them (every signed caller is fully authorised).
import { randomBytes } from 'node:crypto';
import type { OpContext } from '../context';
import { apiError, limitExceeded, notFound, validation } from '../errors';
import { requireState } from '../keyState';
import { kindOf } from '../keySpecs';
import { checkDryRun, grantTokensRule, type OperationTable, seconds } from '../operation';
import { paginate, pageFields } from '../paging';
import { requireCustomerManaged, resolveKey } from '../resolve';
import type { Grant, GrantConstraints, Key } from '../types';

export const grantOperationNames = [
  'Decrypt',
  'Encrypt',
  'GenerateDataKey',
  'GenerateDataKeyWithoutPlaintext',
  'ReEncryptFrom',
  'ReEncryptTo',
  'Sign',
  'Verify',
  'GetPublicKey',
  'CreateGrant',
  'RetireGrant',
  'DescribeKey',
  'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext',
  'GenerateMac',
  'VerifyMac',
  'DeriveSharedSecret',
] as const;

export const maxGrantsPerKey = 50000;

/** The grant operations KMS accepts for a key of this type and usage. */
export function grantOperationsFor(key: Pick<Key, 'spec' | 'usage'>): string[] {
  const always = ['CreateGrant', 'RetireGrant', 'DescribeKey'];
  switch (kindOf(key.spec)) {
    case 'symmetric':
      return [
        ...always,
        'Decrypt',
        'Encrypt',
        'GenerateDataKey',
        'GenerateDataKeyWithoutPlaintext',
        'GenerateDataKeyPair',
        'GenerateDataKeyPairWithoutPlaintext',
        'ReEncryptFrom',
        'ReEncryptTo',
      ];
    case 'hmac':
      return [...always, 'GenerateMac', 'VerifyMac'];
    case 'ml-kem':
      return [...always, 'GetPublicKey'];
    default:
      return key.usage === 'SIGN_VERIFY'
        ? [...always, 'Sign', 'Verify', 'GetPublicKey']
        : [...always, 'Decrypt', 'Encrypt', 'ReEncryptFrom', 'ReEncryptTo', 'GetPublicKey'];
  }
}

export function newGrant(
  accountId: string,
  fields: Omit<Grant, 'grantId' | 'token' | 'issuingAccount' | 'creationDate'> & { creationDate?: number },
): Grant {
  return {
    ...fields,
    grantId: randomBytes(32).toString('hex'),
    token: randomBytes(96).toString('base64url'),
    issuingAccount: `arn:aws:iam::${accountId}:root`,
    creationDate: fields.creationDate ?? Date.now(),
  };
}

function grantEntry(ctx: OpContext, key: Key, grant: Grant): Record<string, unknown> {
  return {
    KeyId: ctx.store.arnOf(key),
    GrantId: grant.grantId,
    ...(grant.name !== undefined ? { Name: grant.name } : {}),
    CreationDate: seconds(grant.creationDate),
    GranteePrincipal: grant.granteePrincipal,
    ...(grant.retiringPrincipal !== undefined ? { RetiringPrincipal: grant.retiringPrincipal } : {}),
    IssuingAccount: grant.issuingAccount,
    Operations: grant.operations,
    ...(grant.constraints ? { Constraints: grant.constraints } : {}),
  };
}

const grantSortKey = (grant: Grant): string => `${String(grant.creationDate).padStart(15, '0')}:${grant.grantId}`;

function checkGrantId(grantId: string): void {
  if (!/^[0-9a-f]{64}$/.test(grantId)) throw apiError('InvalidGrantIdException', `Grant ID ${grantId} is not valid.`);
}

function findGrant(ctx: OpContext, key: Key, grantId: string): Grant {
  checkGrantId(grantId);
  const grant = key.grants.find((g) => g.grantId === grantId);
  if (!grant) throw notFound(`Grant ID ${grantId} not found for ${ctx.store.arnOf(key)}.`);
  return grant;
}

function removeGrant(key: Key, grant: Grant): void {
  key.grants = key.grants.filter((g) => g !== grant);
}

export const grantOperations: OperationTable = {
  CreateGrant: {
    handler(input, ctx) {
      const keyId = input.requiredString('KeyId', { max: 2048 });
      const granteePrincipal = input.requiredString('GranteePrincipal', { max: 256 });
      const retiringPrincipal = input.string('RetiringPrincipal', { min: 1, max: 256 });
      const operations = input.stringList('Operations');
      const constraintsInput = input.object('Constraints');
      const constraints: GrantConstraints | undefined = constraintsInput
        ? {
            EncryptionContextSubset: constraintsInput.stringMap('EncryptionContextSubset'),
            EncryptionContextEquals: constraintsInput.stringMap('EncryptionContextEquals'),
          }
        : undefined;
      input.stringList('GrantTokens', grantTokensRule);
      const name = input.string('Name', { min: 1, max: 256, pattern: /^[a-zA-Z0-9:/_-]+$/ });
      if (!operations)
        throw validation("1 validation error detected: Value null at 'operations' failed to satisfy constraint: Member must not be null");
      const unknown = operations.filter((op) => !(grantOperationNames as readonly string[]).includes(op));
      if (unknown.length)
        throw validation(
          `1 validation error detected: Value '[${operations.join(', ')}]' at 'operations' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [${grantOperationNames.join(', ')}]]`,
        );
      const key = resolveKey(ctx, keyId);
      requireCustomerManaged(ctx, key);
      requireState(ctx, key, 'createGrant');
      const valid = grantOperationsFor(key);
      const invalid = operations.filter((op) => !valid.includes(op));
      if (invalid.length)
        throw validation(
          `Grant operations ${invalid.join(', ')} are not valid for ${ctx.store.arnOf(key)} (KeySpec ${key.spec}, KeyUsage ${key.usage}).`,
        );
      if (constraints && key.spec !== 'SYMMETRIC_DEFAULT')
        throw validation('Grant constraints on the encryption context are valid only for symmetric encryption keys.');
      checkDryRun(input);
      const cleanConstraints =
        constraints && (constraints.EncryptionContextSubset || constraints.EncryptionContextEquals)
          ? (JSON.parse(JSON.stringify(constraints)) as GrantConstraints)
          : undefined;
      const same =
        name !== undefined
          ? key.grants.find(
              (g) =>
                g.name === name &&
                g.granteePrincipal === granteePrincipal &&
                g.retiringPrincipal === retiringPrincipal &&
                g.operations.join() === operations.join(),
            )
          : undefined;
      if (same) return { GrantToken: same.token, GrantId: same.grantId };
      if (key.grants.length >= maxGrantsPerKey) throw limitExceeded(`${ctx.store.arnOf(key)} already has ${maxGrantsPerKey} grants.`);
      const grant = newGrant(ctx.accountId, {
        name,
        granteePrincipal,
        retiringPrincipal,
        operations,
        constraints: cleanConstraints,
        creationDate: ctx.now,
      });
      key.grants.push(grant);
      return { GrantToken: grant.token, GrantId: grant.grantId };
    },
  },

  ListGrants: {
    readOnly: true,
    handler(input, ctx) {
      const key = resolveKey(ctx, input.requiredString('KeyId', { max: 2048 }));
      const grantId = input.string('GrantId', { min: 1, max: 128 });
      const grantee = input.string('GranteePrincipal', { min: 1, max: 256 });
      const grants = key.grants.filter(
        (g) => (grantId === undefined || g.grantId === grantId) && (grantee === undefined || g.granteePrincipal === grantee),
      );
      const page = paginate(grants, grantSortKey, input, { max: 100, default: 50 });
      return pageFields('Grants', page, (g) => grantEntry(ctx, key, g));
    },
  },

  ListRetirableGrants: {
    readOnly: true,
    handler(input, ctx) {
      const retiring = input.requiredString('RetiringPrincipal', { max: 256 });
      const entries = ctx.store
        .keys(ctx.region)
        .flatMap((key) => key.grants.filter((g) => g.retiringPrincipal === retiring).map((grant) => ({ key, grant })));
      const page = paginate(entries, (e) => grantSortKey(e.grant), input, { max: 100, default: 50 });
      return pageFields('Grants', page, (e) => grantEntry(ctx, e.key, e.grant));
    },
  },

  RetireGrant: {
    handler(input, ctx) {
      const token = input.string('GrantToken', { min: 1, max: 8192 });
      const keyId = input.string('KeyId', { min: 1, max: 2048 });
      const grantId = input.string('GrantId', { min: 1, max: 128 });
      input.stringList('GrantTokens', grantTokensRule);
      if (token !== undefined) {
        for (const key of ctx.store.keys(ctx.region)) {
          const grant = key.grants.find((g) => g.token === token);
          if (grant && (grantId === undefined || grant.grantId === grantId)) {
            checkDryRun(input);
            removeGrant(key, grant);
            return {};
          }
        }
        throw apiError(
          'InvalidGrantTokenException',
          'The grant token is not valid: no grant in this account and region has it (it may have been retired or revoked).',
        );
      }
      if (keyId === undefined || grantId === undefined)
        throw validation('Specify the GrantToken, or both the KeyId and the GrantId, of the grant to retire.');
      const key = resolveKey(ctx, keyId);
      const grant = findGrant(ctx, key, grantId);
      checkDryRun(input);
      removeGrant(key, grant);
      return {};
    },
  },

  RevokeGrant: {
    handler(input, ctx) {
      const key = resolveKey(ctx, input.requiredString('KeyId', { max: 2048 }));
      const grant = findGrant(ctx, key, input.requiredString('GrantId', { max: 128 }));
      checkDryRun(input);
      removeGrant(key, grant);
      return {};
    },
  },
};
