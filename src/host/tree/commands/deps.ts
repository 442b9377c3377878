import type * as vscode from 'vscode';
import type { KmsTreeProvider } from '../kmsTreeProvider';
import type { PolicyDocuments } from '../policyDocuments';
import type { TreeNode } from '../treeNode';

/** What the KMS view's commands share beyond Services: the view, its provider and the policy documents. */
export interface TreeCommandDeps {
  readonly tree: KmsTreeProvider;
  readonly policies: PolicyDocuments;
  readonly view: vscode.TreeView<TreeNode>;
}
