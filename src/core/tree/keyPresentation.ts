import type {
  CustomKeyStoresListEntry,
  GetKeyRotationStatusCommandOutput,
  GrantListEntry,
  KeyMetadata,
  RotationsListEntry,
} from '@aws-sdk/client-kms';
import { KmsError } from '../kms/errors';
import { inertLine, markdownCode, markdownText } from '../text/inertText';
import { shortAliasName } from './aliasIndex';

/**
 * How keys, grants and rotation read in the tree: labels, descriptions, icon choices and
 * Markdown tooltips, as plain data (the host turns them into TreeItems).
 */

/** A codicon id and an optional theme color id. */
export interface IconChoice {
  readonly id: string;
  readonly color?: string;
}

/** A key's label: its first alias (without `alias/`), else its key id. */
export function keyLabel(keyId: string, aliases: readonly string[]): string {
  return inertLine(aliases.length ? shortAliasName(aliases[0]) : keyId);
}

/** "Enabled", "Disabled", "Pending deletion (2025-03-01)", … */
export function stateLabel(meta: Pick<KeyMetadata, 'KeyState' | 'DeletionDate' | 'PendingDeletionWindowInDays'>): string {
  switch (meta.KeyState) {
    case 'PendingDeletion':
      return meta.DeletionDate ? `Pending deletion (${formatDate(meta.DeletionDate)})` : 'Pending deletion';
    case 'PendingReplicaDeletion':
      return meta.DeletionDate ? `Pending replica deletion (${formatDate(meta.DeletionDate)})` : 'Pending replica deletion';
    case 'PendingImport':
      return 'Pending import';
    case undefined:
      return 'Unknown state';
    default:
      return meta.KeyState;
  }
}

/**
 * A key spec as people say it, short enough to fit beside a label in a 300 px side bar:
 * `SYMMETRIC_DEFAULT` → "symmetric", `ECC_NIST_P521` → "P-521", `RSA_4096` → "RSA 4096",
 * `ML_DSA_65` → "ML-DSA-65", `HMAC_256` → "HMAC 256". The full spec stays in the tooltip.
 */
export function shortKeySpec(spec: string | undefined): string | undefined {
  if (!spec) return undefined;
  if (spec === 'SYMMETRIC_DEFAULT') return 'symmetric';
  const nist = /^ECC_NIST_P(\d+)$/.exec(spec);
  if (nist) return `P-${nist[1]}`;
  if (spec === 'ECC_SECG_P256K1') return 'secp256k1';
  if (spec === 'ECC_NIST_EDWARDS25519') return 'Ed25519';
  const sized = /^(RSA|HMAC)_(\d+)$/.exec(spec);
  if (sized) return `${sized[1]} ${sized[2]}`;
  if (/^ML_(DSA|KEM)_\d+$/.test(spec)) return spec.replace(/_/g, '-');
  return spec;
}

/**
 * A key state, short enough to stay whole beside a long alias at 300 px: "Deletes 2025-03-01"
 * for a key pending deletion (the tooltip says "Pending deletion" and the date and time), else
 * stateLabel's words.
 */
export function shortStateLabel(meta: Pick<KeyMetadata, 'KeyState' | 'DeletionDate' | 'PendingDeletionWindowInDays'>): string {
  if (meta.KeyState === 'PendingDeletion') return meta.DeletionDate ? `Deletes ${formatDate(meta.DeletionDate)}` : 'Pending deletion';
  if (meta.KeyState === 'PendingReplicaDeletion')
    return meta.DeletionDate ? `Replica deletes ${formatDate(meta.DeletionDate)}` : 'Pending replica deletion';
  return stateLabel(meta);
}

/**
 * The description beside a key's label: its state first (what a person checks; it must not
 * be cut off in a narrow side bar), then the short key spec, then when key material expires.
 * The full spec, usage and dates are in the tooltip. Or why the key is not described.
 */
