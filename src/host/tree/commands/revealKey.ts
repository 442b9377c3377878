import * as vscode from 'vscode';
import { KmsError } from '../../../core/kms/errors';
import type { CommandSpec } from '../../commands/commandRunner';
import type { KmsTreeProvider } from '../kmsTreeProvider';
import { TreeNode } from '../treeNode';
import type { TreeCommandDeps } from './deps';
import { chooseKey } from './viewKey';

/**
 * Reveals and selects a node. A refresh the view is still applying (after a change the
 * extension made, or pages just loaded) can re-render the folder after the reveal and drop
 * the selection, or not hold the node yet ("Data tree node not found", seen right after Create
 * Key): pending changes are sent first, and the reveal is repeated (up to 3 times, after the
 * view settles again) until the workbench reports the node selected.
 */
async function revealAndSelect(
  view: vscode.TreeView<TreeNode>,
  tree: KmsTreeProvider,
  found: TreeNode,
  findAgain: () => Promise<TreeNode | undefined>,
): Promise<void> {
  let node = found;
  await tree.settled();
  for (let attempt = 1; ; attempt++) {
    const selected = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        listener.dispose();
        resolve(view.selection.includes(node));
      }, 1500);
      const listener = view.onDidChangeSelection((e) => {
        if (!e.selection.includes(node)) return;
        clearTimeout(timer);
        listener.dispose();
        resolve(true);
      });
    });
    let failure: Error | undefined;
    try {
      await view.reveal(node, { select: true, focus: true, expand: false });
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
    }
    if (!failure && (view.selection.includes(node) || (await selected))) return;
    if (attempt === 3) {
      if (failure) throw failure;
      return;
    }
    // Not selected, or not in the view yet: give the view its moment (the 1.5 s above) and its pending changes.
    if (failure) await selected;
    await tree.settled();
    // The folder may have been loaded again meanwhile: reveal the node it holds now.
    if (failure) node = (await findAgain()) ?? node;
  }
}

/** What `kmsWorkbench.revealKey` returns. */
export interface RevealKeyResult {
  readonly keyId: string;
  readonly connection: string;
  /** False when the view's filter hides the key (the filter is kept). */
  readonly revealed: boolean;
}

/**
 * `kmsWorkbench.revealKey` `{ keyId?, connection? }`: shows a key in the KMS view and selects
 * it, loading further pages of its folder as needed (`keyId`: key id, key ARN, alias name or
 * alias ARN; without it, a key picker). Returns `{ keyId, connection, revealed }`; `revealed`
 * is false when the view's filter hides the key.
 */
export function revealKey({ tree, view }: TreeCommandDeps): CommandSpec<RevealKeyResult> {
  return {
    id: 'kmsWorkbench.revealKey',
    action: 'reveal the key in the KMS view',
    run: async (arg, services) => {
      const { key } = await chooseKey('kmsWorkbench.revealKey', arg, services, tree, 'Reveal which key in the KMS view?');
      const metadata = await key.describe();
      const keyId = metadata.KeyId ?? key.keyId;
      await vscode.commands.executeCommand('kmsWorkbench.keys.focus');
      const node = await tree.findKeyNode(key.connection, keyId, metadata.KeyManager === 'AWS');
      if (node) await revealAndSelect(view, tree, node, () => tree.findKeyNode(key.connection, keyId, metadata.KeyManager === 'AWS'));
      else if (!tree.filter)
        throw new KmsError('NotShown', `The KMS view does not show ${key.connection.label}: add it to kmsWorkbench.connections.`);
      else if (arg === undefined || arg instanceof TreeNode) {
        const filter = tree.filter.text;
        void services.ui.choose(`${keyId} is hidden by the KMS view's filter "${filter}".`, ['Clear Filter']).then(
          (choice) => {
            if (choice) void vscode.commands.executeCommand('kmsWorkbench.clearFilter');
          },
          () => undefined, // dismissed
        );
      }
      return { keyId, connection: key.connection.id, revealed: node !== undefined };
    },
  };
}
