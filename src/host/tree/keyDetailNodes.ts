// The nodes under a key in the KMS view: its last use, aliases, grants, policy, tags, rotation
// and replicas, each acting on that key (see KeyNode in keyNodes.ts).
import type { AliasListEntry, GrantListEntry } from '@aws-sdk/client-kms';
import * as vscode from 'vscode';
import type { Connection } from '../../core/aws/connection';
import { allowedActions } from '../../core/kms/keyCapabilities';
import { isAwsAlias, shortAliasName } from '../../core/tree/aliasIndex';
import { section } from '../../core/tree/keyDetails';
import type { KeyDirectory } from '../../core/tree/keyDirectory';
import { inertLine, markdownCode, markdownText } from '../../core/text/inertText';
import {
  aliasTargetText,
  formatTimestamp,
  grantFacts,
  grantLabel,
  grantTooltip,
  rotationFacts,
  rotationHistoryEntry,
  rotationSummary,
} from '../../core/tree/keyPresentation';
import type { PagedList } from '../../core/tree/pagedList';
import { describeLastUse, type KeyLastUse } from '../../core/usage/lastUse';
import { NodeKind } from '../../shared/contextValues';
import type { AliasTarget, GrantTarget, KeyTarget, Target } from '../targets';
import {
  asError,
  emptyNode,
  InfoNode,
  LeafNode,
  LoadMoreNode,
  NotSupportedNode,
  type Pageable,
  TreeNode,
  type TreeModel,
} from './treeNode';
import type { KeyNode } from './keyNodes';

/** Extra token on the Key policy node's context value when the policy can be edited (menus: `viewItem =~ /^policy can-editPolicy\b/`). */
export const POLICY_EDITABLE_TOKEN = 'can-editPolicy';

/** Everything under a key acts on that key. */
abstract class UnderKeyNode extends TreeNode {
  constructor(
    id: string,
    readonly keyNode: KeyNode,
    parent: TreeNode,
  ) {
    super(id, parent);
  }

  override get target(): Target | undefined {
    return this.keyNode.target;
  }

  protected get model(): TreeModel {
    return this.keyNode.model;
  }

  protected get directory(): KeyDirectory {
    return this.keyNode.directory;
  }

  protected get keyId(): string {
    return this.keyNode.keyId;
  }
}

/** A folder under a key whose description (a count, a summary) is known once it has loaded. */
abstract class KeyFolderNode extends UnderKeyNode {
  private shownDescription: string | undefined;
  protected description: string | undefined;

  /** Sets the description; re-renders the node when it changed since it was drawn. */
  protected describeAs(text: string | undefined): void {
    this.description = text;
    if (text !== this.shownDescription) this.model.changed(this);
  }

  protected folderItem(label: string, iconId: string, kind: NodeKind): vscode.TreeItem {
    const t = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Collapsed);
    t.id = this.id;
    t.description = this.description;
    this.shownDescription = this.description;
    t.contextValue = kind;
    t.iconPath = new vscode.ThemeIcon(iconId);
    return t;
  }
}

/** "Last used: Encrypt, 3 hours ago": a detail row under a key (absent where the endpoint does not track it). */
export class LastUseNode extends LeafNode {
  constructor(
    private readonly keyNode: KeyNode,
    private readonly loaded: { readonly use: KeyLastUse } | { readonly error: unknown },
  ) {
    super(`${keyNode.id}/lastUse`, keyNode);
  }

  override get target(): Target | undefined {
    return this.keyNode.target;
  }