export function keyDescription(meta: KeyMetadata | undefined, failure?: unknown): string {
  if (meta) {
    const material = meta.KeyState !== 'PendingImport' && meta.ValidTo ? `expires ${formatDate(meta.ValidTo)}` : undefined;
    return inertLine(
      [shortStateLabel(meta), shortKeySpec(meta.KeySpec ?? meta.CustomerMasterKeySpec), material].filter(Boolean).join(' · '),
    );
  }
  if (failure !== undefined)
    return failure instanceof KmsError && failure.code === 'AccessDeniedException' ? 'no permission to describe' : 'could not describe';
  return '';
}

/**
 * What an alias in the region's Aliases folder points at, by name: another alias of the same
 * key, else the key's description, else a shortened key id (the full id is in the tooltip).
 * `undefined` target: an AWS managed alias whose key AWS has not created yet.
 */
export function aliasTargetText(
  aliasName: string,
  target: { readonly keyId?: string; readonly aliases: readonly string[]; readonly description?: string },
): string {
  if (!target.keyId) return 'no key yet (AWS creates it on first use)';
  const other = target.aliases.find((a) => a !== aliasName);
  if (other) return inertLine(`→ ${shortAliasName(other)}`);
  if (target.description?.trim()) return inertLine(`→ ${target.description.trim()}`);
  return `→ key ${shortKeyId(target.keyId)}`;
}

/** `1234abcd-12ab-34cd-56ef-1234567890ab` → `1234abcd…`; other ids (mrk-…) as they are, up to 12 characters. */
export function shortKeyId(keyId: string): string {
  if (/^[0-9a-f]{8}-[0-9a-f-]{27}$/i.test(keyId)) return `${keyId.slice(0, 8)}…`;
  return inertLine(keyId.length > 13 ? `${keyId.slice(0, 12)}…` : keyId);
}

/**
 * The icon: by state when the key cannot be used as it is (each state its own icon and
 * color), otherwise by what the key does (symmetric encryption, asymmetric encryption,
 * signing, MAC, key agreement).
 */
export function keyIcon(meta: KeyMetadata | undefined, failure?: unknown): IconChoice {
  if (!meta)
    return failure !== undefined ? { id: 'warning', color: 'list.warningForeground' } : { id: 'key', color: 'descriptionForeground' };
  switch (meta.KeyState) {
    case 'Disabled':
      return { id: 'circle-slash', color: 'disabledForeground' };
    case 'PendingDeletion':
    case 'PendingReplicaDeletion':
      return { id: 'trash', color: 'list.errorForeground' };
    case 'PendingImport':
      return { id: 'cloud-upload', color: 'list.warningForeground' };
    case 'Unavailable':
      return { id: 'debug-disconnect', color: 'list.warningForeground' };
    case 'Creating':
    case 'Updating':
      return { id: 'sync', color: 'descriptionForeground' };
    default:
      break;
  }
  switch (meta.KeyUsage) {
    case 'SIGN_VERIFY':
      return { id: 'verified' };
    case 'GENERATE_VERIFY_MAC':
      return { id: 'shield' };
    case 'KEY_AGREEMENT':
      return { id: 'references' };
    default:
      return meta.KeySpec && meta.KeySpec !== 'SYMMETRIC_DEFAULT' ? { id: 'lock' } : { id: 'key' };
  }
}

