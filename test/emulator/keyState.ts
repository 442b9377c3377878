// The key-state table of the KMS developer guide ("Key states of AWS KMS keys"), reduced to the
// groups of operations that behave alike. DescribeKey, the List operations, Get/PutKeyPolicy,
// ListResourceTags, RetireGrant and RevokeGrant work in every state and pass no gate.
import type { OpContext } from './context';
import { apiError, invalidState } from './errors';
import type { Key, KeyState } from './types';

export type Gate =
  /** Encrypt, Decrypt, ReEncrypt, GenerateDataKey*, Sign, Verify, GetPublicKey, GenerateMac, VerifyMac. */
  | 'crypto'
  | 'enableDisable'
  /** TagResource, UntagResource, UpdateKeyDescription, CreateAlias/UpdateAlias targets. */
  | 'modify'
  /** Enable/DisableKeyRotation, RotateKeyOnDemand. */
  | 'rotation'
  | 'createGrant'
  | 'scheduleDeletion'
  | 'cancelDeletion'
  | 'replicate';

const describeState: Record<KeyState, string> = {
  Creating: 'is being created',
  Enabled: 'is enabled',
  Disabled: 'is disabled',
  PendingDeletion: 'is pending deletion',
  PendingImport: 'is pending import',
  PendingReplicaDeletion: 'is pending replica deletion',
  Unavailable: 'is unavailable',
  Updating: 'is being updated',
};

const allowed: Record<Gate, readonly KeyState[]> = {
  crypto: ['Enabled', 'Updating'],
  enableDisable: ['Enabled', 'Disabled', 'Updating'],
  modify: ['Enabled', 'Disabled', 'PendingImport', 'Unavailable', 'Updating'],
  rotation: ['Enabled'],
  createGrant: ['Enabled', 'PendingImport', 'Unavailable', 'Updating'],
  scheduleDeletion: ['Enabled', 'Disabled', 'PendingImport', 'Unavailable'],
  cancelDeletion: ['PendingDeletion', 'PendingReplicaDeletion'],
  replicate: ['Enabled', 'Disabled'],
};

/** Throws what KMS answers when the key's state does not allow this group of operations. */
export function requireState(ctx: OpContext, key: Key, gate: Gate): void {
  if (allowed[gate].includes(key.state)) return;
  const arn = ctx.store.arnOf(key);
  if (key.state === 'Disabled' && (gate === 'crypto' || gate === 'rotation' || gate === 'createGrant')) {
    throw apiError('DisabledException', `${arn} is disabled.`);
  }
  if (gate === 'cancelDeletion') throw invalidState(`${arn} is not pending deletion (it ${describeState[key.state].slice(3)}).`);
  throw invalidState(`${arn} ${describeState[key.state]}.`);
}