  treeItem(): vscode.TreeItem {
    const t = new vscode.TreeItem('Last used', vscode.TreeItemCollapsibleState.None);
    t.id = this.id;
    t.contextValue = NodeKind.Info;
    t.iconPath = new vscode.ThemeIcon('history');
    if ('error' in this.loaded) {
      t.description = 'unknown';
      t.tooltip = `Could not read the last use: ${asError(this.loaded.error).message}`;
      return t;
    }
    const use = this.loaded.use;
    t.description = describeLastUse(use);
    const md = new vscode.MarkdownString();
    md.appendText(`Last cryptographic use (GetKeyLastUsage): ${t.description ?? ''}.`);
    if (!use.time && use.mayHaveBeenUsedBefore)
      md.appendText(' The key is older than the tracking, so an earlier use would not show: look in CloudTrail (Show Key Usage).');
    md.appendText(' Tracking can lag about an hour.');
    t.tooltip = md;
    t.command = { command: 'kmsWorkbench.showKeyUsage', title: 'Show Key Usage', arguments: [this.keyNode] };
    return t;
  }
}

/** The aliases of one key (from the region's alias index: no call of its own). */
export class KeyAliasesNode extends KeyFolderNode {
  constructor(keyNode: KeyNode) {
    super(`${keyNode.id}/aliases`, keyNode, keyNode);
  }

  treeItem(): vscode.TreeItem {
    const count = this.keyNode.directory.peekAliases()?.aliasesOf(this.keyId).length;
    this.description = count === undefined ? undefined : String(count);
    return this.folderItem('Aliases', 'link', NodeKind.KeyAliases);
  }

  override async getChildren(): Promise<TreeNode[]> {
    const index = await this.directory.aliases();
    const names = index.aliasesOf(this.keyId);
    if (!names.length) return [emptyNode(this, 'No aliases')];
    return names.map((name) =>
      this.model.node(
        `${this.id}/${name}`,
        () =>
          new AliasNode(
            `${this.id}/${name}`,
            this,
            this.model,
            this.keyNode.connection,
            index.find(name) ?? { AliasName: name, TargetKeyId: this.keyId },
            true,
          ),
      ),
    );
  }

  override refreshOwner(): TreeNode {
    return this.keyNode;
  }
}

/** An alias: under the connection's Aliases folder (with its target) or under its key. */
export class AliasNode extends LeafNode {
  constructor(
    id: string,
    parent: TreeNode,
    private readonly model: TreeModel,
    readonly connection: Connection,
    readonly entry: AliasListEntry,
    private readonly underKey: boolean,
  ) {
    super(id, parent);
  }

  get aliasName(): string {
    return this.entry.AliasName ?? '';
  }

  /** For the tree's index of key nodes: shown again when its target key has been described. */
  keyRef(): { connectionId: string; keyId: string } | undefined {
    return this.entry.TargetKeyId ? { connectionId: this.connection.id, keyId: this.entry.TargetKeyId } : undefined;
  }

  override get target(): AliasTarget {
    return { kind: 'alias', connection: this.connection, aliasName: this.aliasName, targetKeyId: this.entry.TargetKeyId };
  }

