import type { KeyListEntry } from '@aws-sdk/client-kms';
import * as vscode from 'vscode';
import type { Connection, ConnectionConfig } from '../../core/aws/connection';
import { describeConnectionConfig } from '../../core/aws/connection';
import { type AliasIndex, compareNames, isAwsAlias } from '../../core/tree/aliasIndex';
import type { KeyDirectory } from '../../core/tree/keyDirectory';
import { connectionDescription, customKeyStoreLabel, keyLabel } from '../../core/tree/keyPresentation';
import { inertLine, markdownCode, markdownText } from '../../core/text/inertText';
import type { KeySearch } from '../../core/tree/keySearch';
import { NodeKind, customKeyStoreContextValue } from '../../shared/contextValues';
import type { ConnectionTarget } from '../targets';
import { AliasNode } from './keyDetailNodes';
import { KeyNode } from './keyNodes';
import { asError, emptyNode, ErrorNode, InfoNode, LoadMoreNode, type Pageable, TreeNode, type TreeModel } from './treeNode';

/** How many keys, aliases or matches a folder shows before "Load more". */
export const SHOW_STEP = 100;

/**
 * A connection: "profile · region" with the account id once known. Expanding it lists
 * every alias (they name the keys) and starts the first ListKeys page, so opening
 * "Customer managed keys" next is instant; a failure of either shows here.
 */
export class ConnectionNode extends TreeNode {
  private shownDescription: string | undefined;

  constructor(
    readonly model: TreeModel,
    readonly connection: Connection,
    private readonly expanded: boolean,
    /** Set when the workspace proposed this connection and the user approved it: its fingerprint. */
    readonly approvedProposal?: string,
  ) {
    super(connectionNodeId(connection), undefined);
  }

  get directory(): KeyDirectory {
    return this.model.directory(this.connection);
  }

  override get target(): ConnectionTarget {
    return { kind: 'connection', connection: this.connection, approvedProposal: this.approvedProposal };
  }

  private description(): string {
    return connectionDescription(this.connection, {
      accountId: this.directory.accountId,
      approvedProposal: this.approvedProposal !== undefined,
    });
  }

