import type { KeyMetadata } from '@aws-sdk/client-kms';
import type { Args } from '../../core/args/readArgs';
import type { Connection } from '../../core/aws/connection';
import { KmsError } from '../../core/kms/errors';
import type { KmsGateway } from '../../core/kms/gateway';
import { type KeyAction, explainRefusal } from '../../core/kms/keyCapabilities';
import type { Services } from '../services';
import { keyTargetOf, targetOf } from '../targets';
import { pickKey } from '../ui/keyPicker';

/** The key a command acts on, described just now. */
export interface ResolvedKey {
  readonly connection: Connection;
  readonly gateway: KmsGateway;
  /** The key id (never an alias), from DescribeKey. */
  readonly keyId: string;
  readonly metadata: KeyMetadata;
  /** How messages name the key: its alias when one is known, else its id. */
  readonly label: string;
}

export interface ResolveKeyOptions {
  /** Title of the key picker, e.g. "Disable key". */
  readonly title: string;
  /**
   * The action about to be taken: the picker offers only keys that allow it, and a key
   * from a tree node or argument that does not is refused with the key-state table's
   * sentence before anything is sent to KMS.
   */
  readonly action?: KeyAction;
  /** More filtering of the picker (and refusal, with `refusal`) beyond the action. */
  readonly filter?: (metadata: KeyMetadata) => boolean;
  readonly includeAwsManaged?: boolean;
  readonly emptyMessage?: string;
}

/** What an empty key picker says, by action (the key-state table decided who is listed). */
const EMPTY_PICKER: Partial<Record<KeyAction, string>> = {
  enable: 'No customer managed key is disabled',
  disable: 'No customer managed key is enabled',
  scheduleDeletion: 'No customer managed key can be scheduled for deletion',
  cancelDeletion: 'No key is pending deletion',
  changeRotation: 'No enabled symmetric customer managed key with KMS key material (rotation is set on the primary of a multi-Region key)',
  rotateNow: 'No enabled symmetric customer managed key with KMS key material (rotation is set on the primary of a multi-Region key)',
  viewRotation: 'No symmetric encryption key',
  generateDataKey: 'No enabled symmetric encryption key',
  generateDataKeyPair: 'No enabled symmetric encryption key',
  sign: 'No enabled signing (SIGN_VERIFY) key',
  verify: 'No enabled signing (SIGN_VERIFY) key',
  getPublicKey: 'No enabled asymmetric key',
  generateMac: 'No enabled HMAC key',
  verifyMac: 'No enabled HMAC key',
  replicate: 'No multi-Region primary key',
  updatePrimaryRegion: 'No multi-Region primary key',
  createGrant: 'No enabled customer managed key',
  importKeyMaterial: 'No customer managed key with origin EXTERNAL (create one with Create Key, origin EXTERNAL)',
  deleteImportedKeyMaterial: 'No key with imported key material',
  deriveSharedSecret: 'No enabled key agreement (KEY_AGREEMENT) key',
  encapsulate: 'No enabled ML-KEM (ENCAPSULATE_DECAPSULATE) key',
  decapsulate: 'No enabled ML-KEM (ENCAPSULATE_DECAPSULATE) key',
};

/** Fields every key command takes for its key. */
export const KEY_FIELDS = ['keyId', 'connection'] as const;

/**
 * The connection a command acts in: a tree node's, the argument's `connection` (label or
 * id), else the active one.
 */
export async function resolveConnection(arg: unknown, args: Args, services: Services): Promise<Connection> {
  const target = targetOf(arg);
  if (target) return target.connection;
  return services.connections.find(args.string('connection', 'a connection label or id'));
}

/**
 * Turns a command's argument into the key to act on: a tree node (any node under a key)
 * via keyTargetOf, an argument object `{ keyId, connection }`, or else a key picker in
 * the connection (of a connection node, or the active one).
 */
export async function resolveKey(arg: unknown, args: Args, services: Services, options: ResolveKeyOptions): Promise<ResolvedKey> {
  const keyTarget = keyTargetOf(arg);
  let connection: Connection;
  let ref: string;
  let label: string | undefined;
  let metadata: KeyMetadata;
  if (keyTarget) {
    connection = keyTarget.connection;
    ref = keyTarget.keyId;
    label = keyTarget.aliases?.[0];
    metadata = await services.kms.gateway(connection).describeKey(ref);
  } else {
    connection = await resolveConnection(arg, args, services);
    const keyId = args.string('keyId', 'a key id, key ARN, alias name or alias ARN');
    if (keyId !== undefined) {
      ref = keyId;
      label = keyId.startsWith('alias/') ? keyId : /:alias\//.test(keyId) ? keyId.slice(keyId.indexOf(':alias/') + 1) : undefined;
      metadata = await services.kms.gateway(connection).describeKey(ref);
    } else {
      const action = options.action;
      const picked = await pickKey(services.ui, services.kms.gateway(connection), connection, {
        title: options.title,
        includeAwsManaged: options.includeAwsManaged,
        filter: (m) => (!action || explainRefusal(m, action) === undefined) && (options.filter?.(m) ?? true),
        emptyMessage: options.emptyMessage ?? (action && EMPTY_PICKER[action] ? `${EMPTY_PICKER[action]} in ${connection.label}.` : `No key in ${connection.label} can be used for this (${options.title.toLowerCase()}).`),
      });
      ref = picked.keyId;
      label = picked.alias;
      metadata = picked.metadata;
    }
  }
  const keyId = metadata.KeyId ?? ref;
  const resolved: ResolvedKey = { connection, gateway: services.kms.gateway(connection), keyId, metadata, label: label ?? keyId };
  if (options.action) refuseUnless(resolved, options.action);
  return resolved;
}

/** Throws the key-state table's sentence when the key does not allow `action`. */
export function refuseUnless(key: ResolvedKey, action: KeyAction): void {
  const refusal = explainRefusal(key.metadata, action);
  if (refusal) throw new KmsError('ActionNotAllowed', `${key.label}: ${refusal}`);
}

/** The aliases of a key (for labels and the deletion summary). */
export async function aliasesOf(gateway: KmsGateway, keyId: string): Promise<string[]> {
  const names: string[] = [];
  for await (const alias of gateway.listAliases(keyId)) if (alias.AliasName) names.push(alias.AliasName);
  return names.sort();
}

/** Tells the views that a key (or, without keyId, the connection's list of keys/aliases) changed. */
export function keyChanged(services: Services, connection: Connection, keyId?: string): void {
  services.fireKeyChanged(keyId ? { connectionId: connection.id, keyId } : { connectionId: connection.id });
}