/** Everything worth knowing about a key at a glance, as Markdown. */
export function keyTooltip(input: {
  readonly keyId: string;
  readonly keyArn?: string;
  readonly aliases: readonly string[];
  readonly metadata?: KeyMetadata;
  readonly failure?: unknown;
  /** GetKeyRotationStatus's answer, when loaded (or why not). */
  readonly rotation?: RotationInfo | { readonly unavailable: string };
}): string {
  const m = input.metadata;
  const title = input.aliases.length ? shortAliasName(input.aliases[0]) : input.keyId;
  const arn = m?.Arn ?? input.keyArn;
  const rows: (readonly [string, string | undefined])[] = [
    ['ARN', arn ? markdownCode(arn) : undefined],
    ['Key id', markdownCode(input.keyId)],
    ['Aliases', input.aliases.length ? input.aliases.map((a) => markdownCode(a)).join(', ') : 'none'],
  ];
  if (m) {
    const text = (v: string | undefined): string | undefined => (v === undefined ? undefined : markdownText(v));
    rows.push(
      ['State', text(stateLabel(m))],
      ['Managed by', m.KeyManager === 'AWS' ? 'AWS' : 'customer'],
      ['Key spec', text(m.KeySpec ?? m.CustomerMasterKeySpec)],
      ['Key usage', text(m.KeyUsage)],
      ['Origin', text(m.Origin)],
      ['Created', text(m.CreationDate ? formatTimestamp(m.CreationDate) : undefined)],
      ['Description', m.Description ? markdownText(m.Description) : '_(none)_'],
      ['Rotation', text(rotationText(m, input.rotation))],
      ['Multi-Region', text(multiRegionText(m))],
      ['Custom key store', m.CustomKeyStoreId ? markdownCode(m.CustomKeyStoreId) : undefined],
      ['Deletion date', text(m.DeletionDate ? formatTimestamp(m.DeletionDate) : undefined)],
      ['Key material expires', text(m.ValidTo ? formatTimestamp(m.ValidTo) : undefined)],
    );
  }
  const lines = [`**${markdownText(title)}**`, ''];
  for (const [name, value] of rows) if (value) lines.push(`- ${name}: ${value}`);
  if (!m && input.failure !== undefined) lines.push('', `_Could not describe the key: ${markdownText(messageOf(input.failure))}_`);
  else if (!m) lines.push('', '_Describing the key…_');
  return lines.join('\n');
}

function rotationText(m: KeyMetadata, rotation: RotationInfo | { readonly unavailable: string } | undefined): string | undefined {
  if (m.KeySpec && m.KeySpec !== 'SYMMETRIC_DEFAULT') return 'not available (asymmetric and HMAC keys do not rotate)';
  if (!rotation) return undefined;
  if ('unavailable' in rotation) return rotation.unavailable;
  return rotationSummary(rotation);
}

function multiRegionText(m: KeyMetadata): string | undefined {
  if (!m.MultiRegion) return 'no (single-Region key)';
  const config = m.MultiRegionConfiguration;
  const role = config?.MultiRegionKeyType === 'PRIMARY' ? 'primary' : config?.MultiRegionKeyType === 'REPLICA' ? 'replica' : 'yes';
  const replicas = (config?.ReplicaKeys ?? []).map((r) => r.Region).filter(Boolean);
  const primary = config?.PrimaryKey?.Region;
  if (role === 'primary') return `primary key${replicas.length ? `; replicas in ${replicas.join(', ')}` : '; no replicas yet'}`;
  if (role === 'replica') return `replica${primary ? ` of the primary key in ${primary}` : ''}`;
  return role;
}

// ---- rotation ------------------------------------------------------------------------

/** GetKeyRotationStatus's answer. */
export type RotationInfo = Pick<
  GetKeyRotationStatusCommandOutput,
  'KeyRotationEnabled' | 'RotationPeriodInDays' | 'NextRotationDate' | 'OnDemandRotationStartDate'
>;

/** "on, every 365 days", "off", "on, every 90 days, next 2025-06-01". */
export function rotationSummary(rotation: RotationInfo): string {
  if (!rotation.KeyRotationEnabled)
    return rotation.OnDemandRotationStartDate ? 'automatic rotation off; on-demand rotation in progress' : 'off';
  const parts = ['on'];
  if (rotation.RotationPeriodInDays) parts.push(`every ${rotation.RotationPeriodInDays} days`);
  if (rotation.NextRotationDate) parts.push(`next ${formatDate(rotation.NextRotationDate)}`);
  return parts.join(', ');
}

/** A detail row under a folder: every row of a folder has an icon, so their labels line up. */
export interface Fact {
  readonly label: string;
  readonly value: string;
  /** A codicon id. */
  readonly icon: string;
}