  treeItem(): vscode.TreeItem {
    const c = this.connection;
    const t = new vscode.TreeItem(
      inertLine(c.label),
      this.expanded ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed,
    );
    t.id = this.id;
    this.shownDescription = this.description();
    t.description = inertLine(this.shownDescription);
    const active = this.model.activeConnectionId === c.id;
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${markdownText(c.label)}**\n\n`);
    md.appendMarkdown(
      `- Profile: ${c.profile ? markdownCode(c.profile) : 'the environment (AWS_PROFILE, environment credentials, default profile)'}\n`,
    );
    md.appendMarkdown(`- Region: ${markdownCode(c.region)}\n`);
    md.appendMarkdown(
      `- Endpoint: ${c.endpoint ? `${markdownCode(c.endpoint)} (from ${markdownText(c.endpointSource ?? 'settings')})` : 'AWS KMS'}\n`,
    );
    if (this.directory.accountId) md.appendMarkdown(`- Account: ${markdownCode(this.directory.accountId)}\n`);
    if (active) md.appendMarkdown('\nThe editor commands use this connection.');
    if (this.approvedProposal)
      md.appendMarkdown(
        '\n\nThis workspace proposed this connection and you approved it (KMS: Revoke Connection Approval takes that back).',
      );
    t.tooltip = md;
    t.contextValue = this.approvedProposal ? `${NodeKind.Connection} ${NodeKind.ApprovedProposal}` : NodeKind.Connection;
    t.iconPath = new vscode.ThemeIcon(active ? 'plug' : 'cloud');
    return t;
  }

  override async getChildren(): Promise<TreeNode[]> {
    const dir = this.directory;
    const customer = this.model.node(`${this.id}/customer`, () => new CustomerKeysFolder(this));
    // Start the first ListKeys page with the aliases: "Customer managed keys" needs both, and
    // shows its count as soon as they are in (before it is expanded, like its siblings).
    dir.keys.first().then(
      () => {
        this.noteDescription();
        customer.countLoaded();
      },
      () => undefined,
    );
    await dir.aliases();
    this.noteDescription();
    const folders: TreeNode[] = [
      customer,
      this.model.node(`${this.id}/aws`, () => new AwsKeysFolder(this)),
      this.model.node(`${this.id}/aliases`, () => new AliasesFolder(this)),
    ];
    const stores = dir.peekCustomKeyStores();
    if (stores?.stores.length) folders.push(this.model.node(`${this.id}/customKeyStores`, () => new CustomKeyStoresFolder(this)));
    if (!stores) this.model.probeCustomKeyStores(this);
    return folders;
  }

  private noteDescription(): void {
    if (this.description() !== this.shownDescription) this.model.changed(this);
  }

  override reload(): void {
    this.model.resetConnection(this.connection);
  }
}

export function connectionNodeId(connection: Connection): string {
  return `connection:${connection.id}`;
}

/** A `kmsWorkbench.connections` entry that does not resolve: its message names the fix. */
export class ConnectionErrorNode extends TreeNode {
  constructor(
    private readonly model: TreeModel,
    index: number,
    private readonly config: ConnectionConfig,
    private readonly error: Error,
  ) {
    super(`connectionError:${index}:${JSON.stringify(config)}`, undefined);
  }

  treeItem(): vscode.TreeItem {
    const t = new vscode.TreeItem(inertLine(describeConnectionConfig(this.config)), vscode.TreeItemCollapsibleState.Expanded);
    t.id = this.id;
    t.description = 'not usable';
    t.tooltip = inertLine(this.error.message);
    t.contextValue = NodeKind.Error;
    t.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
    return t;
  }

  override getChildren(): Promise<TreeNode[]> {
    return Promise.resolve([
      new ErrorNode(this, this.error, undefined, this.model),
      new InfoNode(`${this.id}/openSettings`, this, {
        label: 'Open Settings',
        description: 'kmsWorkbench.connections',
        icon: 'settings-gear',
        command: { command: 'workbench.action.openSettings', title: 'Open Settings', arguments: ['kmsWorkbench.connections'] },
      }),
    ]);
  }

  override reload(): void {
    this.model.services.connections.invalidate('retry after a connection error');
  }
}

/** What the key folders and the Aliases folder have in common. */
abstract class ConnectionFolder extends TreeNode implements Pageable {
  abstract readonly pageNoun: string;
  /** How many entries are shown (client-side paging of what is loaded). */
  protected limit = SHOW_STEP;
  protected shown = 0;
  private shownDescription: string | undefined;
  protected description: string | undefined;

  constructor(
    id: string,
    readonly connectionNode: ConnectionNode,
  ) {
    super(id, connectionNode);
  }

  protected get model(): TreeModel {
    return this.connectionNode.model;
  }

  protected get connection(): Connection {
    return this.connectionNode.connection;
  }

  protected get directory(): KeyDirectory {
    return this.connectionNode.directory;
  }

  override get target(): ConnectionTarget {
    return this.connectionNode.target;
  }

  protected describeAs(text: string | undefined): void {
    this.description = text;
    if (text !== this.shownDescription) this.model.changed(this);
  }

  protected folderItem(label: string, iconId: string, kind: NodeKind, tooltip: string): vscode.TreeItem {
    const t = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Collapsed);
    t.id = this.id;
    t.description = this.description;
    this.shownDescription = this.description;
    t.tooltip = tooltip;
    t.contextValue = kind;
    t.iconPath = new vscode.ThemeIcon(iconId);
    return t;
  }

  loadMore(): Promise<void> {
    this.limit += SHOW_STEP;
    return Promise.resolve();
  }

  shownCount(): number {
    return this.shown;
  }

  /** The first `limit` nodes, "Load more" when there are more. */
  protected page(nodes: TreeNode[]): TreeNode[] {
    const visible = nodes.slice(0, this.limit);
    this.shown = visible.length;
    if (nodes.length > this.limit) visible.push(new LoadMoreNode(this, this.model));
    return visible;
  }

  protected keyNode(keyId: string, keyArn: string | undefined, inCustomerFolder: boolean): KeyNode {
    const id = `${this.id}/${keyId}`;
    return this.model.node(id, () => new KeyNode(id, this, this.model, this.connection, keyId, { keyArn, inCustomerFolder }));
  }

  /** Under a filter: the search's progress and what it could not read, after the matches. */
  protected searchStatus(search: KeySearch, matches: number, noun: string): TreeNode[] {
    if (search.error !== undefined) throw asError(search.error);
    const { checked, total, done, unreadable } = search.progress;
    const nodes: TreeNode[] = [];
    if (!done) {
      nodes.push(
        new InfoNode(`${this.id}/searching`, this, {
          label: total === undefined ? 'Listing keys…' : 'Searching descriptions and tags…',
          description: total === undefined ? undefined : `${checked} of ${total} keys checked`,
          icon: 'loading~spin',
        }),
      );
    } else if (matches === 0) {
      nodes.push(emptyNode(this, `No ${noun} match "${search.filter.text}"`));
    }
    if (unreadable > 0) {
      nodes.push(
        new InfoNode(`${this.id}/unreadable`, this, {
          label: `${unreadable} key${unreadable === 1 ? '' : 's'} could not be searched`,
          description: 'no permission to describe them or list their tags',
          icon: 'warning',
          iconColor: 'list.warningForeground',
        }),
      );
    }
    return nodes;
  }
}

/** Sorts a page of keys: those with aliases by alias, then the rest by key id. */
function sortKeys(keys: readonly KeyListEntry[], aliases: AliasIndex): KeyListEntry[] {
  return [...keys].sort((a, b) => {
    const la = aliases.firstAlias(a.KeyId ?? '');
    const lb = aliases.firstAlias(b.KeyId ?? '');
    if (la && !lb) return -1;
    if (!la && lb) return 1;
    return compareNames(keyLabel(a.KeyId ?? '', la ? [la] : []), keyLabel(b.KeyId ?? '', lb ? [lb] : []));
  });
}

/**
 * "Customer managed keys": ListKeys pages of 100 (without the keys aliases or DescribeKey
 * show to be AWS managed), each page sorted by name, "Load more" for the next page.
 */
export class CustomerKeysFolder extends ConnectionFolder {
  readonly pageNoun = 'keys';
  /** ListKeys pages to show (kept across refreshes, so a refresh shows as much as before). */
  private pagesWanted = 1;

  constructor(connectionNode: ConnectionNode) {
    super(`${connectionNode.id}/customer`, connectionNode);
  }

  treeItem(): vscode.TreeItem {
    if (!this.model.filter) this.description = this.loadedCount() ?? this.description;
    return this.folderItem('Customer managed keys', 'key', NodeKind.CustomerKeys, 'Keys you create and manage');
  }

  /** "9", "100+": the customer managed keys of the pages shown, once aliases and the first ListKeys page are in. */
  private loadedCount(): string | undefined {
    const aliases = this.directory.peekAliases();
    const keys = this.directory.keys;
    if (!aliases || keys.pagesLoaded === 0) return undefined;
    const count = keys.pageItems
      .slice(0, this.pagesWanted)
      .flat()
      .filter((k) => k.KeyId && this.isCustomer(k.KeyId, aliases)).length;
    return `${count}${keys.hasMore || keys.pagesLoaded > this.pagesWanted ? '+' : ''}`;
  }

  /** The first ListKeys page is in: shows the count on the (maybe still collapsed) folder. */
  countLoaded(): void {
    if (!this.model.filter) this.describeAs(this.loadedCount());
  }

  private isCustomer(keyId: string, aliases: AliasIndex): boolean {
    return !aliases.isAwsManaged(keyId) && this.directory.peekMetadata(keyId)?.KeyManager !== 'AWS';
  }

  override async getChildren(): Promise<TreeNode[]> {
    const search = this.model.search(this.connection);
    if (search) return this.filtered(search);
    const { aliases, keys } = await this.directory.firstPaint();
    await keys.ensurePages(this.pagesWanted).catch(() => undefined);
    // A filter search may have loaded every page: show only the pages asked for.
    const pages = keys.pageItems.slice(0, this.pagesWanted);
    const more = keys.hasMore || keys.pagesLoaded > this.pagesWanted;
    const nodes: TreeNode[] = [];
    for (const page of pages) {
      const customer = page.filter((k) => k.KeyId && this.isCustomer(k.KeyId, aliases));
      for (const key of sortKeys(customer, aliases)) nodes.push(this.keyNode(key.KeyId ?? '', key.KeyArn, true));
    }
    this.shown = nodes.length;
    this.describeAs(`${nodes.length}${more ? '+' : ''}`);
    if (!nodes.length && !more) nodes.push(emptyNode(this, 'No customer managed keys'));
    if (keys.error !== undefined) nodes.push(new ErrorNode(this, keys.error, this, this.model));
    if (more) nodes.push(new LoadMoreNode(this, this.model));
    return nodes;
  }

  private async filtered(search: KeySearch): Promise<TreeNode[]> {
    const aliases = await this.directory.aliases();
    const matches = this.directory.keys.items.filter((k) => k.KeyId && search.matches(k.KeyId) && this.isCustomer(k.KeyId, aliases));
    const nodes = this.page(sortKeys(matches, aliases).map((k) => this.keyNode(k.KeyId ?? '', k.KeyArn, true)));
    this.describeAs(`${matches.length} matching${search.progress.done ? '' : '…'}`);
    return [...nodes, ...this.searchStatus(search, matches.length, 'customer managed keys')];
  }

  override shownCount(): number {
    if (this.model.filter) return this.shown;
    const aliases = this.directory.peekAliases();
    const items = this.directory.keys.pageItems.slice(0, this.pagesWanted).flat();
    return aliases ? items.filter((k) => k.KeyId && this.isCustomer(k.KeyId, aliases)).length : items.length;
  }

  override async loadMore(): Promise<void> {
    if (this.model.filter) return super.loadMore();
    const keys = this.directory.keys;
    if (keys.pagesLoaded <= this.pagesWanted) await keys.loadMore();
    this.pagesWanted = Math.min(this.pagesWanted + 1, keys.pagesLoaded);
  }

  override reload(): void {
    this.model.reloadListings(this.connection);
  }
}

/** "AWS managed keys": found through their `alias/aws/…` aliases, no call of their own. */
export class AwsKeysFolder extends ConnectionFolder {
  readonly pageNoun = 'keys';

  constructor(connectionNode: ConnectionNode) {
    super(`${connectionNode.id}/aws`, connectionNode);
  }

  treeItem(): vscode.TreeItem {
    const index = this.directory.peekAliases();
    if (index && !this.model.filter) this.description = String(index.awsManagedKeys().length);
    return this.folderItem('AWS managed keys', 'cloud', NodeKind.AwsKeys, 'Keys AWS services create in your account (alias/aws/…)');
  }

  override async getChildren(): Promise<TreeNode[]> {
    const aliases = await this.directory.aliases();
    let keys = aliases.awsManagedKeys();
    const search = this.model.search(this.connection);
    const filter = this.model.filter;
    if (search && filter)
      keys = keys.filter(
        (k) => search.matches(k.keyId) || filter.verdict({ keyId: k.keyId, aliases: aliases.aliasesOf(k.keyId) }) === 'match',
      );
    const nodes = this.page(keys.map((k) => this.keyNode(k.keyId, undefined, false)));
    if (search) {
      this.describeAs(`${keys.length} matching${search.progress.done ? '' : '…'}`);
      return [...nodes, ...this.searchStatus(search, keys.length, 'AWS managed keys')];
    }
    this.describeAs(String(keys.length));
    if (!keys.length) nodes.push(emptyNode(this, 'No AWS managed keys yet (AWS creates one when a service first uses KMS)'));
    return nodes;
  }

  override reload(): void {
    this.model.reloadListings(this.connection);
  }
}

/** "Aliases": every alias of the region with the key it points at; customer aliases first. */
export class AliasesFolder extends ConnectionFolder {
  readonly pageNoun = 'aliases';

  constructor(connectionNode: ConnectionNode) {
    super(`${connectionNode.id}/aliases`, connectionNode);
  }

  treeItem(): vscode.TreeItem {
    const index = this.directory.peekAliases();
    if (index && !this.model.filter) this.description = String(index.size);
    return this.folderItem('Aliases', 'link', NodeKind.Aliases, 'Every alias of the region and the key it points at');
  }

  override async getChildren(): Promise<TreeNode[]> {
    const index = await this.directory.aliases();
    const filter = this.model.filter;
    const search = this.model.search(this.connection);
    let entries = [...index.entries].sort((a, b) => Number(isAwsAlias(a.AliasName ?? '')) - Number(isAwsAlias(b.AliasName ?? '')));
    if (filter)
      entries = entries.filter(
        (e) => filter.matchesText(e.AliasName, e.TargetKeyId) || (e.TargetKeyId !== undefined && search?.matches(e.TargetKeyId) === true),
      );
    const nodes = this.page(
      entries.map((entry) => {
        const id = `${this.id}/${entry.AliasName ?? ''}`;
        return this.model.node(id, () => new AliasNode(id, this, this.model, this.connection, entry, false));
      }),
    );
    this.describeAs(filter ? `${entries.length} matching` : String(entries.length));
    if (!entries.length && (!search || search.progress.done))
      nodes.push(emptyNode(this, filter ? `No aliases match "${filter.text}"` : 'No aliases'));
    return nodes;
  }

  override reload(): void {
    this.model.reloadListings(this.connection);
  }
}

/** "Custom key stores": shown only when the region has any. */
export class CustomKeyStoresFolder extends ConnectionFolder {
  readonly pageNoun = 'key stores';

  constructor(connectionNode: ConnectionNode) {
    super(`${connectionNode.id}/customKeyStores`, connectionNode);
  }

  treeItem(): vscode.TreeItem {
    const stores = this.directory.peekCustomKeyStores();
    if (stores) this.description = String(stores.stores.length);
    return this.folderItem('Custom key stores', 'server', NodeKind.CustomKeyStores, 'CloudHSM and external key stores');
  }

  override async getChildren(): Promise<TreeNode[]> {
    const { stores } = await this.directory.customKeyStores();
    if (!stores.length) return [emptyNode(this, 'No custom key stores')];
    return this.page(
      stores.map((store) => {
        const { label, description, tooltip } = customKeyStoreLabel(store);
        return new InfoNode(`${this.id}/${store.CustomKeyStoreId ?? label}`, this, {
          label,
          description,
          tooltip: new vscode.MarkdownString(tooltip),
          icon:
            store.ConnectionState === 'CONNECTED'
              ? 'server'
              : store.ConnectionState === 'FAILED'
                ? 'error'
                : store.ConnectionState === 'CONNECTING'
                  ? 'sync'
                  : 'debug-disconnect',
          iconColor: store.ConnectionState === 'FAILED' ? 'list.errorForeground' : undefined,
          kind: NodeKind.CustomKeyStore,
          contextValue: customKeyStoreContextValue({ state: store.ConnectionState, type: store.CustomKeyStoreType }),
          target: store.CustomKeyStoreId
            ? { kind: 'customKeyStore', connection: this.connection, customKeyStoreId: store.CustomKeyStoreId, store }
            : this.target,
        });
      }),
    );
  }

  override reload(): void {
    this.model.reloadListings(this.connection);
  }
}
