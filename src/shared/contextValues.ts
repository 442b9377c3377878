/**
 * Context values of the KMS tree's nodes, used by the tree code and by the `when` clauses
 * of package.json menus alike. A node's contextValue starts with its kind; key nodes add
 * space-separated tokens:
 *   key can-<action>… state-<KeyState> manager-<AWS|CUSTOMER> usage-<KeyUsage> spec-<KeySpec> [mr-primary|mr-replica]
 * so a menu entry is written `viewItem =~ /^key .*\bcan-disable\b/`.
 */
export enum NodeKind {
  Connection = 'connection',
  /** A token after `connection`: the workspace proposed it and the user approved it. */
  ApprovedProposal = 'approvedProposal',
  /** A connection the workspace proposes, not approved (or not usable). */
  ProposedConnection = 'proposedConnection',
  /** Restricted Mode: what the extension does not do in an untrusted workspace. */
  RestrictedMode = 'restrictedMode',
  CustomerKeys = 'customerKeys',
  AwsKeys = 'awsKeys',
  Aliases = 'aliases',
  CustomKeyStores = 'customKeyStores',
  CustomKeyStore = 'customKeyStore',
  Key = 'key',
  KeyAliases = 'keyAliases',
  Alias = 'alias',
  Grants = 'grants',
  Grant = 'grant',
  Policy = 'policy',
  /** The policy of a key whose policy cannot be changed (AWS managed): only Show Key Policy. */
  PolicyReadOnly = 'policyReadOnly',
  Tags = 'tags',
  Tag = 'tag',
  Rotation = 'rotation',
  Replicas = 'replicas',
  Replica = 'replica',
  LoadMore = 'loadMore',
  Error = 'error',
  SignIn = 'signIn',
  NotSupported = 'notSupported',
  Empty = 'empty',
  Info = 'info',
}

/**
 * A custom key store node's context value: `customKeyStore state-<ConnectionState>
 * type-<CustomKeyStoreType>`, so menus offer connect, disconnect, update and delete by state.
 */
export function customKeyStoreContextValue(input: { readonly state?: string; readonly type?: string }): string {
  return [NodeKind.CustomKeyStore as string, `state-${input.state ?? 'UNKNOWN'}`, `type-${input.type ?? 'AWS_CLOUDHSM'}`].join(' ');
}

/** Builds a key node's context value from its allowed actions and metadata. */
export function keyContextValue(input: {
  readonly allowed: readonly string[];
  readonly state?: string;
  readonly manager?: string;
  readonly usage?: string;
  readonly spec?: string;
  readonly multiRegionRole?: string;
}): string {
  const tokens = [NodeKind.Key as string, ...input.allowed.map((a) => `can-${a}`)];
  if (input.state) tokens.push(`state-${input.state}`);
  if (input.manager) tokens.push(`manager-${input.manager}`);
  if (input.usage) tokens.push(`usage-${input.usage}`);
  if (input.spec) tokens.push(`spec-${input.spec}`);
  if (input.multiRegionRole) tokens.push(`mr-${input.multiRegionRole.toLowerCase()}`);
  return tokens.join(' ');
}