/** The facts listed under a key's Rotation node (each with an icon, like the history rows beside them). */
export function rotationFacts(rotation: RotationInfo): Fact[] {
  const facts: Fact[] = [
    {
      label: 'Automatic rotation',
      value: rotation.KeyRotationEnabled ? 'on' : 'off',
      icon: rotation.KeyRotationEnabled ? 'sync' : 'sync-ignored',
    },
  ];
  if (rotation.KeyRotationEnabled && rotation.RotationPeriodInDays)
    facts.push({ label: 'Rotation period', value: `${rotation.RotationPeriodInDays} days`, icon: 'watch' });
  if (rotation.KeyRotationEnabled && rotation.NextRotationDate)
    facts.push({ label: 'Next rotation', value: formatDate(rotation.NextRotationDate), icon: 'calendar' });
  if (rotation.OnDemandRotationStartDate)
    facts.push({
      label: 'On-demand rotation',
      value: `in progress since ${formatTimestamp(rotation.OnDemandRotationStartDate)}`,
      icon: 'loading',
    });
  return facts;
}

/** One past rotation: "2025-01-02 10:00 UTC", "on demand". */
export function rotationHistoryEntry(entry: RotationsListEntry): { label: string; description: string } {
  return {
    label: entry.RotationDate ? formatTimestamp(entry.RotationDate) : 'unknown date',
    description:
      entry.RotationType === 'ON_DEMAND'
        ? 'on demand'
        : entry.RotationType === 'AUTOMATIC'
          ? 'automatic'
          : inertLine(entry.RotationType ?? ''),
  };
}

// ---- grants --------------------------------------------------------------------------

/** A grant's label (its name, else its grantee) and description (its operations). */
export function grantLabel(grant: GrantListEntry): { label: string; description: string } {
  const grantee = shortPrincipal(grant.GranteePrincipal);
  const operations = (grant.Operations ?? []).join(', ');
  const shown = grant.Name ? { label: grant.Name, description: `${grantee} · ${operations}` } : { label: grantee, description: operations };
  return { label: inertLine(shown.label), description: inertLine(shown.description) };
}

/** Every fact about a grant, in the order a person checks them (each with an icon, so the rows line up). */
export function grantFacts(grant: GrantListEntry): Fact[] {
  const facts: Fact[] = [
    { label: 'Grantee', value: grant.GranteePrincipal ?? 'unknown', icon: 'person' },
    { label: 'Operations', value: (grant.Operations ?? []).join(', ') || 'none', icon: 'checklist' },
    { label: 'Constraints', value: grantConstraints(grant), icon: 'filter' },
  ];
  if (grant.Name) facts.push({ label: 'Name', value: grant.Name, icon: 'tag' });
  facts.push({ label: 'Retiring principal', value: grant.RetiringPrincipal ?? 'none', icon: 'archive' });
  if (grant.IssuingAccount) facts.push({ label: 'Issuing account', value: grant.IssuingAccount, icon: 'organization' });
  if (grant.CreationDate) facts.push({ label: 'Created', value: formatTimestamp(grant.CreationDate), icon: 'calendar' });
  facts.push({ label: 'Grant id', value: grant.GrantId ?? 'unknown', icon: 'symbol-key' });
  return facts;
}

export function grantConstraints(grant: GrantListEntry): string {
  const c = grant.Constraints;
  const parts: string[] = [];
  const render = (ctx: Record<string, string>): string =>
    Object.entries(ctx)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
  if (c?.EncryptionContextEquals && Object.keys(c.EncryptionContextEquals).length)
    parts.push(`encryption context equals {${render(c.EncryptionContextEquals)}}`);
  if (c?.EncryptionContextSubset && Object.keys(c.EncryptionContextSubset).length)
    parts.push(`encryption context includes {${render(c.EncryptionContextSubset)}}`);
  return parts.join('; ') || 'none';
}

export function grantTooltip(grant: GrantListEntry): string {
  return [
    `**Grant ${markdownText(grant.Name ?? shortPrincipal(grant.GranteePrincipal))}**`,
    '',
    ...grantFacts(grant).map((f) => `- ${f.label}: ${markdownText(f.value)}`),
  ].join('\n');
}

/**
 * A principal as people say it: `role/app (111122223333)` for an IAM ARN, the service
 * name for a service principal, the account for a root ARN.
 */
export function shortPrincipal(principal: string | undefined): string {
  if (!principal) return 'unknown grantee';
  const iam = /^arn:aws[\w-]*:(?:iam|sts)::(\d{12}):(.+)$/.exec(principal);
  if (iam) return iam[2] === 'root' ? `account ${iam[1]}` : `${iam[2]} (${iam[1]})`;
  return principal;
}

