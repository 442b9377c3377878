import type { KeyMetadata } from '@aws-sdk/client-kms';
import * as vscode from 'vscode';
import { usageSuffix } from '../inventory/keyUsage';
import type { Connection } from '../../core/aws/connection';
import { KmsError } from '../../core/kms/errors';
import { allowedActions } from '../../core/kms/keyCapabilities';
import { loadRotation, type RotationDetails } from '../../core/tree/keyDetails';
import type { KeyDirectory } from '../../core/tree/keyDirectory';
import { markdownText } from '../../core/text/inertText';
import { keyDescription, keyIcon, keyLabel, keyTooltip } from '../../core/tree/keyPresentation';
import { describeLastUse, type KeyLastUse, loadLastUse } from '../../core/usage/lastUse';
import { keyContextValue } from '../../shared/contextValues';
import type { KeyTarget } from '../targets';
import { TreeNode, type TreeModel } from './treeNode';
import { GrantsNode, KeyAliasesNode, LastUseNode, PolicyNode, ReplicasNode, RotationNode, TagsNode } from './keyDetailNodes';

/**
 * Extra token on a key node's context value (after keyContextValue's) when the key has an
 * alias, so "Copy Alias" is offered only then: `viewItem =~ /^key .*\bhas-alias\b/`.
 */
export const HAS_ALIAS_TOKEN = 'has-alias';

/** The context value of a key node: kind, allowed actions, state, manager, usage, spec, role. */
export function keyNodeContextValue(meta: KeyMetadata | undefined, aliases: readonly string[]): string {
  const base = meta
    ? keyContextValue({
        allowed: allowedActions(meta),
        state: meta.KeyState,
        manager: meta.KeyManager,
        usage: meta.KeyUsage,
        spec: meta.KeySpec,
        multiRegionRole: meta.MultiRegionConfiguration?.MultiRegionKeyType,
      })
    : keyContextValue({ allowed: [] });
  return aliases.length ? `${base} ${HAS_ALIAS_TOKEN}` : base;
}

function icon(choice: { id: string; color?: string }): vscode.ThemeIcon {
  return new vscode.ThemeIcon(choice.id, choice.color ? new vscode.ThemeColor(choice.color) : undefined);
}

/**
 * A key: named by its first alias (else its key id), described (spec and state, icon by
 * state and type, context value from the key-state table) as soon as it is shown.
 */
export class KeyNode extends TreeNode {
  constructor(
    id: string,
    parent: TreeNode,
    readonly model: TreeModel,
    readonly connection: Connection,
    readonly keyId: string,
    private readonly options: { readonly keyArn?: string; readonly inCustomerFolder?: boolean } = {},
  ) {
    super(id, parent);
  }

  get directory(): KeyDirectory {
    return this.model.directory(this.connection);
  }

  get aliases(): readonly string[] {
    return this.directory.peekAliases()?.aliasesOf(this.keyId) ?? [];
  }

  get metadata(): KeyMetadata | undefined {
    return this.directory.peekMetadata(this.keyId);
  }

  override get target(): KeyTarget {
    return { kind: 'key', connection: this.connection, keyId: this.keyId, metadata: this.metadata, aliases: this.aliases };
  }

  /** For the tree's index of key nodes (refresh one key everywhere it is shown). */
  keyRef(): { connectionId: string; keyId: string } {
    return { connectionId: this.connection.id, keyId: this.keyId };
  }

  treeItem(): vscode.TreeItem {
    const dir = this.directory;
    const meta = dir.peekMetadata(this.keyId);
    const failure = dir.describeFailure(this.keyId);
    // Described lazily: only keys VS Code renders get a DescribeKey (through the limiter).
    if (!meta && failure === undefined) dir.prefetch([this.keyId]);
    if (meta?.KeyManager === 'AWS' && this.options.inCustomerFolder && this.parent) this.model.changed(this.parent);
    const aliases = this.aliases;
    const t = new vscode.TreeItem(keyLabel(this.keyId, aliases), vscode.TreeItemCollapsibleState.Collapsed);
    t.id = this.id;
    // How many workspace files are encrypted under the key (the Workspace Secrets inventory).
    t.description = [keyDescription(meta, failure), usageSuffix(this.keyId)].filter(Boolean).join(' · ');
    t.iconPath = icon(keyIcon(meta, failure));
    t.contextValue = keyNodeContextValue(meta, aliases);
    return t;
  }

  /** The tooltip: describes the key now if it is not yet, and reads its rotation status. */
  override async resolve(item: vscode.TreeItem): Promise<vscode.TreeItem> {
    const dir = this.directory;
    const meta = await dir.describe(this.keyId, { urgent: true }).catch(() => undefined);
    let rotation: RotationDetails['status'] | { unavailable: string } | undefined;
    if (meta && allowedActions(meta).includes('viewRotation')) {
      rotation = await this.rotation().then(
        (r) => r.status,
        (error: unknown) => ({
          unavailable: error instanceof KmsError && error.notSupported ? 'not supported by this endpoint' : 'unknown',
        }),
      );
    }
    const lastUse = meta ? await this.lastUse().catch(() => undefined) : undefined;
    const lastUseText = lastUse ? describeLastUse(lastUse) : undefined;
    const md = new vscode.MarkdownString(
      keyTooltip({
        keyId: this.keyId,
        keyArn: this.options.keyArn,
        aliases: this.aliases,
        metadata: meta,
        failure: dir.describeFailure(this.keyId),
        rotation,
      }) +
        // An endpoint that does not track last use shows nothing here.
        (lastUseText ? `\n- Last used: ${markdownText(lastUseText)}` : ''),
    );
    item.tooltip = md;
    return item;
  }

  /** GetKeyLastUsage, cached with the key's other details (`tracked: false` where the endpoint lacks it). */
  lastUse(): Promise<KeyLastUse> {
    const gateway = this.model.services.kms.gateway(this.connection);
    return this.directory.detail(this.keyId, 'lastUse', () => loadLastUse(gateway, this.keyId));
  }

  rotation(): Promise<RotationDetails> {
    const gateway = this.model.services.kms.gateway(this.connection);
    return this.directory.detail(this.keyId, 'rotation', () => loadRotation(gateway, this.keyId));
  }

  override async getChildren(): Promise<TreeNode[]> {
    const meta = await this.directory.describe(this.keyId, { urgent: true });
    const lastUse = this.lastUse().then(
      (use) => ({ use }),
      (error: unknown) => ({ error }),
    );
    const children: TreeNode[] = [
      this.model.node(`${this.id}/aliases`, () => new KeyAliasesNode(this)),
      this.model.node(`${this.id}/grants`, () => new GrantsNode(this)),
      this.model.node(`${this.id}/policy`, () => new PolicyNode(this)),
      this.model.node(`${this.id}/tags`, () => new TagsNode(this)),
    ];
    if (allowedActions(meta).includes('viewRotation')) children.push(this.model.node(`${this.id}/rotation`, () => new RotationNode(this)));
    if (meta.MultiRegion) children.push(this.model.node(`${this.id}/replicas`, () => new ReplicasNode(this)));
    // Last: the key's last use (GetKeyLastUsage); nothing where the endpoint does not track it.
    const used = await lastUse;
    if ('error' in used || used.use.tracked) children.push(new LastUseNode(this, used));
    return children;
  }

  /** Forgets what is known about the key and re-reads its aliases (one ListAliases call), then shows it again. */
  override reload(): void {
    this.directory.refreshKey(this.keyId).then(
      () => this.model.changed(this),
      () => this.model.changed(this),
    );
  }
}
