// The key lifecycle: CreateKey, DescribeKey, ListKeys, EnableKey, DisableKey, ScheduleKeyDeletion,
// CancelKeyDeletion, UpdateKeyDescription.
import { randomBytes, randomUUID } from 'node:crypto';
import type { OpContext } from '../context';
import { newSecretMaterial } from '../crypto';
import { apiError, unsupported, validation } from '../errors';
import { requireState } from '../keyState';
import { kindOf, usagesFor } from '../keySpecs';
import { keyMetadata } from '../metadata';
import { grantTokensRule, type OperationTable, seconds } from '../operation';
import { paginate, pageFields, seqKey } from '../paging';
import { defaultKeyPolicy, validatePolicy } from '../policy';
import { requireCustomerManaged, resolveKey } from '../resolve';
import { dayMs } from '../state';
import { type Key, type KeySpec, keySpecs, type KeyUsage, type Origin, origins, type Tag } from '../types';
import type { Input } from '../validate';
import { checkTags } from './tags';

/** Every KeySpec the KMS API knows; the emulator implements those in types.keySpecs. */
const apiKeySpecs = [
  ...keySpecs,
  'ECC_NIST_EDWARDS25519',
  'ML_DSA_44',
  'ML_DSA_65',
  'ML_DSA_87',
  'ML_KEM_512',
  'ML_KEM_768',
  'ML_KEM_1024',
  'SM2',
] as const;
const apiKeyUsages = ['ENCRYPT_DECRYPT', 'SIGN_VERIFY', 'GENERATE_VERIFY_MAC', 'KEY_AGREEMENT', 'ENCAPSULATE_DECAPSULATE'] as const;

export function newKeyId(multiRegion: boolean): string {
  return multiRegion ? `mrk-${randomBytes(16).toString('hex')}` : randomUUID();
}

export interface NewKey {
  region: string;
  id?: string;
  spec: KeySpec;
  usage: KeyUsage;
  description?: string;
  origin?: Origin;
  manager?: 'AWS' | 'CUSTOMER';
  policy?: string;
  tags?: Tag[];
  multiRegion?: boolean;
  creationDate?: number;
  customKeyStoreId?: string;
  xksKeyId?: string;
}

/** Builds a key (symmetric and HMAC material at once; asymmetric on first use) and stores it. */
export function createKeyRecord(ctx: Pick<OpContext, 'store' | 'accountId'>, spec: NewKey): Key {
  const multiRegion = spec.multiRegion ?? false;
  const origin = spec.origin ?? 'AWS_KMS';
  const creationDate = spec.creationDate ?? Date.now();
  const kind = kindOf(spec.spec);
  const key: Key = {
    id: spec.id ?? newKeyId(multiRegion),
    region: spec.region,
    seq: ctx.store.sequence(),
    spec: spec.spec,
    usage: spec.usage,
    state: origin === 'EXTERNAL' ? 'PendingImport' : 'Enabled',
    description: spec.description ?? '',
    origin,
    manager: spec.manager ?? 'CUSTOMER',
    creationDate,
    policy: spec.policy ?? defaultKeyPolicy(ctx.accountId),
    tags: spec.tags ?? [],
    multiRegion,
    primaryRegion: multiRegion ? spec.region : undefined,
    materials: origin !== 'EXTERNAL' && (kind === 'symmetric' || kind === 'hmac') ? [newSecretMaterial(spec.spec, creationDate)] : [],
    rotation: { enabled: false },
    rotations: [],
    onDemandRotations: 0,
    grants: [],
    customKeyStoreId: spec.customKeyStoreId,
    xksKeyId: spec.xksKeyId,
  };
  ctx.store.addKey(key);
  return key;
}

