// The `sops` metadata of a file: master keys (KMS entries read in full; age, PGP, Vault, Azure,
// GCP and any unknown type kept as they are), lastmodified, the encrypted MAC and the
// partial-encryption options. Kept as the tree it was read from, so a save rewrites only
// `lastmodified`, `mac` and, when re-keyed, the KMS entries.
import {
  branch,
  isBranch,
  isList,
  SopsComment,
  SopsError,
  SopsFloat,
  SopsInt,
  type SopsBranch,
  type SopsList,
  type SopsValue,
} from './tree';

export interface KmsMasterKey {
  readonly arn: string;
  /** base64 of the KMS ciphertext blob of the data key (or of this group's share). */
  readonly enc: string;
  readonly createdAt?: string;
  readonly context?: Readonly<Record<string, string>>;
  readonly awsProfile?: string;
  readonly role?: string;
}

export interface OtherMasterKey {
  /** `age`, `pgp`, `hc_vault`, `azure_kv`, `gcp_kms` or an unknown key type's name. */
  readonly type: string;
  /** What identifies it: recipient, fingerprint, URL, resource id… */
  readonly id: string;
}

export interface KeyGroup {
  readonly kms: KmsMasterKey[];
  readonly others: OtherMasterKey[];
}

export interface PartialEncryption {
  readonly unencryptedSuffix?: string;
  readonly encryptedSuffix?: string;
  readonly unencryptedRegex?: string;
  readonly encryptedRegex?: string;
  readonly unencryptedCommentRegex?: string;
  readonly encryptedCommentRegex?: string;
  readonly macOnlyEncrypted?: boolean;
}

export interface SopsMetadata extends PartialEncryption {
  /** One group, or the key groups of a file split with Shamir. */
  readonly groups: KeyGroup[];
  /** True when the file lists `key_groups` (rather than top-level key lists). */
  readonly usesKeyGroups: boolean;
  readonly shamirThreshold?: number;
  readonly lastModified: string;
  readonly mac: string;
  readonly version?: string;
}

export const KEY_TYPES = ['kms', 'gcp_kms', 'azure_kv', 'hc_vault', 'age', 'pgp'] as const;

/** A scalar's text (strings as they are, numbers and booleans written out); undefined for collections and null. */
export function text(value: SopsValue | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof SopsInt) return value.value.toString();
  if (value instanceof SopsFloat) return String(value.value);
  return undefined;
}

export function field(b: SopsBranch, key: string): SopsValue | undefined {
  for (let i = b.length - 1; i >= 0; i--) if (b[i].key === key) return b[i].value;
  return undefined;
}

export function setField(b: SopsBranch, key: string, value: SopsValue): void {
  const item = b.find((i) => i.key === key);
  if (item) item.value = value;
  else b.push({ key, value });
}

function entries(value: SopsValue | undefined): SopsBranch[] {
  if (!isList(value)) return [];
  return value.filter((v): v is SopsBranch => isBranch(v));
}

function kmsKey(entry: SopsBranch): KmsMasterKey {
  const arn = text(field(entry, 'arn'));
  const enc = text(field(entry, 'enc'));
  if (!arn || !enc) throw new SopsError('SopsFormat', 'A KMS entry of the sops metadata has no arn or no enc.');
  const ctx = field(entry, 'context');
  let context: Record<string, string> | undefined;
  if (isBranch(ctx)) {
    context = {};
    for (const item of ctx) if (typeof item.key === 'string') context[item.key] = text(item.value) ?? '';
  }
  return {
    arn,
    enc,
    createdAt: text(field(entry, 'created_at')),
    context,
    awsProfile: text(field(entry, 'aws_profile')) || undefined,
    role: text(field(entry, 'role')) || undefined,
  };
}

const ID_FIELDS: Record<string, string[]> = {
  age: ['recipient'],
  pgp: ['fp'],
  hc_vault: ['vault_address', 'engine_path', 'key_name'],
  azure_kv: ['vault_url', 'name', 'version'],
  gcp_kms: ['resource_id'],
};

function group(b: SopsBranch): KeyGroup {
  const kms = entries(field(b, 'kms')).map(kmsKey);
  const others: OtherMasterKey[] = [];
  for (const item of b) {
    if (typeof item.key !== 'string' || item.key === 'kms') continue;
    if (!(KEY_TYPES as readonly string[]).includes(item.key) && !isList(item.value)) continue;
    for (const e of entries(item.value)) {
      const fields = ID_FIELDS[item.key] ?? [];
      const id =
        fields
          .map((f) => text(field(e, f)))
          .filter(Boolean)
          .join('/') ||
        e
          .map((i) => (typeof i.key === 'string' ? `${i.key}=${text(i.value) ?? '…'}` : ''))
          .filter((s) => !s.startsWith('enc='))
          .join(', ');
      others.push({ type: item.key, id });
    }
  }
  return { kms, others };
}

const TOP_LEVEL_NON_KEYS = new Set([
  'lastmodified',
  'mac',
  'version',
  'shamir_threshold',
  'key_groups',
  'unencrypted_suffix',
  'encrypted_suffix',
  'unencrypted_regex',
  'encrypted_regex',
  'unencrypted_comment_regex',
  'encrypted_comment_regex',
  'mac_only_encrypted',
]);

