// The trust rule for keys chosen by a repository (a `.sops.yaml`, or a SOPS file's own
// metadata): secrets are never encrypted for a key in an account the user does not trust
// without the person saying so. It is the one shared check, ensureKeysTrusted (trusted
// accounts: those of the user's connections and kmsWorkbench.trustedAccounts).
import type { Connection } from '../../core/aws/connection';
import type { Services } from '../services';
import { ensureKeysTrusted } from '../trust/ensureKeysTrusted';

/**
 * Checks keys a repository chose. Keys in an untrusted account: asked about interactively
 * (modal, remembered per workspace and account), refused when scripted.
 * `source` says who chose them ("The .sops.yaml at …", "The SOPS file …").
 */
export async function checkRepositoryKeys(
  services: Services,
  connection: Connection,
  keyArns: readonly string[],
  options: { interactive: boolean; source: string },
): Promise<void> {
  await ensureKeysTrusted(services, keyArns, { source: options.source, interactive: options.interactive, connection });
}
