import * as vscode from 'vscode';
import type { Environment } from '../../core/aws/awsConfigFiles';
import type { Connection } from '../../core/aws/connection';
import { KeyDirectory } from '../../core/tree/keyDirectory';
import { KeyFilter } from '../../core/tree/keyFilter';
import { KeySearch } from '../../core/tree/keySearch';
import { planRoot } from '../../core/tree/rootPlan';
import { describeError } from '../log';
import type { KeyChange, Services } from '../services';
import { ConnectionErrorNode, ConnectionNode, connectionNodeId } from './connectionNodes';
import { KeyNode } from './keyNodes';
import { errorNodes, LoadMoreNode, type TreeModel, type TreeNode } from './treeNode';
import { ProposedConnectionNode, RestrictedModeNode } from './proposalNodes';
import { isWorkspaceTrusted } from '../trust/workspaceTrust';

/** What the root shows: connections, or nothing (the welcome view) when nothing is usable. */
export interface TreeState {
  readonly kind: 'loading' | 'welcome' | 'connections';
  /** With `welcome`: whether the AWS config files have profiles to choose from. */
  readonly hasProfiles?: boolean;
  /** With `connections`: every connection has its own endpoint (LocalStack…), so no AWS console applies. */
  readonly onlyCustomEndpoints?: boolean;
}

export interface KmsTreeProviderOptions {
  /** The command of "Key policy" nodes. */
  readonly policyCommand: string;
  /** Environment the welcome decision reads (the extension host's). */
  readonly env?: Environment;
  /** Delay after a connection is expanded before looking for custom key stores (not part of first paint). */
  readonly customKeyStoreProbeDelayMs?: number;
  /** How long changes are collected before the view is told (many keys get described at once). */
  readonly changeBatchMs?: number;
}

interface DirectoryEntry {
  readonly directory: KeyDirectory;
  connection: Connection;
  readonly unsubscribe: () => void;
}

/**
 * The KMS view's TreeDataProvider and the model its nodes share: one KeyDirectory per
 * connection, the filter and its searches, node identity across refreshes, and batched
 * change events. `getChildren` never rejects: a failure becomes error nodes.
 */
export class KmsTreeProvider implements vscode.TreeDataProvider<TreeNode>, TreeModel, vscode.Disposable {
  private readonly changes = new vscode.EventEmitter<TreeNode | TreeNode[] | undefined>();
  readonly onDidChangeTreeData = this.changes.event;
  private readonly stateChanges = new vscode.EventEmitter<TreeState>();
  /** Fires when the root was loaded (welcome or connections) and when the filter changes. */
  readonly onDidChangeState = this.stateChanges.event;

  private readonly directories = new Map<string, DirectoryEntry>();
  private readonly searches = new Map<string, { search: KeySearch; unsubscribe: () => void }>();
  private readonly registry = new Map<string, TreeNode>();
  private readonly keyNodes = new Map<string, Set<KeyShowingNode>>();
  private readonly pending = new Set<TreeNode>();
  private pendingAll = false;
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly probeTimers = new Map<string, NodeJS.Timeout>();
  /** Custom key store probes sent and not yet answered. */
  private readonly probes = new Set<Promise<void>>();
  private readonly progressTimers = new Map<string, NodeJS.Timeout>();
  private currentFilter: KeyFilter | undefined;
  private currentState: TreeState = { kind: 'loading' };
  private active: string | undefined;
  private disposed = false;
  readonly policyCommand: string;

  constructor(
    readonly services: Services,
    private readonly options: KmsTreeProviderOptions,
  ) {
    this.policyCommand = options.policyCommand;
  }

