// The one check every feature makes before using a key it did not get from the person: a
// workspace's kmsWorkbench.defaultKey, a key ARN in a file header, a .sops.yaml creation rule.
// A key in an account the person trusts is used; one in another account is asked about once
// (a modal naming the account and the key; remembered for this workspace and account), and
// refused in scripted calls with an error naming the account and the setting.
import type { Connection } from '../../core/aws/connection';
import { type AccountRef, accountOfKeyRef, describeKeyRef, formatAccount, sameAccount } from '../../core/trust/accounts';
import { refuseChosenKey, TRUSTED_ACCOUNTS_SETTING } from '../../core/trust/keyTrust';
import type { Services } from '../services';
import { UserCancelledError } from '../ui/userInput';

export interface EnsureKeysTrustedOptions {
  /** What named the keys, as the start of a sentence: "The kmsWorkbench.defaultKey setting of this workspace". */
  readonly source: string;
  /** A person is there to be asked; otherwise a key of an untrusted account is refused. */
  readonly interactive: boolean;
  /** The connection the keys would be used through; default the active one. */
  readonly connection?: Connection;
}

export const ALLOW_FOR_WORKSPACE = 'Allow for This Workspace';

/**
 * Resolves when every key in `keyRefs` may be used: bare key ids and alias names (the
 * connection's own account), ARNs of trusted accounts, or accounts the person allows now.
 * Decided from the ARNs alone: nothing is sent to KMS about a key before it is trusted.
 * Throws UntrustedAccountError (scripted) or UserCancelledError (the person declined).
 */
export async function ensureKeysTrusted(
  services: Pick<Services, 'trust' | 'ui' | 'log' | 'connections'>,
  keyRefs: readonly string[],
  options: EnsureKeysTrustedOptions,
): Promise<void> {
  const connection = options.connection ?? (await services.connections.active());
  const asked: AccountRef[] = [];
  for (const ref of keyRefs) {
    const account = accountOfKeyRef(ref);
    if (!account || asked.some((a) => sameAccount(a, account))) continue;
    if (await services.trust.isTrusted(account, connection)) continue;
    // When the connection's own account is unknown (no STS, no key listed), say so: it may be this one.
    const own = await services.trust.accountOf(connection);
    const note = own
      ? ''
      : `(The AWS account of ${connection.label} itself could not be found out: ` +
        'its endpoint answered neither sts:GetCallerIdentity nor ListKeys with a key ARN.)';
    if (!options.interactive) {
      services.log.warn(`Refused ${ref}: ${options.source} names a key in AWS account ${formatAccount(account)}, which is not trusted.`);
      throw refuseChosenKey(options.source, ref, account, note);
    }
    const choice = await services.ui.choose(
      `${options.source} names a key in another AWS account: ${formatAccount(account)}.`,
      [ALLOW_FOR_WORKSPACE],
      {
        modal: true,
        severity: 'warning',
        detail:
          `Key: ${describeKeyRef(ref)}\nAccount: ${formatAccount(account)}\n\nThis account is not one of your ` +
          `connections' accounts, nor in ${TRUSTED_ACCOUNTS_SETTING}. Whoever controls it could read what is ` +
          'encrypted under the key. Allow keys of this account for this workspace? ' +
          `(Add the account to ${TRUSTED_ACCOUNTS_SETTING} in your user settings to trust it ` +
          `everywhere.)${note ? `\n\n${note}` : ''}`,
      },
    );
    if (choice !== ALLOW_FOR_WORKSPACE) throw new UserCancelledError();
    await services.trust.approveForWorkspace(account);
    asked.push(account);
  }
}
