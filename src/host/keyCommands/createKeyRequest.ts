// What Create Key makes: the request (type, origin, alias, tags, policy, principals) and how it is
// read from a command's argument object, with the checks of what each origin needs.
import type { Tag } from '@aws-sdk/client-kms';
import { ArgumentError } from '../../core/args/argumentError';
import type { Args } from '../../core/args/readArgs';
import type { Connection } from '../../core/aws/connection';
import { type KeyTypeId, type KeyUsageName, keyTypeOf, specsFor } from '../../core/keyOps/keyTypes';
import { type Principal, parsePrincipals } from '../../core/keyOps/principals';
import { checkAliasName, checkDescription, checkTags } from '../../core/keyOps/validation';
import { argValue } from './commandArgs';

export const ID = 'kmsWorkbench.createKey';

/** Where a new key's material comes from (CreateKey's Origin). */
export const ORIGINS = ['AWS_KMS', 'EXTERNAL', 'AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE'] as const;
export type KeyOrigin = (typeof ORIGINS)[number];

export interface CreateKeyRequest {
  readonly type: KeyTypeId;
  readonly usage: KeyUsageName;
  readonly spec: string;
  readonly multiRegion: boolean;
  readonly origin: KeyOrigin;
  readonly customKeyStoreId?: string;
  readonly xksKeyId?: string;
  readonly alias?: string;
  readonly description?: string;
  readonly tags: readonly Tag[];
  readonly policy: 'default' | 'console';
  readonly administrators: readonly Principal[];
  readonly allowAdministratorsToDelete: boolean;
  readonly users: readonly Principal[];
}

/** The partition of a Region (for account ids typed as principals). */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

export function requestFromArgs(args: Args, connection: Connection): CreateKeyRequest {
  const spec = args.string('keySpec', 'a key spec like SYMMETRIC_DEFAULT') ?? 'SYMMETRIC_DEFAULT';
  const usageArg = args.string('keyUsage', 'ENCRYPT_DECRYPT, SIGN_VERIFY or GENERATE_VERIFY_MAC');
  const { type, usage } = argValue(ID, 'keySpec', keyTypeOf(spec, usageArg));
  if (!specsFor(type, connection.region).some((s) => s.spec === spec)) {
    throw new ArgumentError(`${ID}: "keySpec": ${spec} keys are not offered in ${connection.region}.`);
  }
  const multiRegion = args.boolean('multiRegion') ?? false;
  const origin = args.oneOf('origin', ORIGINS) ?? 'AWS_KMS';
  const customKeyStoreId = args.string('customKeyStoreId', 'a custom key store id like cks-1234567890abcdef0');
  const xksKeyId = args.string('xksKeyId', 'the id of the key in the external key manager');
  checkOrigin(origin, spec, multiRegion, customKeyStoreId, xksKeyId);
  const aliasArg = args.string('alias', 'an alias name like alias/my-app');
  const alias = aliasArg !== undefined ? argValue(ID, 'alias', checkAliasName(aliasArg)) : undefined;
  const descriptionArg = args.raw('description');
  if (descriptionArg !== undefined && typeof descriptionArg !== 'string') args.string('description');
  const description = typeof descriptionArg === 'string' ? argValue(ID, 'description', checkDescription(descriptionArg)) : undefined;
  const tagMap = args.stringMap('tags', 'an object of tag values, like { "env": "prod" }');
  const tags = tagMap ? argValue(ID, 'tags', checkTags(tagMap)) : [];
  const partition = partitionOf(connection.region);
  const adminList = args.stringArray('administrators', 'an array of principal ARNs or account ids');
  const userList = args.stringArray('users', 'an array of principal ARNs, account ids or service principals');
  const administrators = adminList
    ? argValue(ID, 'administrators', parsePrincipals(adminList, { partition, allowServices: false, role: 'a key administrator' }))
    : [];
  const users = userList ? argValue(ID, 'users', parsePrincipals(userList, { partition })) : [];
  const policy = args.oneOf('policy', ['default', 'console'] as const) ?? (adminList || userList ? 'console' : 'default');
  if (policy === 'default' && (administrators.length || users.length)) {
    throw new ArgumentError(`${ID}: "administrators" and "users" make a console-style policy: set "policy" to "console" or leave it out.`);
  }
  const allowAdministratorsToDelete = args.boolean('allowAdministratorsToDelete') ?? true;
  return {
    type,
    usage,
    spec,
    multiRegion,
    origin,
    customKeyStoreId,
    xksKeyId,
    alias,
    description,
    tags,
    policy,
    administrators,
    allowAdministratorsToDelete,
    users,
  };
}

/** What each origin needs and allows, as ArgumentErrors naming the field. */
function checkOrigin(
  origin: KeyOrigin,
  spec: string,
  multiRegion: boolean,
  customKeyStoreId: string | undefined,
  xksKeyId: string | undefined,
): void {
  const inStore = origin === 'AWS_CLOUDHSM' || origin === 'EXTERNAL_KEY_STORE';
  if (inStore) {
    if (!customKeyStoreId)
      throw new ArgumentError(`${ID}: "customKeyStoreId": origin ${origin} creates the key in a custom key store: give its id (cks-…).`);
    if (spec !== 'SYMMETRIC_DEFAULT')
      throw new ArgumentError(`${ID}: "keySpec": keys in a custom key store are symmetric (SYMMETRIC_DEFAULT), not ${spec}.`);
    if (multiRegion) throw new ArgumentError(`${ID}: "multiRegion": keys in a custom key store are single-Region.`);
  } else if (customKeyStoreId !== undefined) {
    throw new ArgumentError(`${ID}: "customKeyStoreId" is only for origin AWS_CLOUDHSM or EXTERNAL_KEY_STORE (origin is ${origin}).`);
  }
  if (origin === 'EXTERNAL_KEY_STORE' && !xksKeyId)
    throw new ArgumentError(
      `${ID}: "xksKeyId": a key in an external key store is backed by a key of the external key manager: give that key's id.`,
    );
  if (origin !== 'EXTERNAL_KEY_STORE' && xksKeyId !== undefined)
    throw new ArgumentError(`${ID}: "xksKeyId" is only for origin EXTERNAL_KEY_STORE.`);
  if (xksKeyId !== undefined && !/^[a-zA-Z0-9-_.]{1,128}$/.test(xksKeyId))
    throw new ArgumentError(`${ID}: "xksKeyId": 1 to 128 letters, digits, "-", "_" and ".".`);
}

export const ORIGIN_WORDS: Record<KeyOrigin, string> = {
  AWS_KMS: 'key material made by KMS',
  EXTERNAL: 'imported key material (bring your own key)',
  AWS_CLOUDHSM: 'in an AWS CloudHSM key store',
  EXTERNAL_KEY_STORE: 'in an external key store',
};
