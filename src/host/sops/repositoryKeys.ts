// The trust rule for keys chosen by a repository (a `.sops.yaml`, or a SOPS file's own
// metadata): secrets are never encrypted for a key in an account none of the user's
// connections belongs to without the person saying so. Every such key list goes through
// checkRepositoryKeys (the one place to swap in the shared repository-key check).
import type { Connection } from '../../core/aws/connection';
import { KmsError } from '../../core/kms/errors';
import { accountOfArn } from '../../core/sops/kmsKeyService';
import type { Services } from '../services';

const accountCache = new Map<string, Promise<string | undefined>>();

/** The account of a connection, from the ARN of a key or alias its KMS lists (undefined when it lists none). */
async function accountOf(services: Services, connection: Connection): Promise<string | undefined> {
  let found = accountCache.get(connection.id);
  if (!found) {
    found = (async () => {
      const gateway = services.kms.gateway(connection);
      const keys = await gateway.listKeysPage(undefined, 1).catch(() => undefined);
      const fromKey = keys?.items[0]?.KeyArn ? accountOfArn(keys.items[0].KeyArn) : undefined;
      if (fromKey) return fromKey;
      const aliases = await gateway.send('ListAliases', { Limit: 1 }).catch(() => undefined);
      const arn = aliases?.Aliases?.[0]?.AliasArn;
      return arn ? /:(\d{12}):/.exec(arn)?.[1] : undefined;
    })();
    found.catch(() => accountCache.delete(connection.id));
    accountCache.set(connection.id, found);
  }
  return found;
}

/** Forgets the accounts learnt (connections or credentials changed). */
export function forgetRepositoryKeyAccounts(): void {
  accountCache.clear();
}

/**
 * Checks keys a repository chose against the accounts of the user's connections. Keys in
 * another account: asked about interactively (modal), refused when scripted.
 * `source` says who chose them ("the .sops.yaml at …", "the SOPS file …").
 */
export async function checkRepositoryKeys(services: Services, connection: Connection, keyArns: readonly string[], options: { interactive: boolean; source: string }): Promise<void> {
  const accounts = new Set<string>();
  const connections = [connection, ...(await services.connections.connections().catch(() => [] as Connection[]))];
  const seen = new Set<string>();
  for (const c of connections) {
    if (seen.has(c.id)) continue;
    seen.add(c.id);
    const account = await accountOf(services, c).catch(() => undefined);
    if (account) accounts.add(account);
  }
  const foreign = keyArns.filter((arn) => {
    const account = accountOfArn(arn);
    return account !== undefined && !accounts.has(account);
  });
  if (foreign.length === 0) return;
  const mine = accounts.size ? `your connections' account${accounts.size > 1 ? 's' : ''} ${[...accounts].join(', ')}` : 'no account any of your connections could name';
  const message = `${options.source} names KMS key${foreign.length > 1 ? 's' : ''} in another account: ${foreign.join(', ')} (${mine}). Whoever controls ${foreign.length > 1 ? 'those keys' : 'that key'} can read these secrets.`;
  if (!options.interactive) throw new KmsError('ForeignRepositoryKey', `${message} Check the keys with the repository's owners; scripted calls never use keys in another account.`);
  const go = 'Use These Keys';
  const choice = await services.ui.choose(message, [go], { modal: true, severity: 'warning', detail: 'Only go ahead if you know and trust the account these keys belong to.' });
  if (choice !== go) throw new KmsError('ForeignRepositoryKey', `${message} Nothing was encrypted for ${foreign.length > 1 ? 'them' : 'it'}.`);
}