  treeItem(): vscode.TreeItem {
    const aws = isAwsAlias(this.aliasName);
    const t = new vscode.TreeItem(inertLine(shortAliasName(this.aliasName)), vscode.TreeItemCollapsibleState.None);
    t.id = this.id;
    const keyId = this.entry.TargetKeyId;
    const directory = this.model.directory(this.connection);
    const otherAliases = keyId ? (directory.peekAliases()?.aliasesOf(keyId) ?? []).filter((a) => a !== this.aliasName) : [];
    const meta = keyId ? directory.peekMetadata(keyId) : undefined;
    if (!this.underKey) {
      // The target is named by another alias, else its description: described lazily (the limiter), then shown again.
      if (keyId && !otherAliases.length && !meta && directory.describeFailure(keyId) === undefined) directory.prefetch([keyId]);
      t.description = aliasTargetText(this.aliasName, { keyId, aliases: otherAliases, description: meta?.Description });
    }
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${markdownText(this.aliasName)}**\n\n`);
    if (this.entry.AliasArn) md.appendMarkdown(`- ARN: ${markdownCode(this.entry.AliasArn)}\n`);
    md.appendMarkdown(`- Key: ${keyId ? markdownCode(keyId) : 'none yet'}\n`);
    if (meta?.Description) md.appendMarkdown(`- Key description: ${markdownText(meta.Description)}\n`);
    if (otherAliases.length) md.appendMarkdown(`- Other aliases of the key: ${otherAliases.map((a) => markdownCode(a)).join(', ')}\n`);
    md.appendMarkdown(`- Managed by: ${aws ? 'AWS' : 'customer'}\n`);
    if (this.entry.CreationDate) md.appendMarkdown(`- Created: ${formatTimestamp(this.entry.CreationDate)}\n`);
    if (this.entry.LastUpdatedDate) md.appendMarkdown(`- Last updated: ${formatTimestamp(this.entry.LastUpdatedDate)}\n`);
    t.tooltip = md;
    t.contextValue = aws ? `${NodeKind.Alias} aws-managed` : NodeKind.Alias;
    t.iconPath = new vscode.ThemeIcon('link', aws ? new vscode.ThemeColor('descriptionForeground') : undefined);
    return t;
  }
}

/** The key's grants, page by page. */
export class GrantsNode extends KeyFolderNode implements Pageable {
  readonly pageNoun = 'grants';

  constructor(keyNode: KeyNode) {
    super(`${keyNode.id}/grants`, keyNode, keyNode);
  }

  private get list(): PagedList<GrantListEntry> {
    const gateway = this.model.services.kms.gateway(this.keyNode.connection);
    return this.directory.pagedDetail(this.keyId, 'grants', (marker) => gateway.listGrantsPage(this.keyId, marker));
  }

  treeItem(): vscode.TreeItem {
    return this.folderItem('Grants', 'account', NodeKind.Grants);
  }

  override async getChildren(): Promise<TreeNode[]> {
    const list = this.list;
    const loaded = await section(() => list.first());
    if (loaded.kind === 'notSupported') {
      this.describeAs('not supported by this endpoint');
      return [new NotSupportedNode(this, 'Grants', loaded.message)];
    }
    if (loaded.kind === 'failed') throw asError(loaded.error);
    this.describeAs(`${list.items.length}${list.hasMore ? '+' : ''}`);
    const nodes: TreeNode[] = list.items.map((grant, i) => {
      const id = `${this.id}/${grant.GrantId ?? `#${i}`}`;
      return this.model.node(id, () => new GrantNode(id, this, this.keyNode, grant));
    });
    if (!nodes.length) nodes.push(emptyNode(this, 'No grants'));
    if (list.hasMore) nodes.push(new LoadMoreNode(this, this.model));
    return nodes;
  }

  loadMore(): Promise<void> {
    return this.list.loadMore();
  }

  shownCount(): number {
    return this.list.items.length;
  }

  override reload(): void {
    this.directory.forgetDetail(this.keyId, 'grants');
  }
}

/** A grant: who may do what, under which constraints; its facts are its children. */
export class GrantNode extends LeafNode {
  constructor(
    id: string,
    parent: TreeNode,
    private readonly keyNode: KeyNode,
    readonly grant: GrantListEntry,
  ) {
    super(id, parent);
  }

  override get target(): GrantTarget {
    return { kind: 'grant', connection: this.keyNode.connection, keyId: this.keyNode.keyId, grant: this.grant };
  }

  treeItem(): vscode.TreeItem {
    const { label, description } = grantLabel(this.grant);
    const t = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Collapsed);
    t.id = this.id;
    t.description = description;
    t.tooltip = new vscode.MarkdownString(grantTooltip(this.grant));
    t.contextValue = NodeKind.Grant;
    t.iconPath = new vscode.ThemeIcon('person');
    return t;
  }

  override getChildren(): Promise<TreeNode[]> {
    return Promise.resolve(
      grantFacts(this.grant).map(
        (fact) =>
          new InfoNode(`${this.id}/${fact.label}`, this, {
            label: fact.label,
            description: fact.value,
            tooltip: `${fact.label}: ${fact.value}`,
            icon: fact.icon,
            target: this.target,
          }),
      ),
    );
  }
}

/**
 * "Key policy": opens the policy (the policy editor for a customer managed key, read-only JSON
 * for an AWS managed key). No "default" beside it: that is the only name a key policy can have
 * (the tooltip says so), and read as "the default policy" it misleads once the policy is edited.
 */
export class PolicyNode extends UnderKeyNode {
  override refreshOwner(): TreeNode {
    return this.keyNode;
  }

  constructor(keyNode: KeyNode) {
    super(`${keyNode.id}/policy`, keyNode, keyNode);
  }

  treeItem(): vscode.TreeItem {
    const meta = this.keyNode.metadata;
    // Before DescribeKey has answered, the alias index says whether AWS manages the key.
    const awsManaged = meta ? meta.KeyManager === 'AWS' : (this.keyNode.directory.peekAliases()?.isAwsManaged(this.keyNode.keyId) ?? false);
    // Menus offer Edit Key Policy or Show Key Policy (Read-Only), never both: `policy can-editPolicy` or `policyReadOnly`.
    const editable = !awsManaged && (meta === undefined || allowedActions(meta).includes('editPolicy'));
    const t = new vscode.TreeItem('Key policy', vscode.TreeItemCollapsibleState.None);
    t.id = this.id;
    t.description = awsManaged ? 'read-only (AWS managed)' : undefined;
    t.tooltip = awsManaged
      ? 'Show the key policy (read-only: AWS manages the policies of AWS managed keys)'
      : 'Open the key policy in the policy editor (a key has exactly one key policy; KMS names it "default" whatever it says)';
    t.contextValue = editable ? `${NodeKind.Policy} ${POLICY_EDITABLE_TOKEN}` : NodeKind.PolicyReadOnly;
    t.iconPath = new vscode.ThemeIcon('law');
    const command = editable ? this.model.policyCommand : 'kmsWorkbench.showKeyPolicy';
    t.command = { command, title: 'Open Key Policy', arguments: [this] };
    return t;
  }
}

/** The key's tags. */
export class TagsNode extends KeyFolderNode {
  constructor(keyNode: KeyNode) {
    super(`${keyNode.id}/tags`, keyNode, keyNode);
  }

  treeItem(): vscode.TreeItem {
    return this.folderItem('Tags', 'tag', NodeKind.Tags);
  }

  override async getChildren(): Promise<TreeNode[]> {
    const loaded = await section(() => this.directory.tags(this.keyId));
    if (loaded.kind === 'notSupported') {
      this.describeAs('not supported by this endpoint');
      return [new NotSupportedNode(this, 'Tags', loaded.message)];
    }
    if (loaded.kind === 'failed') throw asError(loaded.error);
    const tags = loaded.value;
    this.describeAs(String(tags.length));
    if (!tags.length) return [emptyNode(this, 'No tags')];
    return tags.map(
      (tag) =>
        new InfoNode(`${this.id}/${tag.TagKey ?? ''}`, this, {
          label: tag.TagKey ?? '',
          description: tag.TagValue ?? '',
          tooltip: `${tag.TagKey ?? ''} = ${tag.TagValue ?? ''}`,
          icon: 'tag',
          kind: NodeKind.Tag,
          target: this.target,
        }),
    );
  }

  override reload(): void {
    this.directory.forgetDetail(this.keyId, 'tags');
  }
}

/** Rotation: on/off, period, next date, on-demand rotation, and the history of rotations. */
export class RotationNode extends KeyFolderNode {
  constructor(keyNode: KeyNode) {
    super(`${keyNode.id}/rotation`, keyNode, keyNode);
  }

  treeItem(): vscode.TreeItem {
    return this.folderItem('Rotation', 'history', NodeKind.Rotation);
  }

  override async getChildren(): Promise<TreeNode[]> {
    const loaded = await section(() => this.keyNode.rotation());
    if (loaded.kind === 'notSupported') {
      this.describeAs('not supported by this endpoint');
      return [new NotSupportedNode(this, 'Rotation', loaded.message)];
    }
    if (loaded.kind === 'failed') throw asError(loaded.error);
    const { status, history, historyTruncated } = loaded.value;
    this.describeAs(rotationSummary(status));
    const nodes: TreeNode[] = rotationFacts(status).map(
      (f) => new InfoNode(`${this.id}/${f.label}`, this, { label: f.label, description: f.value, icon: f.icon, target: this.target }),
    );
    if (history.kind === 'notSupported') {
      nodes.push(new NotSupportedNode(this, 'Rotation history', history.message));
    } else if (history.kind === 'failed') {
      const message = history.error instanceof Error ? history.error.message : String(history.error);
      nodes.push(
        new InfoNode(`${this.id}/historyError`, this, {
          label: 'Rotation history could not be read',
          description: message,
          tooltip: message,
          icon: 'warning',
          iconColor: 'list.warningForeground',
          kind: NodeKind.Error,
        }),
      );
    } else if (!history.value.length) {
      nodes.push(
        new InfoNode(`${this.id}/noHistory`, this, {
          label: 'No rotations yet',
          kind: NodeKind.Empty,
          icon: 'info',
          iconColor: 'descriptionForeground',
        }),
      );
    } else {
      history.value.forEach((entry, i) => {
        const { label, description } = rotationHistoryEntry(entry);
        nodes.push(
          new InfoNode(`${this.id}/history/${i}`, this, { label: `Rotated ${label}`, description, icon: 'history', target: this.target }),
        );
      });
      if (historyTruncated)
        nodes.push(
          new InfoNode(`${this.id}/historyMore`, this, { label: 'Older rotations not shown', kind: NodeKind.Info, icon: 'ellipsis' }),
        );
    }
    return nodes;
  }

  override reload(): void {
    this.directory.forgetDetail(this.keyId, 'rotation');
  }
}

/** The regions of a multi-Region key: its primary and replicas (from DescribeKey). */
export class ReplicasNode extends KeyFolderNode {
  constructor(keyNode: KeyNode) {
    super(`${keyNode.id}/replicas`, keyNode, keyNode);
  }

  treeItem(): vscode.TreeItem {
    const config = this.keyNode.metadata?.MultiRegionConfiguration;
    this.description = config
      ? `${(config.ReplicaKeys ?? []).length} replica${(config.ReplicaKeys ?? []).length === 1 ? '' : 's'}`
      : undefined;
    return this.folderItem('Replicas', 'globe', NodeKind.Replicas);
  }

  override async getChildren(): Promise<TreeNode[]> {
    const meta = await this.directory.describe(this.keyId, { urgent: true });
    const config = meta.MultiRegionConfiguration;
    const regions = [
      ...(config?.PrimaryKey?.Region ? [{ region: config.PrimaryKey.Region, arn: config.PrimaryKey.Arn, role: 'primary' }] : []),
      ...(config?.ReplicaKeys ?? []).flatMap((r) => (r.Region ? [{ region: r.Region, arn: r.Arn, role: 'replica' }] : [])),
    ];
    if (!regions.length) return [emptyNode(this, 'No replicas')];
    const here = this.keyNode.connection;
    return regions.map(({ region, arn, role }) => {
      const connection = region === here.region ? here : inRegion(here, region);
      const target: KeyTarget = { kind: 'key', connection, keyId: this.keyId };
      return new InfoNode(`${this.id}/${region}`, this, {
        label: region,
        description: `${role}${region === here.region ? ' · this key' : ''}`,
        tooltip: arn ?? region,
        icon: 'globe',
        kind: NodeKind.Replica,
        target,
      });
    });
  }
}

/** The same profile and endpoint in another region (for a replica of a multi-Region key). */
export function inRegion(connection: Connection, region: string): Connection {
  return {
    ...connection,
    id: [connection.profile ?? '$env', region, connection.endpoint ?? ''].join('|'),
    label: `${connection.profile ?? 'environment'} · ${region}`,
    region,
  };
}