/** KeySpec and KeyUsage of a CreateKey request, checked against each other. */
function specAndUsage(input: Input): { spec: KeySpec; usage: KeyUsage } {
  const spec = input.enumValue('KeySpec', apiKeySpecs);
  const legacy = input.enumValue('CustomerMasterKeySpec', apiKeySpecs);
  if (spec && legacy) throw validation('You cannot specify both KeySpec and CustomerMasterKeySpec; use KeySpec.');
  const chosen = spec ?? legacy ?? 'SYMMETRIC_DEFAULT';
  if (!(keySpecs as readonly string[]).includes(chosen)) throw unsupported(`KeySpec ${chosen} is not supported by the KMS emulator.`);
  const usage = input.enumValue('KeyUsage', apiKeyUsages) ?? 'ENCRYPT_DECRYPT';
  const allowedUsages = usagesFor(chosen as KeySpec);
  if (!(allowedUsages as string[]).includes(usage)) {
    throw validation(`KeyUsage ${usage} is not compatible with KeySpec ${chosen}. Use ${allowedUsages.join(' or ')}.`);
  }
  return { spec: chosen as KeySpec, usage };
}

function deletionWindow(input: Input): number {
  return input.int('PendingWindowInDays', { min: 7, max: 30 }) ?? 30;
}

