// Reads the KMS view the way VS Code does (getChildren, getTreeItem, resolveTreeItem on the
// extension's own provider), and sets the connections the way a person does (settings).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { KmsWorkbenchApi } from '../../../src/extension';
import type { TreeNode } from '../../../src/host/tree/treeNode';
import { activeExtension } from '../util/env';

export type Testing = NonNullable<KmsWorkbenchApi['testing']>;

export async function testing(): Promise<Testing> {
  const api = (await activeExtension()).exports as KmsWorkbenchApi;
  if (!api.testing) throw new Error('The extension exposes no testing API: is the host in test mode?');
  return api.testing;
}

/** One rendered node: the node (a command argument) and what VS Code shows for it. */
export interface Shown {
  readonly node: TreeNode;
  readonly item: vscode.TreeItem;
  readonly label: string;
  readonly description: string;
  readonly contextValue: string;
  readonly icon: string | undefined;
  readonly iconColor: string | undefined;
}

export class TreeDriver {
  constructor(readonly t: Testing) {}

  get provider(): Testing['tree']['provider'] {
    return this.t.tree.provider;
  }

  show(node: TreeNode): Shown {
    const item = this.provider.getTreeItem(node);
    const label = typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
    const icon = item.iconPath instanceof vscode.ThemeIcon ? item.iconPath : undefined;
    return {
      node,
      item,
      label,
      description: typeof item.description === 'string' ? item.description : '',
      contextValue: item.contextValue ?? '',
      icon: icon?.id,
      iconColor: (icon?.color as { id?: string } | undefined)?.id,
    };
  }

  async children(parent?: TreeNode | Shown): Promise<Shown[]> {
    const node = parent && 'node' in parent ? parent.node : parent;
    const nodes = await this.provider.getChildren(node);
    return nodes.map((n) => this.show(n));
  }

  /** The child whose label is `label` (or matches it); fails listing what there is. */
  async child(parent: TreeNode | Shown | undefined, label: string | RegExp): Promise<Shown> {
    const all = await this.children(parent);
    const found = all.find((s) => (typeof label === 'string' ? s.label === label : label.test(s.label)));
    assert.ok(found, `no child ${String(label)}; there are: ${all.map((s) => s.label).join(' | ')}`);
    return found;
  }

  /** Follows a path of labels from the root. */
  async path(...labels: (string | RegExp)[]): Promise<Shown> {
    let current: Shown | undefined;
    for (const label of labels) current = await this.child(current, label);
    assert.ok(current);
    return current;
  }

  async tooltip(shown: Shown): Promise<string> {
    const item = await this.provider.resolveTreeItem(shown.item, shown.node);
    const tooltip = item.tooltip;
    return typeof tooltip === 'string' ? tooltip : (tooltip?.value ?? '');
  }

  /** Waits until describes, searches and batched change events are done. */
  settled(): Promise<void> {
    return this.provider.settled();
  }

  /**
   * Renders a node, lets the work that starts (describing it) finish, and renders it again:
   * what VS Code does when the change event of that work arrives.
   */
  async again(shown: Shown): Promise<Shown> {
    this.show(shown.node);
    await this.settled();
    return this.show(shown.node);
  }

  /** A folder's children once what listing them started (a filter search, describes) is done. */
  async settledChildren(parent: TreeNode | Shown): Promise<Shown[]> {
    await this.children(parent);
    await this.settled();
    return this.children(parent);
  }
}

export interface ConnectionSetting {
  label?: string;
  profile?: string;
  region?: string;
  endpoint?: string;
}

/** Sets `kmsWorkbench.connections` in the user settings and waits until the view shows them. */
export async function setConnections(driver: TreeDriver, connections: ConnectionSetting[]): Promise<void> {
  await vscode.workspace.getConfiguration('kmsWorkbench').update('connections', connections, vscode.ConfigurationTarget.Global);
  const wanted = connections.map((c) => c.label ?? `${c.profile ?? 'environment'} · ${c.region}`);
  await eventually(async () => {
    const roots = await driver.children();
    assert.deepEqual(
      roots.map((r) => r.label),
      wanted,
    );
  }, 'the view to show the new connections');
}

/** Retries `check` until it passes (or fails with its last error after `timeoutMs`). */
export async function eventually(check: () => Promise<void> | void, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      await check();
      return;
    } catch (error) {
      last = error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`Timed out waiting for ${what}: ${last instanceof Error ? last.message : String(last)}`);
}
