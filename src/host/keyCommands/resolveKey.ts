import type { KeyMetadata } from '@aws-sdk/client-kms';
import type { Args } from '../../core/args/readArgs';
import type { Connection } from '../../core/aws/connection';
import type { KmsGateway } from '../../core/kms/gateway';
import type { KeyAction } from '../../core/kms/keyCapabilities';
import { type DescribedKey, resolveDescribedKey } from '../keys/keyResolver';
import type { Services } from '../services';

export { refuseUnless, resolveConnection } from '../keys/keyResolver';

/** The key a command acts on, described just now (see ../keys/keyResolver.ts). */
export type ResolvedKey = DescribedKey;

export interface ResolveKeyOptions {
  /** Title of the key picker, e.g. "Disable key". */
  readonly title: string;
  /**
   * The action about to be taken: the picker offers only keys that allow it, and a key
   * from a tree node or argument that does not is refused with the key-state table's
   * sentence before anything is sent to KMS.
   */
  readonly action?: KeyAction;
  /** More filtering of the picker beyond the action. */
  readonly filter?: (metadata: KeyMetadata) => boolean;
  readonly includeAwsManaged?: boolean;
  readonly emptyMessage?: string;
}

/** Fields every key command takes for its key. */
export const KEY_FIELDS = ['keyId', 'connection'] as const;

/**
 * A key command's key: a tree node (any node under a key), an argument object
 * `{ keyId, connection }`, or else a key picker in the connection (of a connection node, or
 * the active one) offering the keys that allow the action. Always described now.
 */
export async function resolveKey(arg: unknown, args: Args, services: Services, options: ResolveKeyOptions): Promise<ResolvedKey> {
  return resolveDescribedKey(arg, args, services, options);
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
