import * as vscode from 'vscode';
import type { Connection } from '../../core/aws/connection';
import { KmsError } from '../../core/kms/errors';
import { inertLine, markdownCode, markdownText } from '../../core/text/inertText';
import type { KeyDirectory } from '../../core/tree/keyDirectory';
import type { KeyFilter } from '../../core/tree/keyFilter';
import type { KeySearch } from '../../core/tree/keySearch';
import { NodeKind } from '../../shared/contextValues';
import type { Services } from '../services';
import type { Target } from '../targets';

/** Something thrown, as an Error (KmsErrors stay as they are). */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** What nodes need from the tree they are in. */
export interface TreeModel {
  readonly services: Services;
  /** The data of a connection's keys (one per connection id, kept across refreshes of the view). */
  directory(connection: Connection): KeyDirectory;
  /** The view's filter, if one is set. */
  readonly filter: KeyFilter | undefined;
  /** The running filter search of a connection (started on first use), when a filter is set. */
  search(connection: Connection): KeySearch | undefined;
  /** The node with this id, made by `make` the first time (nodes keep their identity across refreshes). */
  node<T extends TreeNode>(id: string, make: () => T): T;
  /** Asks VS Code to render the node again (undefined: the whole tree); batched. */
  changed(node?: TreeNode): void;
  /** The command the "Key policy" node runs. */
  readonly policyCommand: string;
  /** Id of the connection the editor commands use, once known. */
  readonly activeConnectionId: string | undefined;
  /** Looks for custom key stores after first paint; re-renders the connection if there are any. */
  probeCustomKeyStores(node: TreeNode & { readonly connection: Connection }): void;
  /** Forgets everything about a connection's keys (Refresh or Retry on the connection). */
  resetConnection(connection: Connection): void;
  /** Forgets a connection's aliases and key listing, and re-renders its folders. */
  reloadListings(connection: Connection): void;
}

/**
 * A node of the KMS tree. `getChildren` may throw: the provider turns the failure into
 * error nodes under this node (never a popup). `reload()` is what Retry and Refresh
 * call: drop what this node loaded so the next `getChildren` loads it again.
 */
export abstract class TreeNode {
  constructor(
    readonly id: string,
    readonly parent: TreeNode | undefined,
  ) {}

  /** What menu commands act on (see ../targets.ts); undefined for nodes no command acts on. */
  get target(): Target | undefined {
    return undefined;
  }

  abstract treeItem(): vscode.TreeItem;

  getChildren(): Promise<TreeNode[]> {
    return Promise.resolve([]);
  }

  /** Fills in what is costly to know (a tooltip) when VS Code asks: on hover. */
  resolve(item: vscode.TreeItem): Promise<vscode.TreeItem> {
    return Promise.resolve(item);
  }

  reload(): void {
    // nothing loaded by default
  }

  /**
   * The node whose `reload()` a refresh of this node runs: the node itself when it loads
   * something, else the nearest ancestor that does (a tag refreshes the key's tags).
   */
  refreshOwner(): TreeNode {
    return this;
  }
}

/** A node that loads nothing of its own: refreshing it refreshes its parent. */
export abstract class LeafNode extends TreeNode {
  override refreshOwner(): TreeNode {
    return this.parent?.refreshOwner() ?? this;
  }
}

function item(label: string, collapsible = vscode.TreeItemCollapsibleState.None): vscode.TreeItem {
  return new vscode.TreeItem(label, collapsible);
}

/** A line of text: a fact under a grant or rotation, a placeholder for an empty folder. */
export class InfoNode extends LeafNode {
  constructor(
    id: string,
    parent: TreeNode | undefined,
    private readonly info: {
      readonly label: string;
      readonly description?: string;
      readonly tooltip?: string | vscode.MarkdownString;
      readonly icon?: string;
      readonly iconColor?: string;
      readonly kind?: NodeKind;
      /** A context value with more than the kind (custom key stores add their state). */
      readonly contextValue?: string;
      readonly command?: vscode.Command;
      readonly target?: Target;
    },
  ) {
    super(id, parent);
  }

  override get target(): Target | undefined {
    return this.info.target;
  }

  treeItem(): vscode.TreeItem {
    // Facts, tags and replicas come from the server: shown as text (a MarkdownString tooltip is made inert where it is built).
    const t = item(inertLine(this.info.label));
    t.id = this.id;
    t.description = this.info.description === undefined ? undefined : inertLine(this.info.description);
    const tooltip = this.info.tooltip ?? (this.info.description ? `${this.info.label}: ${this.info.description}` : this.info.label);
    t.tooltip = typeof tooltip === 'string' ? inertLine(tooltip) : tooltip;
    t.contextValue = this.info.contextValue ?? this.info.kind ?? NodeKind.Info;
    if (this.info.icon)
      t.iconPath = new vscode.ThemeIcon(this.info.icon, this.info.iconColor ? new vscode.ThemeColor(this.info.iconColor) : undefined);
    t.command = this.info.command;
    return t;
  }
}

/** "No tags", "No keys match…": a folder that has nothing to show says so. */
export function emptyNode(parent: TreeNode, label: string): InfoNode {
  return new InfoNode(`${parent.id}/empty`, parent, { label, kind: NodeKind.Empty, icon: 'info', iconColor: 'descriptionForeground' });
}

