// Which AWS account a key belongs to, read from its name alone (no KMS call), and the accounts
// a person trusts: the accounts of their own connections, the user setting
// kmsWorkbench.trustedAccounts, and accounts they allowed for one workspace.
//
// A key ARN or alias ARN names its account and partition. A bare key id or alias name has no
// account of its own: KMS resolves it in the account of the credentials that sign the call,
// which is the connection's own account, so it is always trusted.

/** An AWS account in a partition (`aws`, `aws-cn`, `aws-us-gov`, …). */
export interface AccountRef {
  readonly partition: string;
  readonly accountId: string;
}

/** A key named by ARN: its parts. */
export interface KmsArn extends AccountRef {
  readonly region: string;
  readonly resource: 'key' | 'alias';
  /** Key id, or alias name with its `alias/` prefix. */
  readonly name: string;
  readonly arn: string;
}

const KMS_ARN = /^arn:(aws[a-z-]*):kms:([a-z0-9-]+):(\d{12}):(key|alias)\/(.+)$/;
/** The principal ARN GetCallerIdentity answers (iam user/role, sts assumed-role, root, federated user). */
const PRINCIPAL_ARN = /^arn:(aws[a-z-]*):(?:iam|sts)::(\d{12}):/;
const ACCOUNT_ID = /^\d{12}$/;
const PARTITION = /^aws(-[a-z]+)*$/;

export function parseKmsArn(ref: string): KmsArn | undefined {
  const m = KMS_ARN.exec(ref.trim());
  if (!m) return undefined;
  const [, partition, region, accountId, resource, rest] = m as unknown as [string, string, string, string, 'key' | 'alias', string];
  return { partition, region, accountId, resource, name: resource === 'alias' ? `alias/${rest}` : rest, arn: ref.trim() };
}

/** The account a key reference names; undefined for a bare key id or alias name (the connection's own account). */
export function accountOfKeyRef(ref: string): AccountRef | undefined {
  const arn = parseKmsArn(ref);
  return arn ? { partition: arn.partition, accountId: arn.accountId } : undefined;
}

/** The account of a principal ARN (what sts:GetCallerIdentity answers as `Arn`). */
export function accountOfPrincipalArn(arn: string | undefined): AccountRef | undefined {
  const m = arn ? PRINCIPAL_ARN.exec(arn) : null;
  return m ? { partition: m[1], accountId: m[2] } : undefined;
}

export function sameAccount(a: AccountRef, b: AccountRef): boolean {
  return a.accountId === b.accountId && a.partition === b.partition;
}

/** How a message names an account: the id, with its partition when it is not the standard one. */
export function formatAccount(account: AccountRef): string {
  return account.partition === 'aws' ? account.accountId : `${account.accountId} (partition ${account.partition})`;
}

/** How a key reference is shown to the person asked about it: its alias when the reference is one, else its key id. */
export function describeKeyRef(ref: string): string {
  const arn = parseKmsArn(ref);
  if (!arn) return ref;
  return arn.resource === 'alias' ? `${arn.name} (${arn.region})` : `key ${arn.name} (${arn.region})`;
}

/** One entry of kmsWorkbench.trustedAccounts: an account id, in one partition or (no partition given) in any. */
export interface TrustedAccountEntry {
  readonly accountId: string;
  /** undefined: the account id in any partition. */
  readonly partition?: string;
}

export interface TrustedAccountsSetting {
  readonly entries: TrustedAccountEntry[];
  /** Entries that are not account ids: each sentence names the entry and the fix. */
  readonly problems: string[];
}

/**
 * Reads kmsWorkbench.trustedAccounts: `"123456789012"` (any partition) or
 * `"aws-cn:123456789012"` (that partition only). Bad entries are reported, never trusted.
 */
export function parseTrustedAccounts(raw: unknown): TrustedAccountsSetting {
  const entries: TrustedAccountEntry[] = [];
  const problems: string[] = [];
  if (raw === undefined || raw === null) return { entries, problems };
  if (!Array.isArray(raw))
    return { entries, problems: ['kmsWorkbench.trustedAccounts must be a list of 12-digit AWS account ids, like ["123456789012"].'] };
  for (const item of raw) {
    if (typeof item !== 'string') {
      problems.push(
        `kmsWorkbench.trustedAccounts: ${JSON.stringify(item)} is not a string; write account ids as strings, like "123456789012".`,
      );
      continue;
    }
    const text = item.trim();
    const colon = text.lastIndexOf(':');
    const partition = colon >= 0 ? text.slice(0, colon) : undefined;
    const accountId = colon >= 0 ? text.slice(colon + 1) : text;
    if (!ACCOUNT_ID.test(accountId) || (partition !== undefined && !PARTITION.test(partition))) {
      problems.push(
        `kmsWorkbench.trustedAccounts: "${item}" is not an AWS account id; ` +
          'write 12 digits ("123456789012"), or a partition and the id ("aws-cn:123456789012").',
      );
      continue;
    }
    entries.push({ accountId, partition });
  }
  return { entries, problems };
}

export function entryMatches(entry: TrustedAccountEntry, account: AccountRef): boolean {
  return entry.accountId === account.accountId && (entry.partition === undefined || entry.partition === account.partition);
}

/** Why an account is trusted (for the log and for answers). */
export type TrustReason = 'connection' | 'setting' | 'workspace';

/** The accounts trusted at one moment. */
export class TrustedAccounts {
  constructor(
    /** Accounts of the person's own connections (those whose account is known). */
    readonly connections: readonly AccountRef[],
    /** kmsWorkbench.trustedAccounts. */
    readonly setting: readonly TrustedAccountEntry[],
    /** Accounts the person allowed for this workspace when asked. */
    readonly workspace: readonly AccountRef[] = [],
  ) {}

  reason(account: AccountRef): TrustReason | undefined {
    if (this.connections.some((a) => sameAccount(a, account))) return 'connection';
    if (this.setting.some((e) => entryMatches(e, account))) return 'setting';
    if (this.workspace.some((a) => sameAccount(a, account))) return 'workspace';
    return undefined;
  }

  has(account: AccountRef): boolean {
    return this.reason(account) !== undefined;
  }

  /**
   * The Encryption SDK's discovery filter for data keys under `arns`: the trusted accounts
   * among them, in the partition of the first trusted one (a filter has one partition).
   * undefined when none of them is trusted.
   */
  discoveryFilter(arns: readonly string[]): { accountIDs: string[]; partition: string } | undefined {
    const trusted = arns.map(accountOfKeyRef).filter((a): a is AccountRef => a !== undefined && this.has(a));
    if (!trusted.length) return undefined;
    const partition = trusted[0].partition;
    return { partition, accountIDs: [...new Set(trusted.filter((a) => a.partition === partition).map((a) => a.accountId))] };
  }
}