  // ---- TreeDataProvider ---------------------------------------------------------------

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return node.treeItem();
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    try {
      return node ? await node.getChildren() : await this.roots();
    } catch (error) {
      this.services.log.warn(`KMS view: could not load ${node ? `"${node.id}"` : 'the connections'}: ${describeError(error)}`);
      return errorNodes(node, error, this);
    }
  }

  async resolveTreeItem(item: vscode.TreeItem, node: TreeNode): Promise<vscode.TreeItem> {
    try {
      return await node.resolve(item);
    } catch {
      return item;
    }
  }

  getParent(node: TreeNode): TreeNode | undefined {
    return node.parent;
  }

  /**
   * A key's node in its folder (AWS managed keys or customer managed keys), loading further
   * pages of that folder until it shows the key. Undefined when the view does not show the
   * connection, or the filter hides the key.
   */
  async findKeyNode(connection: Connection, keyId: string, awsManaged: boolean): Promise<KeyNode | undefined> {
    await this.getChildren();
    const connectionNode = this.registry.get(connectionNodeId(connection));
    if (!connectionNode) return undefined;
    await this.getChildren(connectionNode);
    const folder = this.registry.get(`${connectionNode.id}/${awsManaged ? 'aws' : 'customer'}`);
    if (!folder) return undefined;
    let keysBefore = -1;
    for (;;) {
      const children = await this.getChildren(folder);
      const found = children.find((n): n is KeyNode => n instanceof KeyNode && n.keyId === keyId);
      if (found) return found;
      const more = children.find((n): n is LoadMoreNode => n instanceof LoadMoreNode);
      const keys = children.filter((n) => n instanceof KeyNode).length;
      // No more pages, or a page that added nothing (its load failed: an error node shows why).
      if (!more || keys <= keysBefore) return undefined;
      keysBefore = keys;
      await more.load();
    }
  }

  // ---- TreeModel ----------------------------------------------------------------------

  get filter(): KeyFilter | undefined {
    return this.currentFilter;
  }

  get activeConnectionId(): string | undefined {
    return this.active;
  }

  get state(): TreeState {
    return this.currentState;
  }

  directory(connection: Connection): KeyDirectory {
    let entry = this.directories.get(connection.id);
    if (!entry) {
      const directory = new KeyDirectory(() => this.services.kms.gateway(this.directories.get(connection.id)?.connection ?? connection));
      const unsubscribe = directory.onKeyEvent(({ keyId }) => {
        for (const node of this.keyNodes.get(keyIndex(connection.id, keyId)) ?? []) this.changed(node);
      });
      entry = { directory, connection, unsubscribe };
      this.directories.set(connection.id, entry);
    }
    return entry.directory;
  }

  /** The directory of a connection id, if the tree has one (tests, the bench). */
  directoryOf(connectionId: string): KeyDirectory | undefined {
    return this.directories.get(connectionId)?.directory;
  }

  search(connection: Connection): KeySearch | undefined {
    const filter = this.currentFilter;
    if (!filter) return undefined;
    let entry = this.searches.get(connection.id);
    if (!entry) {
      const search = new KeySearch(this.directory(connection), filter);
      const unsubscribe = search.onProgress(() => this.searchProgressed(connection, search));
      entry = { search, unsubscribe };
      this.searches.set(connection.id, entry);
    }
    return entry.search;
  }

  node<T extends TreeNode>(id: string, make: () => T): T {
    const existing = this.registry.get(id);
    if (existing) return existing as T;
    const node = make();
    this.registry.set(id, node);
    const shown: TreeNode = node;
    const ref = showsKey(shown) ? shown.keyRef() : undefined;
    if (ref && showsKey(shown)) {
      // Keys and the aliases naming them are shown again when their key is described or changes.
      const { connectionId, keyId } = ref;
      const key = keyIndex(connectionId, keyId);
      let set = this.keyNodes.get(key);
      if (!set) this.keyNodes.set(key, (set = new Set()));
      set.add(shown);
    }
    return node;
  }

  /** A node the view has shown, by id. */
  nodeById(id: string): TreeNode | undefined {
    return this.registry.get(id);
  }

  changed(node?: TreeNode): void {
    if (this.disposed) return;
    if (node) this.pending.add(node);
    else this.pendingAll = true;
    this.flushTimer ??= setTimeout(() => this.flush(), this.options.changeBatchMs ?? 30);
  }

  probeCustomKeyStores(node: TreeNode & { readonly connection: Connection }): void {
    const id = node.connection.id;
    if (this.probeTimers.has(id) || this.disposed) return;
    const directory = this.directory(node.connection);
    // After first paint, so first paint costs only ListKeys and ListAliases pages.
    const timer = setTimeout(() => {
      this.probeTimers.delete(id);
      const probe = directory.customKeyStores().then(
        (result) => {
          if (result.stores.length) this.changed(node);
        },
        (error: unknown) =>
          this.services.log.info(`KMS view: no custom key stores shown for ${node.connection.label}: ${describeError(error)}`),
      );
      this.probes.add(probe);
      void probe.finally(() => this.probes.delete(probe));
    }, this.options.customKeyStoreProbeDelayMs ?? 1500);
    this.probeTimers.set(id, timer);
  }

  /** Forgets everything about a connection: its data and how far its folders were paged. */
  resetConnection(connection: Connection): void {
    this.dropSearch(connection.id);
    this.directory(connection).reset();
    this.forgetNodesUnder(connectionNodeId(connection));
    this.changed(this.registry.get(connectionNodeId(connection)));
  }

  reloadListings(connection: Connection): void {
    this.dropSearch(connection.id);
    this.directory(connection).invalidateListings();
    this.changed(this.registry.get(connectionNodeId(connection)));
  }

  // ---- what the commands and events do ------------------------------------------------

  /** Sets (or, with blank text, clears) the filter and shows the view again. */
  setFilter(text: string | undefined): void {
    for (const id of [...this.searches.keys()]) this.dropSearch(id);
    this.currentFilter = KeyFilter.parse(text);
    this.changed();
    this.stateChanges.fire(this.currentState);
  }

  /** Forgets every connection's data and re-reads settings and the AWS config files. */
  refreshAll(): void {
    for (const id of [...this.searches.keys()]) this.dropSearch(id);
    for (const { directory, connection } of this.directories.values()) {
      directory.reset();
      this.forgetNodesUnder(connectionNodeId(connection));
    }
    this.services.connections.invalidate('refresh of the KMS view');
    this.changed();
  }

  /** Refreshes one node: what it loaded is dropped and it is rendered again. */
  refreshNode(node: TreeNode): void {
    const owner = node.refreshOwner();
    owner.reload();
    this.changed(owner);
  }

  /** After the extension changed a key (or, without keyId, a connection's keys or aliases). */
  async keyChanged(change: KeyChange): Promise<void> {
    const entry = this.directories.get(change.connectionId);
    if (!entry) return;
    if (!change.keyId) {
      this.reloadListings(entry.connection);
      return;
    }
    try {
      await entry.directory.refreshKey(change.keyId);
    } catch (error) {
      this.services.log.warn(`KMS view: could not re-read the aliases of ${change.keyId}: ${describeError(error)}`);
    }
    for (const node of this.keyNodes.get(keyIndex(change.connectionId, change.keyId)) ?? []) this.changed(node);
    const connectionId = connectionNodeId(entry.connection);
    for (const folder of ['customer', 'aws', 'aliases']) {
      const node = this.registry.get(`${connectionId}/${folder}`);
      if (node) this.changed(node);
    }
  }

  /**
   * After settings, AWS config files or the active connection changed: everything is shown
   * again (the clients were rebuilt), and keys that could not be described are tried again
   * (the credentials may have changed). Loaded data is kept: a refresh drops it.
   */
  connectionsChanged(): void {
    for (const { directory } of this.directories.values()) directory.forgetFailures();
    this.changed();
  }

  /** Resolves once nothing is being described and every change has been sent to the view. */
  async settled(): Promise<void> {
    await Promise.all([...this.directories.values()].map((e) => e.directory.settled()));
    await Promise.all([...this.searches.values()].map((e) => e.search.done.catch(() => undefined)));
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flush();
    }
  }

  /**
   * Resolves once every custom key store probe already scheduled (they wait until after first
   * paint) has been sent and answered: what was painted before costs nothing more.
   */
  async probesDone(): Promise<void> {
    while (this.probeTimers.size || this.probes.size) {
      if (this.probes.size) await Promise.all([...this.probes]);
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  dispose(): void {
    this.disposed = true;
    for (const timer of [...this.probeTimers.values(), ...this.progressTimers.values()]) clearTimeout(timer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    for (const id of [...this.searches.keys()]) this.dropSearch(id);
    for (const entry of this.directories.values()) entry.unsubscribe();
    this.changes.dispose();
    this.stateChanges.dispose();
  }

  // ---- internals ----------------------------------------------------------------------

  private async roots(): Promise<TreeNode[]> {
    const connections = this.services.connections;
    const [entries, files, proposals, ignoredProposals] = await Promise.all([
      connections.entries(),
      connections.files(),
      connections.proposals(),
      connections.ignoredProposalCount(),
    ]);
    const plan = planRoot({ configured: connections.isConfigured(), env: this.options.env ?? process.env, files });
    // Restricted Mode says what it limits above the connections (the welcome view says it in its own text).
    const restricted: TreeNode[] = isWorkspaceTrusted() ? [] : [new RestrictedModeNode(ignoredProposals)];
    const proposed = proposals.map((p): TreeNode => new ProposedConnectionNode(p));
    const approved = entries.filter((e) => e.approvedProposal && e.connection);
    if (plan.kind === 'welcome' && !proposed.length && !approved.length) {
      this.keepDirectories(new Set());
      this.setState({ kind: 'welcome', hasProfiles: plan.hasProfiles });
      return [];
    }
    const shown = plan.kind === 'welcome' ? approved : entries;
    this.active = (await connections.active().catch(() => undefined))?.id;
    const nodes = shown.map((entry): TreeNode => {
      const connection = entry.connection;
      if (!connection)
        return new ConnectionErrorNode(this, entry.index, entry.config, entry.error ?? new Error('This connection could not be resolved.'));
      const id = connectionNodeId(connection);
      const existing = this.registry.get(id);
      if (
        existing instanceof ConnectionNode &&
        (JSON.stringify(existing.connection) !== JSON.stringify(connection) || existing.approvedProposal !== entry.approvedProposal)
      )
        this.registry.delete(id);
      const dirEntry = this.directories.get(connection.id);
      if (dirEntry) dirEntry.connection = connection;
      return this.node(id, () => new ConnectionNode(this, connection, shown.length === 1, entry.approvedProposal));
    });
    const usable = shown.flatMap((e) => (e.connection ? [e.connection] : []));
    this.keepDirectories(new Set(usable.map((c) => c.id)));
    this.setState({ kind: 'connections', onlyCustomEndpoints: usable.length > 0 && usable.every((c) => c.endpoint !== undefined) });
    return [...restricted, ...nodes, ...proposed];
  }

  private setState(state: TreeState): void {
    const changed =
      state.kind !== this.currentState.kind ||
      state.hasProfiles !== this.currentState.hasProfiles ||
      state.onlyCustomEndpoints !== this.currentState.onlyCustomEndpoints;
    this.currentState = state;
    if (changed) this.stateChanges.fire(state);
  }

  /** Drops what the tree keeps for connections that are gone. */
  private keepDirectories(ids: Set<string>): void {
    for (const [id, entry] of [...this.directories]) {
      if (ids.has(id)) continue;
      entry.unsubscribe();
      this.dropSearch(id);
      this.directories.delete(id);
      const prefix = connectionNodeId(entry.connection);
      for (const nodeId of [...this.registry.keys()]) if (nodeId.startsWith(prefix)) this.registry.delete(nodeId);
      for (const key of [...this.keyNodes.keys()]) if (key.startsWith(`${id}\u0000`)) this.keyNodes.delete(key);
    }
  }

  /** Drops the nodes below a node (they are made afresh, with their defaults, when shown again). */
  private forgetNodesUnder(id: string): void {
    const prefix = `${id}/`;
    for (const nodeId of [...this.registry.keys()]) {
      if (!nodeId.startsWith(prefix)) continue;
      const node = this.registry.get(nodeId);
      this.registry.delete(nodeId);
      const ref = node && showsKey(node) ? node.keyRef() : undefined;
      if (ref) {
        this.keyNodes.get(keyIndex(ref.connectionId, ref.keyId))?.delete(node as KeyShowingNode);
      }
    }
  }

  private dropSearch(connectionId: string): void {
    const entry = this.searches.get(connectionId);
    if (!entry) return;
    entry.search.cancel();
    entry.unsubscribe();
    this.searches.delete(connectionId);
    const timer = this.progressTimers.get(connectionId);
    if (timer) clearTimeout(timer);
    this.progressTimers.delete(connectionId);
  }

  /** Re-renders a connection's folders as a search progresses: at most every 300 ms, and when done. */
  private searchProgressed(connection: Connection, search: KeySearch): void {
    const show = (): void => {
      this.progressTimers.delete(connection.id);
      if (this.searches.get(connection.id)?.search !== search) return;
      const prefix = connectionNodeId(connection);
      for (const folder of ['customer', 'aws', 'aliases']) {
        const node = this.registry.get(`${prefix}/${folder}`);
        if (node) this.changed(node);
      }
    };
    if (search.progress.done) {
      const timer = this.progressTimers.get(connection.id);
      if (timer) clearTimeout(timer);
      show();
    } else if (!this.progressTimers.has(connection.id)) {
      this.progressTimers.set(connection.id, setTimeout(show, 300));
    }
  }

  private flush(): void {
    this.flushTimer = undefined;
    if (this.disposed) return;
    if (this.pendingAll) {
      this.pendingAll = false;
      this.pending.clear();
      this.changes.fire(undefined);
      return;
    }
    const nodes = [...this.pending];
    this.pending.clear();
    if (nodes.length) this.changes.fire(nodes);
  }
}

function keyIndex(connectionId: string, keyId: string): string {
  return `${connectionId}\u0000${keyId}`;
}

/** A node that shows something of a key (a key, an alias naming its target): shown again when the key changes. */
type KeyShowingNode = TreeNode & { keyRef(): { connectionId: string; keyId: string } | undefined };

function showsKey(node: TreeNode): node is KeyShowingNode {
  return typeof (node as Partial<KeyShowingNode>).keyRef === 'function';
}