/** An endpoint without the operation (LocalStack, local-kms, moto…): shown in place of that part. */
export class NotSupportedNode extends LeafNode {
  constructor(
    parent: TreeNode,
    private readonly what: string,
    private readonly detail: string,
  ) {
    super(`${parent.id}/notSupported`, parent);
  }

  treeItem(): vscode.TreeItem {
    const t = item(`${this.what}: not supported by this endpoint`);
    t.id = this.id;
    t.tooltip = inertLine(this.detail);
    t.contextValue = NodeKind.NotSupported;
    t.iconPath = new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('descriptionForeground'));
    return t;
  }
}

/**
 * A failure inside the tree: the message (the full text in the tooltip) and Retry, which
 * reloads the node it happened under.
 */
export class ErrorNode extends LeafNode {
  constructor(
    parent: TreeNode | undefined,
    readonly error: unknown,
    private readonly owner: TreeNode | undefined,
    private readonly model: TreeModel,
  ) {
    super(`${parent?.id ?? 'root'}/error`, parent);
  }

  get message(): string {
    return this.error instanceof Error ? this.error.message : String(this.error);
  }

  treeItem(): vscode.TreeItem {
    const t = item(inertLine(this.message));
    t.id = this.id;
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown('$(error) ');
    md.appendMarkdown(markdownText(this.message, { themeIcons: true }));
    if (this.error instanceof KmsError) md.appendMarkdown(`\n\nError: ${markdownCode(this.error.code)}`);
    md.appendMarkdown('\n\nClick to retry.');
    t.tooltip = md;
    t.contextValue = NodeKind.Error;
    t.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
    t.command = { command: 'kmsWorkbench.retryNode', title: 'Retry', arguments: [this] };
    return t;
  }

  /** Reloads what failed and shows it again. */
  retry(): void {
    const owner = this.owner ?? this.parent;
    owner?.reload();
    this.model.changed(owner);
  }
}

/** The Retry action as a node of its own, under an error. */
export class RetryNode extends LeafNode {
  constructor(
    parent: TreeNode | undefined,
    private readonly errorNode: ErrorNode,
  ) {
    super(`${parent?.id ?? 'root'}/retry`, parent);
  }

  treeItem(): vscode.TreeItem {
    const t = item('Retry');
    t.id = this.id;
    t.contextValue = NodeKind.Info;
    t.iconPath = new vscode.ThemeIcon('refresh');
    t.command = { command: 'kmsWorkbench.retryNode', title: 'Retry', arguments: [this.errorNode] };
    return t;
  }
}

/** "Sign in": runs `aws sso login --profile <name>` in a terminal. */
export class SignInNode extends LeafNode {
  constructor(
    parent: TreeNode | undefined,
    readonly profile: string,
  ) {
    super(`${parent?.id ?? 'root'}/signIn`, parent);
  }

  treeItem(): vscode.TreeItem {
    const t = item('Sign in');
    t.id = this.id;
    t.description = `aws sso login --profile ${this.profile}`;
    t.tooltip = `Runs "aws sso login --profile ${this.profile}" in a terminal. Retry once the browser says you are signed in.`;
    t.contextValue = NodeKind.SignIn;
    t.iconPath = new vscode.ThemeIcon('sign-in');
    t.command = { command: 'kmsWorkbench.ssoLogin', title: 'Sign in', arguments: [this] };
    return t;
  }
}

/** The nodes a failure becomes: the error, Sign in when SSO is the fix, and Retry. */
export function errorNodes(parent: TreeNode | undefined, error: unknown, model: TreeModel): TreeNode[] {
  const owner = parent?.refreshOwner() ?? parent;
  const errorNode = new ErrorNode(parent, error, owner, model);
  const nodes: TreeNode[] = [errorNode];
  const profile = error instanceof KmsError ? error.details.ssoLoginProfile : undefined;
  if (profile) nodes.push(new SignInNode(parent, profile));
  nodes.push(new RetryNode(parent, errorNode));
  return nodes;
}

/** Something a "Load more" node can load more of. */
export interface Pageable {
  /** Loads (or shows) the next page. */
  loadMore(): Promise<void>;
  /** "keys", "grants"…: what the node says it loads. */
  readonly pageNoun: string;
  /** How many are shown now. */
  shownCount(): number;
}

/** "Load more…": the next page of a listing. */
export class LoadMoreNode extends LeafNode {
  constructor(
    readonly owner: TreeNode & Pageable,
    private readonly model: TreeModel,
  ) {
    super(`${owner.id}/loadMore`, owner);
  }

  treeItem(): vscode.TreeItem {
    const t = item(`Load more ${this.owner.pageNoun}…`);
    t.id = this.id;
    t.description = `${this.owner.shownCount()} shown`;
    t.contextValue = NodeKind.LoadMore;
    t.iconPath = new vscode.ThemeIcon('fold-down');
    t.command = { command: 'kmsWorkbench.loadMore', title: 'Load more', arguments: [this] };
    return t;
  }

  /** Loads the next page; a failure is shown under the owner (and thrown for scripted callers). */
  async load(): Promise<void> {
    try {
      await this.owner.loadMore();
    } finally {
      this.model.changed(this.owner);
    }
  }
}