export const keyOperations: OperationTable = {
  CreateKey: {
    handler(input, ctx) {
      const policy = input.string('Policy', { min: 1, max: 131072 });
      const description = input.string('Description', { max: 8192 });
      const { spec, usage } = specAndUsage(input);
      const origin = input.enumValue('Origin', origins) ?? 'AWS_KMS';
      const customKeyStoreId = input.string('CustomKeyStoreId', { min: 1, max: 64 });
      const tags = input.tags('Tags');
      const multiRegion = input.bool('MultiRegion') ?? false;
      input.bool('BypassPolicyLockoutSafetyCheck');
      const xksKeyId = input.string('XksKeyId', { min: 1, max: 128, pattern: /^[a-zA-Z0-9-_.]+$/ });
      if (policy !== undefined) validatePolicy(policy);
      if (tags) checkTags(tags);
      if (origin === 'AWS_CLOUDHSM' || origin === 'EXTERNAL_KEY_STORE') {
        if (xksKeyId && origin !== 'EXTERNAL_KEY_STORE')
          throw validation(`XksKeyId is only valid with Origin EXTERNAL_KEY_STORE, not ${origin}.`);
        if (!customKeyStoreId) throw validation(`Origin ${origin} requires a CustomKeyStoreId.`);
        const store = ctx.store.customKeyStoresOf(ctx.region).find((s) => s.CustomKeyStoreId === customKeyStoreId);
        if (!store) throw apiError('CustomKeyStoreNotFoundException', `Custom key store ${customKeyStoreId} does not exist.`);
        const storeType = store.CustomKeyStoreType ?? 'AWS_CLOUDHSM';
        if (storeType !== origin)
          throw validation(`Custom key store ${customKeyStoreId} is of type ${storeType}: create its keys with Origin ${storeType}.`);
        if ((store.ConnectionState ?? 'CONNECTED') !== 'CONNECTED')
          throw apiError('CustomKeyStoreInvalidStateException', `Custom key store ${customKeyStoreId} is not connected.`);
        if (origin === 'EXTERNAL_KEY_STORE') {
          if (!xksKeyId) throw validation('Origin EXTERNAL_KEY_STORE requires XksKeyId: the id of the key in the external key manager.');
          const inUse = ctx.store.keysInStore(customKeyStoreId).find((k) => k.xksKeyId === xksKeyId);
          if (inUse)
            throw apiError(
              'XksKeyAlreadyInUseException',
              `External key ${xksKeyId} is already associated with ${ctx.store.arnOf(inUse)} in this key store.`,
            );
        }
        if (spec !== 'SYMMETRIC_DEFAULT') throw unsupported('Keys in a custom key store must be SYMMETRIC_DEFAULT.');
        if (multiRegion) throw unsupported('Multi-Region keys cannot be created in a custom key store.');
      } else if (xksKeyId) {
        throw validation(`XksKeyId is only valid with Origin EXTERNAL_KEY_STORE, not ${origin}.`);
      } else if (customKeyStoreId) {
        throw validation(`CustomKeyStoreId is only valid with Origin AWS_CLOUDHSM or EXTERNAL_KEY_STORE, not ${origin}.`);
      }
      const key = createKeyRecord(ctx, {
        region: ctx.region,
        spec,
        usage,
        description,
        origin,
        policy,
        tags,
        multiRegion,
        customKeyStoreId,
        xksKeyId,
      });
      if (ctx.store.motoKeyMetadata && !input.has('KeyUsage') && spec === 'SYMMETRIC_DEFAULT')
        key.motoMetadata = { ...ctx.store.motoKeyMetadata };
      return { KeyMetadata: keyMetadata(ctx.store, key) };
    },
  },

  DescribeKey: {
    readOnly: true,
    handler(input, ctx) {
      const keyId = input.requiredString('KeyId', { max: 2048 });
      input.stringList('GrantTokens', grantTokensRule);
      return { KeyMetadata: keyMetadata(ctx.store, resolveKey(ctx, keyId, { aliases: true })) };
    },
  },

  ListKeys: {
    readOnly: true,
    handler(input, ctx) {
      const page = paginate(ctx.store.keys(ctx.region), (k) => seqKey(k.seq), input, { max: 1000, default: 100 });
      return pageFields('Keys', page, (k) => ({ KeyId: k.id, KeyArn: ctx.store.arnOf(k) }));
    },
  },

  EnableKey: {
    handler(input, ctx) {
      const key = resolveKey(ctx, input.requiredString('KeyId', { max: 2048 }));
      requireCustomerManaged(ctx, key);
      requireState(ctx, key, 'enableDisable');
      key.state = 'Enabled';
      return {};
    },
  },

  DisableKey: {
    handler(input, ctx) {
      const key = resolveKey(ctx, input.requiredString('KeyId', { max: 2048 }));
      requireCustomerManaged(ctx, key);
      requireState(ctx, key, 'enableDisable');
      key.state = 'Disabled';
      return {};
    },
  },

  ScheduleKeyDeletion: {
    handler(input, ctx) {
      const key = resolveKey(ctx, input.requiredString('KeyId', { max: 2048 }));
      const window = deletionWindow(input);
      requireCustomerManaged(ctx, key);
      requireState(ctx, key, 'scheduleDeletion');
      key.pendingWindowInDays = window;
      const isPrimaryWithReplicas = key.multiRegion && key.primaryRegion === key.region && ctx.store.replicasOf(key).length > 0;
      if (isPrimaryWithReplicas) {
        key.state = 'PendingReplicaDeletion';
        key.deletionDate = undefined;
      } else {
        key.state = 'PendingDeletion';
        key.deletionDate = ctx.now + window * dayMs;
      }
      return {
        KeyId: ctx.store.arnOf(key),
        ...(key.deletionDate !== undefined ? { DeletionDate: seconds(key.deletionDate) } : {}),
        KeyState: key.state,
        PendingWindowInDays: window,
      };
    },
  },

  CancelKeyDeletion: {
    handler(input, ctx) {
      const key = resolveKey(ctx, input.requiredString('KeyId', { max: 2048 }));
      requireCustomerManaged(ctx, key);
      requireState(ctx, key, 'cancelDeletion');
      key.state = 'Disabled';
      key.deletionDate = undefined;
      key.pendingWindowInDays = undefined;
      return { KeyId: ctx.store.arnOf(key) };
    },
  },

  UpdateKeyDescription: {
    handler(input, ctx) {
      const key = resolveKey(ctx, input.requiredString('KeyId', { max: 2048 }));
      const description = input.string('Description', { max: 8192 });
      if (description === undefined)
        throw validation("1 validation error detected: Value null at 'description' failed to satisfy constraint: Member must not be null");
      requireCustomerManaged(ctx, key);
      requireState(ctx, key, 'modify');
      key.description = description;
      return {};
    },
  },
};