// ---- custom key stores ---------------------------------------------------------------

/** What a ConnectionErrorCode of DescribeCustomKeyStores means and what fixes it (the KMS developer guide's troubleshooting). */
export const CONNECTION_ERRORS: Readonly<Record<string, string>> = {
  CLUSTER_NOT_FOUND:
    'KMS cannot find the CloudHSM cluster: it was deleted, or the id is wrong. Update the store with the id of a related cluster (made from a backup).',
  INSUFFICIENT_CLOUDHSM_HSMS:
    'The CloudHSM cluster has no active HSM (it needs at least one, two for keys to be created). Add HSMs to the cluster.',
  INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET:
    'A subnet of the CloudHSM cluster has no free IP address for KMS. Free addresses, or use a cluster with larger subnets.',
  INTERNAL_ERROR: 'KMS could not finish the connection because of an internal error. Disconnect and connect again.',
  INVALID_CREDENTIALS:
    'KMS cannot log in as kmsuser (CloudHSM), or the XKS proxy rejected the authentication credential ' +
    '(external store). Update the store with the current kmsuser password or proxy credential.',
  NETWORK_ERRORS:
    'A network problem kept KMS from the cluster or proxy (security group, route, VPC endpoint or DNS). ' +
    'Fix the network configuration, disconnect and connect again.',
  SUBNET_NOT_FOUND:
    'A subnet of the CloudHSM cluster was deleted. Create a cluster from a backup in existing subnets and update the store.',
  USER_LOCKED_OUT:
    'The kmsuser account of the cluster is locked out (too many wrong passwords). Change its password in CloudHSM, then update the store with it.',
  USER_LOGGED_IN: 'kmsuser is logged in to the cluster elsewhere, so KMS cannot rotate its password. Log kmsuser out, then connect again.',
  USER_NOT_FOUND: 'The cluster has no kmsuser crypto user. Create kmsuser (CU) with the password given to KMS, then connect again.',
  XKS_PROXY_ACCESS_DENIED: 'The XKS proxy denied KMS access (its authorization rules). Allow the key store in the proxy.',
  XKS_PROXY_INVALID_CONFIGURATION:
    'The XKS proxy is misconfigured (for example its URI path or the key store it expects). Check the proxy and the store settings.',
  XKS_PROXY_INVALID_RESPONSE: 'The XKS proxy answered something KMS cannot use. Check the proxy software and its logs.',
  XKS_PROXY_INVALID_TLS_CONFIGURATION:
    'The TLS certificate of the XKS proxy is not valid for its endpoint (a public CA must sign it, with the endpoint host name). Fix the certificate.',
  XKS_PROXY_NOT_REACHABLE: 'KMS cannot reach the XKS proxy at its endpoint. Check the URI, DNS and that the proxy is running.',
  XKS_PROXY_TIMED_OUT: 'The XKS proxy did not answer in time (KMS waits 250 ms). Check the proxy and the network between it and KMS.',
  XKS_VPC_ENDPOINT_SERVICE_INVALID_CONFIGURATION:
    'The VPC endpoint service of the proxy is misconfigured (acceptance, principals, private DNS). Fix its configuration.',
  XKS_VPC_ENDPOINT_SERVICE_NOT_FOUND: 'KMS cannot find the VPC endpoint service of the proxy. Check its name, or update the store.',
};

/** A ConnectionErrorCode in words (unknown codes are shown as they are). */
export function connectionErrorText(code: string | undefined): string | undefined {
  if (!code) return undefined;
  return CONNECTION_ERRORS[code] ? `${code}: ${CONNECTION_ERRORS[code]}` : code;
}

const CONNECTION_STATE_WORDS: Readonly<Record<string, string>> = {
  CONNECTED: 'connected',
  CONNECTING: 'connecting…',
  DISCONNECTED: 'disconnected',
  DISCONNECTING: 'disconnecting…',
  FAILED: 'connection failed',
};

