import type * as vscode from 'vscode';
import type { CommandSpec } from '../commands/commandRunner';
import { copyAlias, copyArn, copyKeyId } from './commands/copyCommands';
import { clearFilter, filterKeys } from './commands/filterCommands';
import { openInConsole } from './commands/openInConsole';
import { loadMore, refreshNode, refreshView, retryNode } from './commands/refreshCommands';
import { revealKey } from './commands/revealKey';
import { showKeyPolicy } from './commands/showKeyPolicy';
import { ssoLogin } from './commands/ssoLogin';
import type { KmsTreeProvider } from './kmsTreeProvider';
import type { PolicyDocuments } from './policyDocuments';
import type { TreeNode } from './treeNode';

/** The KMS view's commands (one spec each, under ./commands), in menu order. */
export function treeCommands(tree: KmsTreeProvider, policies: PolicyDocuments, view: vscode.TreeView<TreeNode>): CommandSpec[] {
  const deps = { tree, policies, view };
  return [
    refreshView(deps),
    refreshNode(deps),
    filterKeys(deps),
    clearFilter(deps),
    copyArn(deps),
    copyKeyId(deps),
    copyAlias(deps),
    openInConsole(deps),
    showKeyPolicy(deps),
    loadMore(deps),
    retryNode(deps),
    ssoLogin(),
    revealKey(deps),
  ] as CommandSpec[];
}
