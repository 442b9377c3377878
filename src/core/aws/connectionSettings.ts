import type { ConnectionConfig } from './connection';

/**
 * Reading connection entries as settings hold them (`kmsWorkbench.connections`,
 * `kmsWorkbench.proposedConnections`): JSON of any shape, since a settings file can say
 * anything. Also the identity of a proposed connection, which an approval is for.
 */

/** One settings entry as a ConnectionConfig; an entry that is not an object becomes one that names itself invalid. */
export function parseConnectionEntry(entry: unknown): ConnectionConfig {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return { label: `(invalid entry: ${JSON.stringify(entry)})` };
  const e = entry as Record<string, unknown>;
  const str = (k: string): string | undefined => (typeof e[k] === 'string' ? e[k] : undefined);
  return { profile: str('profile'), region: str('region'), endpoint: str('endpoint'), label: str('label') };
}

/** A settings value that should be a list of connections: its entries, or [] for anything else. */
export function parseConnectionList(raw: unknown): ConnectionConfig[] {
  return Array.isArray(raw) ? raw.map(parseConnectionEntry) : [];
}

/**
 * The canonical form of a proposed connection: each field trimmed (blank = absent), the
 * endpoint as `new URL()` writes it (so `HTTP://LOCALHOST:80` and `http://localhost/` are one
 * endpoint), and the label, since a name can mislead too. Two proposals with the same
 * fingerprint are the same connection; any other difference needs a new approval.
 */
export function connectionFingerprint(config: ConnectionConfig): string {
  return JSON.stringify([blankless(config.profile), blankless(config.region), canonicalEndpoint(config.endpoint), blankless(config.label)]);
}

/** An endpoint as new URL() writes it; as written (trimmed) when it does not parse. */
export function canonicalEndpoint(endpoint: string | undefined): string | null {
  const e = blankless(endpoint);
  if (e === null) return null;
  try {
    return new URL(e).href;
  } catch {
    return e;
  }
}

function blankless(value: string | undefined): string | null {
  const v = value?.trim();
  return v ? v : null;
}

/** The three things an approval shows in full: what the proposal names, and what each means. */
export function describeProposalFields(config: ConnectionConfig): { profile: string; region: string; endpoint: string } {
  return {
    profile: blankless(config.profile) ?? '(none: your environment credentials, AWS_PROFILE or the default profile)',
    region: blankless(config.region) ?? '(none: AWS_REGION or the profile\u2019s region)',
    endpoint: canonicalEndpoint(config.endpoint) ?? '(none: AWS KMS, or the endpoint your environment or profile names)',
  };
}
