import * as vscode from 'vscode';
import { Args } from '../../core/args/readArgs';
import type { KmsGateway } from '../../core/kms/gateway';
import { describeLastUse, type KeyLastUse, lastUseWarning, loadLastUse } from '../../core/usage/lastUse';
import type { CommandSpec } from '../commands/commandRunner';
import { isScripted } from '../keyCommands/commandArgs';
import { notify } from '../keyCommands/output';
import { KEY_FIELDS, resolveKey } from '../keyCommands/resolveKey';

const SHOW_LAST_USAGE = 'kmsWorkbench.showKeyLastUsage';

/** How long a confirmation waits for GetKeyLastUsage before saying the last use is unknown. */
const CONFIRMATION_LOOKUP_MS = 8_000;

/**
 * `kmsWorkbench.showKeyLastUsage` `{ keyId, connection? }`: when the key was last used for a
 * cryptographic operation, and for which (GetKeyLastUsage). Returns `{ operation?, time?,
 * tracked, trackingStartDate?, mayHaveBeenUsedBefore? }`; `tracked: false` when the endpoint
 * does not report last use (LocalStack, moto…). Called from the tree or the palette it also
 * shows the answer in a notification.
 */
export const showKeyLastUsage: CommandSpec<KeyLastUse> = {
  id: SHOW_LAST_USAGE,
  action: 'read when the key was last used',
  run: async (arg, services) => {
    const args = Args.from(SHOW_LAST_USAGE, arg, KEY_FIELDS);
    const key = await resolveKey(arg, args, services, { title: 'Show key last use', includeAwsManaged: true });
    const use = await loadLastUse(key.gateway, key.keyId);
    if (!isScripted(arg)) {
      const text = describeLastUse(use);
      notify(
        text
          ? `${key.label}: ${text}.${use.mayHaveBeenUsedBefore && !use.time ? ' The key is older than the tracking: an earlier use would not show.' : ''}`
          : `${key.label}: this endpoint does not report when a key was last used.`,
        {
          title: 'Show Key Usage',
          run: () => vscode.commands.executeCommand('kmsWorkbench.showKeyUsage', { keyId: key.keyId, connection: key.connection.id }),
        },
      );
    }
    return use;
  },
};

/**
 * The last-use paragraph of a Disable or Schedule Deletion confirmation. Never throws: a
 * failure (access denied, timeout) becomes "unknown (<reason>)".
 */
export async function lastUseParagraph(gateway: KmsGateway, keyId: string, action: 'disable' | 'delete'): Promise<string> {
  try {
    const use = await loadLastUse(gateway, keyId, { abortSignal: AbortSignal.timeout(CONFIRMATION_LOOKUP_MS) });
    return lastUseWarning(use, action);
  } catch (error) {
    return lastUseWarning({ problem: error instanceof Error ? error.message : String(error) }, action);
  }
}
