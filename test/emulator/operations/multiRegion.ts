// ReplicateKey and UpdatePrimaryRegion. A multi-region key exists once per region under the same
// mrk- id; the copies share their key material and rotation, so a ciphertext of one decrypts
// with any other.
import { apiError, notFound, unsupported, validation } from '../errors';
import { requireState } from '../keyState';
import { keyMetadata } from '../metadata';
import { type OperationTable } from '../operation';
import { defaultKeyPolicy, validatePolicy } from '../policy';
import { requireCustomerManaged, resolveKey } from '../resolve';
import type { Key } from '../types';
import { checkTags } from './tags';

export const regionPattern = /^([a-z]+-){2,3}\d+$/;

export const multiRegionOperations: OperationTable = {
  ReplicateKey: {
    async handler(input, ctx) {
      const key = resolveKey(ctx, input.requiredString('KeyId', { max: 2048 }));
      const replicaRegion = input.requiredString('ReplicaRegion', { max: 32, pattern: regionPattern });
      const policy = input.string('Policy', { min: 1, max: 131072 });
      input.bool('BypassPolicyLockoutSafetyCheck');
      const description = input.string('Description', { max: 8192 });
      const tags = input.tags('Tags');
      const arn = ctx.store.arnOf(key);
      requireCustomerManaged(ctx, key);
      if (!key.multiRegion)
        throw unsupported(`${arn} is not a multi-Region key: only keys created with MultiRegion true can be replicated.`);
      if (key.primaryRegion !== key.region)
        throw unsupported(`${arn} is a replica key: replicate its primary key in ${key.primaryRegion}.`);
      // A key with imported material is replicated without it (the replica waits for the same material).
      const external = key.origin === 'EXTERNAL';
      if (!(external && key.state === 'PendingImport')) requireState(ctx, key, 'replicate');
      if (replicaRegion === key.region) throw validation(`The replica region must differ from the primary key's region ${key.region}.`);
      if (ctx.store.getKey(replicaRegion, key.id))
        throw apiError('AlreadyExistsException', `${ctx.store.keyArn(replicaRegion, key.id)} already exists.`);
      if (policy !== undefined) validatePolicy(policy);
      if (tags) checkTags(tags);
      if (!external) await ctx.store.currentMaterial(key);
      const replica: Key = {
        ...key,
        region: replicaRegion,
        seq: ctx.store.sequence(),
        state: external ? 'PendingImport' : 'Enabled',
        description: description ?? '',
        creationDate: ctx.now,
        deletionDate: undefined,
        pendingWindowInDays: undefined,
        policy: policy ?? defaultKeyPolicy(ctx.accountId),
        tags: tags ?? [],
        materials: external ? [] : [...key.materials],
        validTo: undefined,
        expirationModel: undefined,
        rotation: { ...key.rotation },
        rotations: [...key.rotations],
        grants: [],
      };
      ctx.store.addKey(replica);
      return { ReplicaKeyMetadata: keyMetadata(ctx.store, replica), ReplicaPolicy: replica.policy, ReplicaTags: replica.tags };
    },
  },

  UpdatePrimaryRegion: {
    handler(input, ctx) {
      const key = resolveKey(ctx, input.requiredString('KeyId', { max: 2048 }));
      const primaryRegion = input.requiredString('PrimaryRegion', { max: 32, pattern: regionPattern });
      const arn = ctx.store.arnOf(key);
      requireCustomerManaged(ctx, key);
      if (!key.multiRegion) throw unsupported(`${arn} is not a multi-Region key.`);
      if (key.primaryRegion !== key.region)
        throw unsupported(`${arn} is a replica key: call UpdatePrimaryRegion on the primary key in ${key.primaryRegion}.`);
      // A key with imported material is replicated without it (the replica waits for the same material).
      const external = key.origin === 'EXTERNAL';
      if (!(external && key.state === 'PendingImport')) requireState(ctx, key, 'replicate');
      if (primaryRegion === key.region) return {};
      const replica = ctx.store.getKey(primaryRegion, key.id);
      if (!replica) throw notFound(`${arn} has no replica in ${primaryRegion}: replicate it there first.`);
      requireState(ctx, replica, 'replicate');
      for (const member of ctx.store.family(key)) member.primaryRegion = primaryRegion;
      return {};
    },
  },
};
