import type { CustomKeyStoresListEntry, GrantListEntry, KeyMetadata } from '@aws-sdk/client-kms';
import type { Connection } from '../core/aws/connection';

/**
 * What a menu command acts on. Tree nodes carry one of these (`node.target`), so commands
 * never depend on the tree's classes: a key node and every node under a key give a
 * KeyTarget, an alias node an AliasTarget, a grant node a GrantTarget.
 */
export interface KeyTarget {
  readonly kind: 'key';
  readonly connection: Connection;
  readonly keyId: string;
  /** Known when the tree has described the key. */
  readonly metadata?: KeyMetadata;
  readonly aliases?: readonly string[];
}

export interface AliasTarget {
  readonly kind: 'alias';
  readonly connection: Connection;
  readonly aliasName: string;
  readonly targetKeyId?: string;
}

export interface GrantTarget {
  readonly kind: 'grant';
  readonly connection: Connection;
  readonly keyId: string;
  readonly grant: GrantListEntry;
}

export interface ConnectionTarget {
  readonly kind: 'connection';
  readonly connection: Connection;
  /** Set when the connection is one the workspace proposed and the user approved: its fingerprint. */
  readonly approvedProposal?: string;
}

export interface CustomKeyStoreTarget {
  readonly kind: 'customKeyStore';
  readonly connection: Connection;
  readonly customKeyStoreId: string;
  /** As DescribeCustomKeyStores listed it when the tree was drawn. */
  readonly store?: CustomKeyStoresListEntry;
}

export type Target = KeyTarget | AliasTarget | GrantTarget | ConnectionTarget | CustomKeyStoreTarget;

/** A tree node (or anything) that acts for a target. */
export interface HasTarget {
  readonly target: Target;
}

export function targetOf(arg: unknown): Target | undefined {
  if (typeof arg !== 'object' || arg === null || !('target' in arg)) return undefined;
  const t = arg.target;
  if (typeof t !== 'object' || t === null || !('kind' in t) || !('connection' in t)) return undefined;
  return t as Target;
}

/** The key a node stands for or is under (a key, its alias, grant, policy, tags…). */
export function keyTargetOf(arg: unknown): KeyTarget | undefined {
  const t = targetOf(arg);
  if (!t) return undefined;
  if (t.kind === 'key') return t;
  if (t.kind === 'grant') return { kind: 'key', connection: t.connection, keyId: t.keyId };
  if (t.kind === 'alias' && t.targetKeyId) return { kind: 'key', connection: t.connection, keyId: t.targetKeyId };
  return undefined;
}
