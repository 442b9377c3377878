import { Args } from '../../../core/args/readArgs';
import { KmsError } from '../../../core/kms/errors';
import type { CommandSpec } from '../../commands/commandRunner';
import { connectionNodeId } from '../connectionNodes';
import { ErrorNode, LoadMoreNode, TreeNode } from '../treeNode';
import type { TreeCommandDeps } from './deps';
import { keyFields } from './viewKey';

/** `kmsWorkbench.refreshView`: reloads the whole KMS view (and re-reads settings and AWS config files). No arguments; returns nothing. */
export function refreshView({ tree }: TreeCommandDeps): CommandSpec<void> {
  return {
    id: 'kmsWorkbench.refreshView',
    action: 'refresh the KMS view',
    run: (arg) => {
      Args.from('kmsWorkbench.refreshView', arg, []);
      tree.refreshAll();
      return Promise.resolve();
    },
  };
}

/**
 * `kmsWorkbench.refreshNode` `{ connection?, keyId? }`: refreshes a node of the view (from
 * its menu), or a key (`keyId`) or a connection; with neither, the whole view. Returns nothing.
 */
export function refreshNode({ tree }: TreeCommandDeps): CommandSpec<void> {
  return {
    id: 'kmsWorkbench.refreshNode',
    action: 'refresh',
    run: async (arg, services) => {
      if (arg instanceof TreeNode) {
        tree.refreshNode(arg);
        return;
      }
      const args = Args.from('kmsWorkbench.refreshNode', arg, keyFields);
      const ref = args.string('connection', 'a connection label or id');
      const keyId = args.string('keyId', 'a key id');
      if (ref === undefined && keyId === undefined) {
        tree.refreshAll();
        return;
      }
      const connection = await services.connections.find(ref);
      if (keyId) await tree.keyChanged({ connectionId: connection.id, keyId });
      else tree.resetConnection(connection);
    },
  };
}

/**
 * `kmsWorkbench.loadMore` `{ connection?, folder }`: loads the next page under a "Load
 * more" node, or of a connection's folder (`customerKeys`, `awsKeys` or `aliases`).
 * Returns how many entries the folder shows now.
 */
export function loadMore({ tree }: TreeCommandDeps): CommandSpec<number> {
  return {
    id: 'kmsWorkbench.loadMore',
    action: 'load more',
    run: async (arg, services) => {
      if (arg instanceof LoadMoreNode) {
        await arg.load().catch(() => undefined); // the failure shows in the tree, under the folder
        return arg.owner.shownCount();
      }
      const args = Args.from('kmsWorkbench.loadMore', arg, ['connection', 'folder']);
      const folder = args.oneOf('folder', ['customerKeys', 'awsKeys', 'aliases'] as const);
      if (!folder)
        throw new KmsError(
          'InvalidArgument',
          'kmsWorkbench.loadMore needs "folder": customerKeys, awsKeys or aliases (or a "Load more" node).',
        );
      const connection = await services.connections.find(args.string('connection', 'a connection label or id'));
      const id = `${connectionNodeId(connection)}/${{ customerKeys: 'customer', awsKeys: 'aws', aliases: 'aliases' }[folder]}`;
      const node = tree.nodeById(id);
      if (!node || !('loadMore' in node))
        throw new KmsError('InvalidArgument', `Open the "${folder}" folder of ${connection.label} in the KMS view first.`);
      const pageable = node as TreeNode & { loadMore(): Promise<void>; shownCount(): number };
      await pageable.loadMore();
      tree.changed(node);
      await tree.getChildren(node);
      return pageable.shownCount();
    },
  };
}

/** `kmsWorkbench.retryNode` `{ connection? }`: retries what failed under an error node; scripted, reloads a connection (or everything). */
export function retryNode({ tree }: TreeCommandDeps): CommandSpec<void> {
  return {
    id: 'kmsWorkbench.retryNode',
    action: 'retry',
    run: async (arg, services) => {
      if (arg instanceof ErrorNode) {
        arg.retry();
        return;
      }
      const args = Args.from('kmsWorkbench.retryNode', arg, ['connection']);
      const ref = args.string('connection', 'a connection label or id');
      if (ref === undefined) tree.refreshAll();
      else tree.resetConnection(await services.connections.find(ref));
    },
  };
}
