import * as vscode from 'vscode';
import { registerCommands } from '../commands/commandRunner';
import type { Services } from '../services';
import { ConnectionStatusBar } from '../statusBar/connectionStatusBar';
import { connectionSetupCommands } from '../welcome/connectionSetup';
import { approvalCommands } from '../connections/approvalCommands';
import { isWorkspaceTrusted, onDidChangeWorkspaceTrust } from '../trust/workspaceTrust';
import { KmsTreeProvider, type TreeState } from './kmsTreeProvider';
import { POLICY_SCHEME, PolicyDocuments } from './policyDocuments';
import { treeCommands } from './treeCommands';
import type { TreeNode } from './treeNode';

export const VIEW_ID = 'kmsWorkbench.keys';

/** What integration tests reach through `exports.testing.tree`. */
export interface KmsTreeTesting {
  /** The view's data provider: getChildren / getTreeItem / resolveTreeItem as VS Code calls them. */
  readonly provider: KmsTreeProvider;
  readonly view: vscode.TreeView<TreeNode>;
  /** What the root shows (`welcome` is the welcome view). */
  state(): TreeState;
  /** The status-bar item's text. */
  statusBarText(): string;
  /** The command the "Key policy" node runs. */
  readonly policyCommand: string;
}

/**
 * The KMS view: tree, its commands (refresh, filter, copy, console, policy, load more,
 * retry, sign in), the welcome view's commands (choose profile, add connection, open the
 * AWS config file), the context keys its menus and welcome view read, and the status-bar
 * connection item.
 */
export function registerTree(context: vscode.ExtensionContext, services: Services): KmsTreeTesting {
  const manifest = context.extension.packageJSON as { contributes?: { commands?: { command: string }[] } };
  // The policy editor (a colleague's feature) takes over the "Key policy" node once it is contributed.
  const policyCommand = manifest.contributes?.commands?.some((c) => c.command === 'kmsWorkbench.editKeyPolicy')
    ? 'kmsWorkbench.editKeyPolicy'
    : 'kmsWorkbench.showKeyPolicy';
  const provider = new KmsTreeProvider(services, { policyCommand });
  const view = vscode.window.createTreeView(VIEW_ID, { treeDataProvider: provider, showCollapseAll: true });
  const policies = new PolicyDocuments();
  const statusBar = new ConnectionStatusBar(services, () => provider.state.kind !== 'welcome');

  const applyState = (state: TreeState): void => {
    void vscode.commands.executeCommand('setContext', 'kmsWorkbench.state', state.kind === 'welcome' ? 'noConnections' : state.kind);
    void vscode.commands.executeCommand('setContext', 'kmsWorkbench.hasProfiles', state.hasProfiles === true);
    void vscode.commands.executeCommand('setContext', 'kmsWorkbench.filtered', provider.filter !== undefined);
    void vscode.commands.executeCommand('setContext', 'kmsWorkbench.onlyCustomEndpoints', state.onlyCustomEndpoints === true);
    void vscode.commands.executeCommand('setContext', 'kmsWorkbench.restrictedMode', !isWorkspaceTrusted());
    view.description = provider.filter ? `filter: ${provider.filter.text}` : undefined;
    if (state.kind !== 'loading') statusBar.update();
  };
  applyState(provider.state);

  context.subscriptions.push(
    provider,
    view,
    policies,
    statusBar,
    vscode.workspace.registerTextDocumentContentProvider(POLICY_SCHEME, policies),
    provider.onDidChangeState(applyState),
    onDidChangeWorkspaceTrust(() => applyState(provider.state)),
    services.connections.onDidChange(() => provider.connectionsChanged()),
    services.onDidChangeKey((change) => {
      provider.keyChanged(change).catch((error: unknown) => services.log.error('KMS view: could not refresh after a key change', error));
    }),
  );
  registerCommands(context, services, [...treeCommands(provider, policies, view), ...connectionSetupCommands(), ...approvalCommands()]);

  return {
    provider,
    view,
    state: () => provider.state,
    statusBarText: () => statusBar.text,
    policyCommand,
  };
}
