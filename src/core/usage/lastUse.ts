import type { GetKeyLastUsageCommandOutput } from '@aws-sdk/client-kms';
import { KmsError } from '../kms/errors';
import type { CallOptions } from '../kms/gateway';

/** What `kmsWorkbench.showKeyLastUsage` returns and the tree and confirmations show. */
export interface KeyLastUse {
  /** The last successful cryptographic operation (Encrypt, Decrypt, Sign…), when there was one. */
  readonly operation?: string;
  /** ISO time of that use. */
  readonly time?: string;
  /** false: the endpoint does not track last use (GetKeyLastUsage not supported); nothing else is known. */
  readonly tracked: boolean;
  /** ISO date from which KMS tracks the key's use (tracking began, or the key was created, whichever is later). */
  readonly trackingStartDate?: string;
  /** true when the key existed before tracking began, so an older use would not show. */
  readonly mayHaveBeenUsedBefore?: boolean;
}

export interface LastUsageSource {
  getKeyLastUsage(keyId: string, options?: CallOptions): Promise<GetKeyLastUsageCommandOutput>;
}

/**
 * Reads a key's last use. An endpoint without GetKeyLastUsage (LocalStack, moto, older
 * servers) gives `{ tracked: false }`, not an error; other failures (access denied…) throw.
 */
export async function loadLastUse(source: LastUsageSource, keyId: string, options?: CallOptions): Promise<KeyLastUse> {
  let out: GetKeyLastUsageCommandOutput;
  try {
    out = await source.getKeyLastUsage(keyId, options);
  } catch (error) {
    if (error instanceof KmsError && error.notSupported) return { tracked: false };
    throw error;
  }
  return lastUseOf(out);
}

export function lastUseOf(out: Pick<GetKeyLastUsageCommandOutput, 'KeyLastUsage' | 'TrackingStartDate' | 'KeyCreationDate'>): KeyLastUse {
  const used = out.KeyLastUsage;
  const start = validDate(out.TrackingStartDate);
  const created = validDate(out.KeyCreationDate);
  const time = validDate(used?.Timestamp);
  return {
    tracked: true,
    ...(used?.Operation ? { operation: used.Operation } : {}),
    ...(time ? { time: time.toISOString() } : {}),
    ...(start ? { trackingStartDate: start.toISOString() } : {}),
    ...(start && created && created.getTime() < start.getTime() ? { mayHaveBeenUsedBefore: true } : {}),
  };
}

function validDate(value: Date | undefined): Date | undefined {
  if (!value) return undefined;
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** "3 days ago", "just now", "in the future" (a clock ahead of KMS's). */
export function ago(time: Date, now: Date): string {
  const seconds = Math.round((now.getTime() - time.getTime()) / 1000);
  if (seconds < -60) return 'in the future (check the clock)';
  if (seconds < 60) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'} ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} hour${hours === 1 ? '' : 's'} ago`;
  const days = Math.round(hours / 24);
  return `${days} day${days === 1 ? '' : 's'} ago`;
}

const day = (iso: string): string => iso.slice(0, 10);
const minute = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

/**
 * The short text of a tree row and tooltip line: "Encrypt, 3 hours ago (2026-12-05 10:00 UTC)",
 * "not used since tracking began (2025-11-01)". undefined when the endpoint does not track it.
 */
export function describeLastUse(use: KeyLastUse, now = new Date()): string | undefined {
  if (!use.tracked) return undefined;
  if (use.time) return `${use.operation ?? 'used'}, ${ago(new Date(use.time), now)} (${minute(use.time)})`;
  const since = use.trackingStartDate ? ` (${day(use.trackingStartDate)})` : '';
  return `not used since tracking began${since}`;
}

/**
 * The paragraph of a Disable or Schedule Deletion confirmation: the last use and the
 * safer path (disable, watch CloudTrail for DisabledException, then delete).
 */
export function lastUseWarning(use: KeyLastUse | { readonly problem: string }, action: 'disable' | 'delete', now = new Date()): string {
  const lines: string[] = [];
  if ('problem' in use) {
    lines.push(`Last use: unknown (${use.problem}).`);
  } else if (!use.tracked) {
    // An endpoint without GetKeyLastUsage: nothing to say about the last use, only the advice.
  } else if (use.time) {
    lines.push(`Last used: ${describeLastUse(use, now) ?? ''}.`);
  } else {
    lines.push(
      `Last use: ${describeLastUse(use, now) ?? ''}.` +
        (use.mayHaveBeenUsedBefore
          ? ' The key is older than the tracking, so an earlier use would not show: check CloudTrail (Show Key Usage).'
          : ''),
    );
  }
  if (action === 'delete') {
    lines.push(
      'Safer: disable the key first and watch for failed calls (DisabledException in CloudTrail, or Show ' +
        'Key Usage) for a while; infrequent jobs may still need it. Schedule the deletion once nothing has tried to use it.',
    );
  } else {
    lines.push(
      'While it is disabled, watch for failed calls (DisabledException in CloudTrail, or Show Key Usage) to find anything that still needs it.',
    );
  }
  return lines.join(' ');
}
