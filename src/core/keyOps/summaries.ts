import type { GrantListEntry, KeyMetadata, RotationsListEntry } from '@aws-sdk/client-kms';

/**
 * Plain-text summaries the lifecycle commands show before and after acting: what depends
 * on a key about to be deleted, a key's rotation status and history.
 */

export interface DeletionImpact {
  readonly label: string;
  readonly metadata: Pick<KeyMetadata, 'KeyId' | 'KeyState' | 'MultiRegion' | 'MultiRegionConfiguration'>;
  readonly aliases: readonly string[];
  /** undefined: the grants could not be listed (the reason is in grantsProblem). */
  readonly grants?: readonly GrantListEntry[];
  readonly grantsProblem?: string;
}

/** Lines listing what stops working when the key is deleted, and what to check first. */
export function deletionImpactLines(impact: DeletionImpact): string[] {
  const lines: string[] = [];
  lines.push(
    'When the waiting period ends, KMS deletes the key and its key material. Everything encrypted under it can never be decrypted again.',
  );
  lines.push(impact.aliases.length ? `Aliases that will be deleted with it: ${impact.aliases.join(', ')}.` : 'Aliases: none.');
  if (impact.grants === undefined) {
    lines.push(`Grants: could not be listed (${impact.grantsProblem ?? 'unknown reason'}).`);
  } else if (impact.grants.length === 0) {
    lines.push('Grants: none.');
  } else {
    const shown = impact.grants.slice(0, 5).map(describeGrant);
    const more = impact.grants.length - shown.length;
    lines.push(`Grants that will stop working (${impact.grants.length}): ${shown.join('; ')}${more > 0 ? `; and ${more} more` : ''}.`);
  }
  const mr = impact.metadata.MultiRegionConfiguration;
  if (impact.metadata.MultiRegion && mr?.MultiRegionKeyType === 'PRIMARY') {
    const replicas = (mr.ReplicaKeys ?? []).map((r) => r.Region ?? '?');
    lines.push(
      replicas.length
        ? `Multi-Region replicas: ${replicas.join(', ')}. The primary key waits in PendingReplicaDeletion ` +
            'until every replica is deleted; each replica is scheduled for deletion on its own.'
        : 'Multi-Region replicas: none.',
    );
  } else if (impact.metadata.MultiRegion && mr?.MultiRegionKeyType === 'REPLICA') {
    lines.push(
      `This is a multi-Region replica of the primary key in ${mr.PrimaryKey?.Region ?? 'another Region'}; the primary and the other replicas stay.`,
    );
  }
  if (impact.metadata.KeyState === 'Enabled') {
    lines.push(
      'Not sure what still uses it? Disable the key first and watch for failures (CloudTrail shows recent use): disabling can be undone at once.',
    );
  }
  return lines;
}

export function describeGrant(grant: GrantListEntry): string {
  const who = grant.GranteePrincipal ?? 'unknown grantee';
  const ops = (grant.Operations ?? []).join(', ');
  return `${grant.Name ? `"${grant.Name}" ` : ''}${who}${ops ? ` (${ops})` : ''}`;
}

/** The date a deletion scheduled now with `days` of waiting would happen (for the prompt). */
export function deletionDate(now: Date, days: number): Date {
  return new Date(now.getTime() + days * 24 * 60 * 60 * 1000);
}

export function formatDate(date: Date | undefined): string {
  if (!date) return 'unknown';
  return date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, ' UTC');
}

export interface RotationStatus {
  readonly KeyRotationEnabled?: boolean;
  readonly RotationPeriodInDays?: number;
  readonly NextRotationDate?: Date;
  readonly OnDemandRotationStartDate?: Date;
}

/**
 * A Markdown report of a key's rotation: status, next date, and every rotation so far
 * (`rotations` undefined: the endpoint cannot list them).
 */
export function rotationReport(
  label: string,
  keyId: string,
  status: RotationStatus,
  rotations: readonly RotationsListEntry[] | undefined,
): string {
  const lines = [`# Rotation of ${label}`, '', `Key: \`${keyId}\``, ''];
  if (status.KeyRotationEnabled) {
    lines.push(`- Automatic rotation: **on**, every ${status.RotationPeriodInDays ?? 365} days`);
    lines.push(`- Next automatic rotation: ${formatDate(status.NextRotationDate)}`);
  } else {
    lines.push('- Automatic rotation: **off**');
  }
  if (status.OnDemandRotationStartDate)
    lines.push(`- On-demand rotation in progress since ${formatDate(status.OnDemandRotationStartDate)}`);
  if (rotations === undefined) {
    lines.push('', '## History', '', 'This endpoint cannot list rotations (ListKeyRotations is not supported).');
    return `${lines.join('\n')}\n`;
  }
  lines.push('', `## History (${rotations.length} rotation${rotations.length === 1 ? '' : 's'})`, '');
  if (rotations.length === 0) {
    lines.push('The key has not been rotated yet: all its ciphertexts use its original key material.');
  } else {
    lines.push('| Date | Type |', '| --- | --- |');
    for (const r of [...rotations].sort((a, b) => (b.RotationDate?.getTime() ?? 0) - (a.RotationDate?.getTime() ?? 0))) {
      const type = r.RotationType === 'ON_DEMAND' ? 'on demand' : r.RotationType === 'AUTOMATIC' ? 'automatic' : (r.RotationType ?? '?');
      lines.push(`| ${formatDate(r.RotationDate)} | ${type} |`);
    }
    lines.push('', 'Old key material stays: ciphertexts made before a rotation still decrypt.');
  }
  return `${lines.join('\n')}\n`;
}
