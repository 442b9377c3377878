import type { AliasListEntry, GrantListEntry, KeyMetadata } from '@aws-sdk/client-kms';
import * as vscode from 'vscode';
import { usageSuffix } from '../inventory/keyUsage';
import type { Connection } from '../../core/aws/connection';
import { KmsError } from '../../core/kms/errors';
import { allowedActions, explainRefusal } from '../../core/kms/keyCapabilities';
import { isAwsAlias, shortAliasName } from '../../core/tree/aliasIndex';
import { loadRotation, section, type RotationDetails } from '../../core/tree/keyDetails';
import type { KeyDirectory } from '../../core/tree/keyDirectory';
import { inertLine, markdownCode, markdownText } from '../../core/text/inertText';
import {
  formatTimestamp,
  grantFacts,
  grantLabel,
  grantTooltip,
  keyDescription,
  keyIcon,
  keyLabel,
  keyTooltip,
  rotationFacts,
  rotationHistoryEntry,
  rotationSummary,
} from '../../core/tree/keyPresentation';
import type { PagedList } from '../../core/tree/pagedList';
import { describeLastUse, type KeyLastUse, loadLastUse } from '../../core/usage/lastUse';
import { keyContextValue, NodeKind } from '../../shared/contextValues';
import type { AliasTarget, GrantTarget, KeyTarget, Target } from '../targets';
import { asError, emptyNode, InfoNode, LeafNode, LoadMoreNode, NotSupportedNode, type Pageable, TreeNode, type TreeModel } from './treeNode';

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
        (error: unknown) => ({ unavailable: error instanceof KmsError && error.notSupported ? 'not supported by this endpoint' : 'unknown' }),
      );
    }
    const lastUse = meta ? await this.lastUse().catch(() => undefined) : undefined;
    const lastUseText = lastUse ? describeLastUse(lastUse) : undefined;
    const md = new vscode.MarkdownString(
      keyTooltip({ keyId: this.keyId, keyArn: this.options.keyArn, aliases: this.aliases, metadata: meta, failure: dir.describeFailure(this.keyId), rotation }) +
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
    if (!use.time && use.mayHaveBeenUsedBefore) md.appendText(' The key is older than the tracking, so an earlier use would not show: look in CloudTrail (Show Key Usage).');
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
    return names.map((name) => this.model.node(`${this.id}/${name}`, () => new AliasNode(`${this.id}/${name}`, this, this.keyNode.connection, index.find(name) ?? { AliasName: name, TargetKeyId: this.keyId }, true)));
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
    readonly connection: Connection,
    readonly entry: AliasListEntry,
    private readonly underKey: boolean,
  ) {
    super(id, parent);
  }

  get aliasName(): string {
    return this.entry.AliasName ?? '';
  }

  override get target(): AliasTarget {
    return { kind: 'alias', connection: this.connection, aliasName: this.aliasName, targetKeyId: this.entry.TargetKeyId };
  }

  treeItem(): vscode.TreeItem {
    const aws = isAwsAlias(this.aliasName);
    const t = new vscode.TreeItem(inertLine(shortAliasName(this.aliasName)), vscode.TreeItemCollapsibleState.None);
    t.id = this.id;
    t.description = this.underKey ? undefined : this.entry.TargetKeyId ? `→ ${inertLine(this.entry.TargetKeyId)}` : 'no key yet (AWS creates it on first use)';
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${markdownText(this.aliasName)}**\n\n`);
    if (this.entry.AliasArn) md.appendMarkdown(`- ARN: ${markdownCode(this.entry.AliasArn)}\n`);
    md.appendMarkdown(`- Key: ${this.entry.TargetKeyId ? markdownCode(this.entry.TargetKeyId) : 'none yet'}\n`);
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
        (fact) => new InfoNode(`${this.id}/${fact.label}`, this, { label: fact.label, description: fact.value, tooltip: `${fact.label}: ${fact.value}`, target: this.target }),
      ),
    );
  }
}

/** "Key policy": opens the policy (the policy editor once it exists, else read-only JSON). */
export class PolicyNode extends UnderKeyNode {
  override refreshOwner(): TreeNode {
    return this.keyNode;
  }

  constructor(keyNode: KeyNode) {
    super(`${keyNode.id}/policy`, keyNode, keyNode);
  }

  treeItem(): vscode.TreeItem {
    const t = new vscode.TreeItem('Key policy', vscode.TreeItemCollapsibleState.None);
    t.id = this.id;
    t.description = 'default';
    // An AWS managed key's policy cannot be changed: no edit pencil, only Show Key Policy.
    const meta = this.keyNode.metadata;
    const readOnly = meta ? explainRefusal(meta, 'editPolicy') !== undefined : (this.keyNode.directory.peekAliases()?.isAwsManaged(this.keyNode.keyId) ?? false);
    t.tooltip = readOnly ? 'Show the key policy (read-only: AWS manages this key)' : 'Open the key policy';
    t.contextValue = readOnly ? NodeKind.PolicyReadOnly : NodeKind.Policy;
    t.iconPath = new vscode.ThemeIcon('law');
    t.command = readOnly ? { command: 'kmsWorkbench.showKeyPolicy', title: 'Show Key Policy', arguments: [this] } : { command: this.model.policyCommand, title: 'Open Key Policy', arguments: [this] };
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
    const nodes: TreeNode[] = rotationFacts(status).map((f) => new InfoNode(`${this.id}/${f.label}`, this, { label: f.label, description: f.value, target: this.target }));
    if (history.kind === 'notSupported') {
      nodes.push(new NotSupportedNode(this, 'Rotation history', history.message));
    } else if (history.kind === 'failed') {
      const message = history.error instanceof Error ? history.error.message : String(history.error);
      nodes.push(new InfoNode(`${this.id}/historyError`, this, { label: 'Rotation history could not be read', description: message, tooltip: message, icon: 'warning', iconColor: 'list.warningForeground', kind: NodeKind.Error }));
    } else if (!history.value.length) {
      nodes.push(new InfoNode(`${this.id}/noHistory`, this, { label: 'No rotations yet', kind: NodeKind.Empty, icon: 'info', iconColor: 'descriptionForeground' }));
    } else {
      history.value.forEach((entry, i) => {
        const { label, description } = rotationHistoryEntry(entry);
        nodes.push(new InfoNode(`${this.id}/history/${i}`, this, { label: `Rotated ${label}`, description, icon: 'history', target: this.target }));
      });
      if (historyTruncated) nodes.push(new InfoNode(`${this.id}/historyMore`, this, { label: 'Older rotations not shown', kind: NodeKind.Info, icon: 'ellipsis' }));
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
    this.description = config ? `${(config.ReplicaKeys ?? []).length} replica${(config.ReplicaKeys ?? []).length === 1 ? '' : 's'}` : undefined;
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
