import * as vscode from 'vscode';
import { accountOfKeyRef } from '../../core/trust/accounts';
import type { Connection } from '../../core/aws/connection';
import type { KeyDirectory } from '../../core/tree/keyDirectory';
import { type CommandSpec, registerCommands } from '../commands/commandRunner';
import type { Services } from '../services';
import { onDidChangeWorkspaceTrust } from '../trust/workspaceTrust';
import {
  installPreCommitHook,
  type InventoryDeps,
  listWorkspaceSecrets,
  reEncryptFiles,
  refreshWorkspaceSecrets,
  SecretsCodeActions,
  uninstallPreCommitHook,
} from './inventoryCommands';
import { KnownKeys } from './knownKeys';
import { onDidChangeWorkspaceUsage } from './keyUsage';
import { SECRETS_VIEW_ID, type SecretsNode, SecretsViewProvider } from './secretsView';
import { WorkspaceSecrets } from './workspaceSecrets';

/** What integration tests reach through `exports.testing.inventory`. */
export interface InventoryTesting {
  readonly secrets: WorkspaceSecrets;
  readonly provider: SecretsViewProvider;
  readonly view: vscode.TreeView<SecretsNode>;
  /** Write faults of the re-key (`undefined` clears). */
  setWriteFaults(faults: InventoryDeps['writeFaults']): void;
}

/**
 * The workspace secrets: the "Workspace secrets" view, its index and Problems entries, the
 * quick fixes, re-keying many files, and the pre-commit hook commands. Key state is looked up
 * through the KMS tree's key directories (`directoryFor`), in the user's connections only.
 */
export function registerInventory(
  context: vscode.ExtensionContext,
  services: Services,
  options: { directoryFor: (c: Connection) => KeyDirectory; keyUsageChanged: () => void },
): InventoryTesting {
  const known = new KnownKeys(
    () => services.connections.connections(),
    options.directoryFor,
    async (ref, connection) => {
      const account = accountOfKeyRef(ref);
      return account ? services.trust.isTrusted(account, connection) : true;
    },
  );
  const secrets = new WorkspaceSecrets(services, known);
  const provider = new SecretsViewProvider(secrets);
  const view = vscode.window.createTreeView(SECRETS_VIEW_ID, { treeDataProvider: provider, canSelectMany: true, showCollapseAll: true });
  const deps: InventoryDeps = { secrets, workspaceState: context.workspaceState };
  const describe = (): void => {
    const s = secrets.state;
    view.message = s.kind === 'ready' && s.truncated ? 'Only the first 200,000 files were looked at.' : undefined;
    view.description = s.kind === 'scanning' ? `${s.done}/${s.total}` : undefined;
  };
  context.subscriptions.push(
    secrets,
    view,
    secrets.onDidChange(() => {
      provider.refresh();
      describe();
    }),
    vscode.languages.registerCodeActionsProvider({ scheme: 'file' }, new SecretsCodeActions(), {
      providedCodeActionKinds: SecretsCodeActions.kinds,
    }),
    // In Restricted Mode the scan still runs (reading files is harmless); key look-ups use only the user's connections.
    onDidChangeWorkspaceTrust(() => void secrets.resolveKeys()),
    onDidChangeWorkspaceUsage(options.keyUsageChanged),
  );
  registerCommands(context, services, [
    reEncryptFiles(deps),
    refreshWorkspaceSecrets(deps),
    listWorkspaceSecrets(deps),
    installPreCommitHook(),
    uninstallPreCommitHook(),
  ] as CommandSpec[]);
  void secrets.rescan();
  return {
    secrets,
    provider,
    view,
    setWriteFaults: (faults) => {
      (deps as { writeFaults?: InventoryDeps['writeFaults'] }).writeFaults = faults;
    },
  };
}