/** Reads the metadata tree of a file. */
export function readMetadata(tree: SopsBranch): SopsMetadata {
  const lastModified = text(field(tree, 'lastmodified'));
  const mac = text(field(tree, 'mac'));
  if (lastModified === undefined)
    throw new SopsError('SopsFormat', 'The sops metadata has no lastmodified: the file is damaged or not a SOPS file.');
  const keyGroups = field(tree, 'key_groups');
  const usesKeyGroups = isList(keyGroups) && keyGroups.some(isBranch);
  let groups: KeyGroup[];
  if (usesKeyGroups) groups = entries(keyGroups).map(group);
  else {
    const top = branch(tree.filter((i) => typeof i.key === 'string' && !TOP_LEVEL_NON_KEYS.has(i.key)));
    groups = [group(top)];
  }
  const threshold = text(field(tree, 'shamir_threshold'));
  const macOnly = field(tree, 'mac_only_encrypted');
  return {
    groups,
    usesKeyGroups,
    shamirThreshold: threshold ? Number(threshold) : undefined,
    lastModified,
    mac: mac ?? '',
    version: text(field(tree, 'version')),
    unencryptedSuffix: text(field(tree, 'unencrypted_suffix')) || undefined,
    encryptedSuffix: text(field(tree, 'encrypted_suffix')) || undefined,
    unencryptedRegex: text(field(tree, 'unencrypted_regex')) || undefined,
    encryptedRegex: text(field(tree, 'encrypted_regex')) || undefined,
    unencryptedCommentRegex: text(field(tree, 'unencrypted_comment_regex')) || undefined,
    encryptedCommentRegex: text(field(tree, 'encrypted_comment_regex')) || undefined,
    macOnlyEncrypted: macOnly === true || macOnly === 'true',
  };
}

/** Every master key of the file, for messages ("KMS key …, age recipient …"). */
export function describeMasterKeys(meta: SopsMetadata): string[] {
  const names: Record<string, string> = {
    age: 'age recipient',
    pgp: 'PGP key',
    hc_vault: 'HashiCorp Vault key',
    azure_kv: 'Azure Key Vault key',
    gcp_kms: 'Google Cloud KMS key',
  };
  const out: string[] = [];
  for (const g of meta.groups) {
    for (const k of g.kms)
      out.push(`KMS key ${k.arn}${k.role ? ` (role ${k.role})` : ''}${k.awsProfile ? ` (profile ${k.awsProfile})` : ''}`);
    for (const o of g.others) out.push(`${names[o.type] ?? `${o.type} key`} ${o.id}`);
  }
  return out;
}

/** A KMS entry as sops writes it (arn, role, context, created_at, enc, aws_profile). */
export function kmsEntryTree(key: KmsMasterKey): SopsBranch {
  const b = branch([{ key: 'arn', value: key.arn }]);
  if (key.role) b.push({ key: 'role', value: key.role });
  if (key.context && Object.keys(key.context).length > 0) {
    b.push({
      key: 'context',
      value: branch(
        Object.keys(key.context)
          .sort()
          .map((k) => ({ key: k, value: key.context![k] })),
      ),
    });
  }
  b.push(
    { key: 'created_at', value: key.createdAt ?? rfc3339(new Date()) },
    { key: 'enc', value: key.enc },
    { key: 'aws_profile', value: key.awsProfile ?? '' },
  );
  return b;
}

/** Go's time.Format(time.RFC3339) of a UTC time: no fraction, `Z`. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}

/**
 * The string sops authenticates the MAC with: lastmodified parsed and formatted again as
 * RFC 3339 (fractions of seconds dropped, a zero offset written `Z`).
 */
export function macAad(lastModified: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.exec(lastModified.trim());
  if (!m) return lastModified;
  const zone = m[3].toUpperCase() === 'Z' || m[3] === '+00:00' || m[3] === '-00:00' ? 'Z' : m[3];
  return `${m[1]}${zone}`;
}

// ------------------------------------------------ flattened form (dotenv, INI)

/** sops's flattening of the metadata for dotenv and INI: `kms__list_0__map_arn`. */
export function flattenTree(tree: SopsBranch): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const visit = (value: SopsValue | SopsComment, prefix: string): void => {
    if (value instanceof SopsComment) return;
    if (isBranch(value)) {
      for (const item of value)
        if (typeof item.key === 'string') visit(item.value, prefix === '' ? item.key : `${prefix}__map_${item.key}`);
    } else if (isList(value)) {
      value.filter((v) => !(v instanceof SopsComment)).forEach((v, i) => visit(v, `${prefix}__list_${i}`));
    } else if (value !== null) {
      out.push([prefix, text(value) ?? '']);
    }
  };
  for (const item of tree) if (typeof item.key === 'string') visit(item.value, item.key);
  return out;
}

/** The inverse of flattenTree. */
export function unflattenTree(pairs: ReadonlyArray<readonly [string, string]>): SopsBranch {
  const root = branch();
  for (const [flatKey, value] of pairs) {
    const tokens = flatKey.split(/(__map_|__list_)/);
    let container: SopsBranch | SopsList = root;
    let key: string | number = tokens[0];
    for (let t = 1; t < tokens.length; t += 2) {
      const kind = tokens[t];
      const next: string | number = kind === '__list_' ? Number(tokens[t + 1]) : tokens[t + 1];
      const make = (): SopsValue => (kind === '__list_' ? [] : branch());
      let child: SopsValue | undefined;
      if (typeof key === 'number') {
        const list = container as SopsList;
        child = list[key] as SopsValue | undefined;
        if (child === undefined) list[key] = child = make();
      } else {
        const b = container as SopsBranch;
        child = field(b, key);
        if (child === undefined) b.push({ key, value: (child = make()) });
      }
      if (!isBranch(child) && !isList(child))
        throw new SopsError('SopsFormat', `The sops metadata entry ${flatKey} conflicts with another one.`);
      container = child;
      key = next;
    }
    if (typeof key === 'number') (container as SopsList)[key] = value;
    else (container as SopsBranch).push({ key, value });
  }
  return root;
}
