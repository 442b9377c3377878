/**
 * The IAM actions of AWS KMS (the "Actions defined by AWS Key Management Service" table of
 * the Service Authorization Reference) and how actions with wildcards match them. The
 * action sets the KMS console writes are in consolePolicy.ts.
 */

export type ActionCategory =
  /** Reads metadata: Describe*, Get*, List*. */
  | 'read'
  /** Uses the key cryptographically (encrypt, decrypt, sign, MAC, derive). */
  | 'use'
  /** Grants: lets others use the key. */
  | 'grant'
  /** Changes or administers the key (policy, state, rotation, tags, aliases, import). */
  | 'admin'
  /** Schedules or cancels deletion, deletes imported key material. */
  | 'delete';

export interface KmsActionInfo {
  /** Without the "kms:" prefix, e.g. "Decrypt". */
  readonly name: string;
  readonly category: ActionCategory;
  /**
   * False for actions on no particular key (CreateKey, ListKeys, custom key stores…):
   * they are controlled by IAM policies and have no effect in a key policy.
   */
  readonly keyResource: boolean;
}

const A = (name: string, category: ActionCategory, keyResource = true): KmsActionInfo => ({ name, category, keyResource });

export const KMS_ACTIONS: readonly KmsActionInfo[] = [
  A('CancelKeyDeletion', 'delete'),
  A('ConnectCustomKeyStore', 'admin', false),
  A('CreateAlias', 'admin'),
  A('CreateCustomKeyStore', 'admin', false),
  A('CreateGrant', 'grant'),
  A('CreateKey', 'admin', false),
  A('Decapsulate', 'use'),
  A('Decrypt', 'use'),
  A('DeleteAlias', 'admin'),
  A('DeleteCustomKeyStore', 'admin', false),
  A('DeleteImportedKeyMaterial', 'delete'),
  A('DeriveSharedSecret', 'use'),
  A('DescribeCustomKeyStores', 'read', false),
  A('DescribeKey', 'read'),
  A('DisableKey', 'admin'),
  A('DisableKeyRotation', 'admin'),
  A('DisconnectCustomKeyStore', 'admin', false),
  A('EnableKey', 'admin'),
  A('EnableKeyRotation', 'admin'),
  A('Encapsulate', 'use'),
  A('Encrypt', 'use'),
  A('GenerateDataKey', 'use'),
  A('GenerateDataKeyPair', 'use'),
  A('GenerateDataKeyPairWithoutPlaintext', 'use'),
  A('GenerateDataKeyWithoutPlaintext', 'use'),
  A('GenerateMac', 'use'),
  A('GenerateRandom', 'use', false),
  A('GetKeyLastUsage', 'read'),
  A('GetKeyPolicy', 'read'),
  A('GetKeyRotationStatus', 'read'),
  A('GetParametersForImport', 'admin'),
  A('GetPublicKey', 'read'),
  A('ImportKeyMaterial', 'admin'),
  A('ListAliases', 'read', false),
  A('ListGrants', 'grant'),
  A('ListKeyPolicies', 'read'),
  A('ListKeyRotations', 'read'),
  A('ListKeys', 'read', false),
  A('ListResourceTags', 'read'),
  A('ListRetirableGrants', 'grant', false),
  A('PutKeyPolicy', 'admin'),
  A('ReEncryptFrom', 'use'),
  A('ReEncryptTo', 'use'),
  A('ReplicateKey', 'admin'),
  A('RetireGrant', 'grant'),
  A('RevokeGrant', 'grant'),
  A('RotateKeyOnDemand', 'admin'),
  A('ScheduleKeyDeletion', 'delete'),
  A('Sign', 'use'),
  A('SynchronizeMultiRegionKey', 'admin'),
  A('TagResource', 'admin'),
  A('UntagResource', 'admin'),
  A('UpdateAlias', 'admin'),
  A('UpdateCustomKeyStore', 'admin', false),
  A('UpdateKeyDescription', 'admin'),
  A('UpdatePrimaryRegion', 'admin'),
  A('Verify', 'use'),
  A('VerifyMac', 'use'),
];

const byLowerName = new Map(KMS_ACTIONS.map((a) => [a.name.toLowerCase(), a]));

/** Every known action as written in a policy, e.g. "kms:Decrypt". */
export const KMS_ACTION_NAMES: readonly string[] = KMS_ACTIONS.map((a) => `kms:${a.name}`);

/** Info about "kms:Name" (case-insensitive, like IAM), or undefined when unknown or not kms. */
export function kmsActionInfo(action: string): KmsActionInfo | undefined {
  const m = /^kms:(.+)$/i.exec(action.trim());
  return m ? byLowerName.get(m[1].toLowerCase()) : undefined;
}

/** IAM action matching: case-insensitive, `*` any run of characters, `?` one character. */
export function actionPatternMatches(pattern: string, action: string): boolean {
  const p = pattern.trim();
  if (p === '*') return true;
  return wildcardRegExp(p).test(action);
}

const regexCache = new Map<string, RegExp>();
export function wildcardRegExp(pattern: string, caseInsensitive = true): RegExp {
  const cacheKey = `${caseInsensitive ? 'i' : 's'}:${pattern}`;
  let re = regexCache.get(cacheKey);
  if (!re) {
    const body = pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    re = new RegExp(`^${body}$`, caseInsensitive ? 'i' : '');
    if (regexCache.size > 500) regexCache.clear();
    regexCache.set(cacheKey, re);
  }
  return re;
}

/** The known kms actions a pattern (e.g. "kms:Generate*", "*") matches, as "kms:Name". */
export function expandActionPattern(pattern: string): string[] {
  return KMS_ACTION_NAMES.filter((name) => actionPatternMatches(pattern, name));
}

/**
 * The known kms actions a statement's Action (or NotAction) list allows: the union of the
 * patterns' matches, or for NotAction every known action none of them matches.
 */
export function effectiveActions(patterns: readonly string[], not = false): Set<string> {
  const out = new Set<string>();
  for (const name of KMS_ACTION_NAMES) {
    const hit = patterns.some((p) => actionPatternMatches(p, name));
    if (hit !== not) out.add(name);
  }
  return out;
}

/** The closest known action names to a misspelt one (for "did you mean"). */
export function suggestActions(action: string, max = 2): string[] {
  const name = action.replace(/^kms:/i, '').toLowerCase();
  if (!name) return [];
  const scored = KMS_ACTIONS.map((a) => ({ a, d: editDistance(name, a.name.toLowerCase()) }))
    .filter(({ a, d }) => d <= Math.max(2, Math.floor(a.name.length / 4)))
    .sort((x, y) => x.d - y.d);
  return scored.slice(0, max).map(({ a }) => `kms:${a.name}`);
}

/** Levenshtein distance (for "did you mean" suggestions). */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}