export function customKeyStoreLabel(store: CustomKeyStoresListEntry): { label: string; description: string; tooltip: string } {
  const type = store.CustomKeyStoreType === 'EXTERNAL_KEY_STORE' ? 'external key store' : 'CloudHSM key store';
  const state = store.ConnectionState
    ? (CONNECTION_STATE_WORDS[store.ConnectionState] ?? store.ConnectionState.toLowerCase().replace(/_/g, ' '))
    : 'unknown state';
  const proxy = store.XksProxyConfiguration;
  const rows: [string, string | undefined][] = [
    ['Id', store.CustomKeyStoreId],
    ['Type', type],
    ['Connection state', state],
    ['Connection error', connectionErrorText(store.ConnectionErrorCode)],
    ['CloudHSM cluster', store.CloudHsmClusterId],
    ['Proxy', proxy?.UriEndpoint ? `${proxy.UriEndpoint}${proxy.UriPath ?? ''}` : undefined],
    [
      'Proxy connectivity',
      proxy?.Connectivity === 'VPC_ENDPOINT_SERVICE'
        ? `VPC endpoint service ${proxy.VpcEndpointServiceName ?? ''}`.trim()
        : proxy?.Connectivity === 'PUBLIC_ENDPOINT'
          ? 'public endpoint'
          : undefined,
    ],
    ['Proxy access key id', proxy?.AccessKeyId],
    ['Created', store.CreationDate ? formatTimestamp(store.CreationDate) : undefined],
  ];
  return {
    label: inertLine(store.CustomKeyStoreName ?? store.CustomKeyStoreId ?? 'custom key store'),
    description: inertLine(`${type} · ${state}${store.ConnectionErrorCode ? ` (${store.ConnectionErrorCode})` : ''}`),
    tooltip: [
      `**${markdownText(store.CustomKeyStoreName ?? '')}**`,
      '',
      ...rows.flatMap(([k, v]) => (v ? [`- ${k}: ${markdownText(v)}`] : [])),
    ].join('\n'),
  };
}

// ---- connections ---------------------------------------------------------------------

/**
 * The description beside a connection's label: its region (unless the label already says it,
 * as the generated "profile · region" does), the account id once known, the endpoint's host
 * for a custom endpoint, and whether the workspace proposed it.
 */
export function connectionDescription(
  connection: { readonly label: string; readonly region: string; readonly endpoint?: string },
  known: { readonly accountId?: string; readonly approvedProposal?: boolean },
): string {
  const parts: string[] = [];
  if (!connection.label.split(' · ').includes(connection.region)) parts.push(connection.region);
  if (known.accountId) parts.push(known.accountId);
  if (connection.endpoint) parts.push(endpointHost(connection.endpoint));
  if (known.approvedProposal) parts.push('proposed by the workspace, approved');
  return parts.join(' · ');
}

/** The host (and port) of an endpoint URL, e.g. `127.0.0.1:4566`. */
export function endpointHost(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return endpoint;
  }
}

// ---- console -------------------------------------------------------------------------

/**
 * The AWS console page of a key (or of the region's keys), in the region's partition.
 * AWS managed keys have their own console list.
 */
export function consoleUrl(region: string, key?: { readonly keyId: string; readonly awsManaged?: boolean }): string {
  const host = region.startsWith('cn-')
    ? `${region}.console.amazonaws.cn`
    : region.startsWith('us-gov-')
      ? `${region}.console.amazonaws-us-gov.com`
      : `${region}.console.aws.amazon.com`;
  const base = `https://${host}/kms/home?region=${encodeURIComponent(region)}#/kms/`;
  if (!key) return `${base}keys`;
  return `${base}${key.awsManaged ? 'defaultKeys' : 'keys'}/${encodeURIComponent(key.keyId)}`;
}

// ---- text ----------------------------------------------------------------------------

/** "2025-03-01" (UTC). */
export function formatDate(date: Date): string {
  return toDate(date).toISOString().slice(0, 10);
}

/** "2025-03-01 14:05 UTC". */
export function formatTimestamp(date: Date): string {
  const iso = toDate(date).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

function toDate(value: Date | string | number): Date {
  return value instanceof Date ? value : new Date(value);
}

/** The message of an error (a KmsError's message already names the fix). */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
