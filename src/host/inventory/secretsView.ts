// The "Workspace secrets" view: encrypted files grouped by key (alias and account when a
// connection knows the key), each with its format, encryption context and SOPS's other
// master keys, warnings where a key is unusable; and the plaintext secrets files.
import { relative } from 'node:path';
import * as vscode from 'vscode';
import type { InventoryEntry } from '../../core/inventory/classify';
import type { KeyGroupOfFiles } from '../../core/inventory/inventoryIndex';
import { keyLabel } from '../../core/inventory/keyHealth';
import { parseKeyRef, UNNAMED_KEY } from '../../core/inventory/keyRefs';
import { formatEncryptionContext } from '../../core/envelope/encryptionContext';
import type { WorkspaceSecrets } from './workspaceSecrets';

export const SECRETS_VIEW_ID = 'kmsWorkbench.secrets';

export type SecretsNode =
  | { readonly kind: 'key'; readonly group: KeyGroupOfFiles }
  | { readonly kind: 'file'; readonly entry: InventoryEntry; readonly keyId: string }
  | { readonly kind: 'plaintextGroup'; readonly paths: readonly string[] }
  | { readonly kind: 'plaintext'; readonly path: string }
  | { readonly kind: 'status'; readonly text: string };

/** Nodes are instances of this class, so a command can tell one from a script's argument object. */
class SecretsTreeNode {}

function node<T extends SecretsNode>(data: T): T {
  return Object.assign(new SecretsTreeNode(), data);
}

/** Whether a command argument is a node of this view. */
export function isSecretsNode(value: unknown): value is SecretsNode {
  return value instanceof SecretsTreeNode;
}

/** Context values the menus read. */
export const SecretsContext = { key: 'secretsKey', file: 'secretsFile', plaintext: 'secretsPlaintext' } as const;

export class SecretsViewProvider implements vscode.TreeDataProvider<SecretsNode> {
  private readonly emitter = new vscode.EventEmitter<SecretsNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;

  constructor(private readonly secrets: WorkspaceSecrets) {}

  refresh(): void {
    this.emitter.fire(undefined);
  }

  getChildren(parent?: SecretsNode): SecretsNode[] {
    if (!parent) {
      const s = this.secrets.state;
      const groups: SecretsNode[] = this.secrets.index.groups().map((group) => node({ kind: 'key', group }));
      const plain = [...this.secrets.plaintextSecrets].sort();
      if (plain.length) groups.push(node({ kind: 'plaintextGroup', paths: plain }));
      if (s.kind === 'scanning') return [node({ kind: 'status', text: `Looking at files… ${s.done} of ${s.total}` }), ...groups];
      if (groups.length === 0 && s.kind === 'ready') return [node({ kind: 'status', text: `No encrypted files among ${s.files} files` })];
      return groups;
    }
    if (parent.kind === 'key') return parent.group.files.map((entry) => node({ kind: 'file', entry, keyId: parent.group.keyId }));
    if (parent.kind === 'plaintextGroup') return parent.paths.map((path) => node({ kind: 'plaintext', path }));
    return [];
  }

  getTreeItem(node: SecretsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'status': {
        const t = new vscode.TreeItem(node.text);
        t.iconPath = new vscode.ThemeIcon(this.secrets.state.kind === 'scanning' ? 'loading~spin' : 'info');
        return t;
      }
      case 'key':
        return this.keyItem(node.group);
      case 'file':
        return this.fileItem(node.entry, node.keyId);
      case 'plaintextGroup': {
        const t = new vscode.TreeItem('Plaintext secrets files', vscode.TreeItemCollapsibleState.Expanded);
        t.id = 'plaintext';
        t.description = `${node.paths.length} file${node.paths.length === 1 ? '' : 's'}`;
        t.iconPath = new vscode.ThemeIcon('unlock', new vscode.ThemeColor('list.warningForeground'));
        t.tooltip = 'Files matching kmsWorkbench.secretsFiles or a .sops.yaml creation rule that are not encrypted.';
        return t;
      }
      case 'plaintext': {
        const uri = vscode.Uri.file(node.path);
        const t = new vscode.TreeItem(uri, vscode.TreeItemCollapsibleState.None);
        t.id = `plain:${node.path}`;
        t.label = this.relativePath(node.path);
        t.description = 'not encrypted';
        t.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
        t.contextValue = SecretsContext.plaintext;
        t.command = { command: 'vscode.open', title: 'Open', arguments: [uri] };
        return t;
      }
    }
  }

  private keyItem(group: KeyGroupOfFiles): vscode.TreeItem {
    const known = group.keyId === UNNAMED_KEY ? undefined : (this.secrets.known.peek(group.keyId) ?? undefined);
    const ref = group.refs.find((r) => r.startsWith('arn:')) ?? group.refs[0] ?? group.keyId;
    const parsed = parseKeyRef(known?.arn ?? ref);
    const label = group.keyId === UNNAMED_KEY ? 'Key not named in the ciphertext' : (known?.aliases?.[0] ?? group.keyId);
    const t = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Expanded);
    t.id = `key:${group.keyId}`;
    const where = [parsed.account, parsed.region].filter(Boolean).join(' · ');
    const state = known?.state && known.state !== 'Enabled' ? known.state : undefined;
    const problems = group.files
      .flatMap((f) => this.secrets.problemsOf(f))
      .filter((p) => p.keyRef === ref || parseKeyRef(p.keyRef).keyId === group.keyId);
    const n = group.files.length;
    t.description = [`${n} file${n === 1 ? '' : 's'}`, state, where].filter(Boolean).join(' · ');
    const md = new vscode.MarkdownString(undefined, false);
    md.appendText(`${group.keyId === UNNAMED_KEY ? label : keyLabel(ref, known)}\n\n`);
    if (known) md.appendText(`State: ${known.state ?? 'unknown'} — known to ${known.connectionLabel ?? known.connectionId}\n\n`);
    else if (group.keyId !== UNNAMED_KEY)
      md.appendText(
        this.secrets.known.peek(group.keyId) === null ? 'None of your connections knows this key.\n\n' : 'Not looked up yet.\n\n',
      );
    for (const r of group.refs) md.appendText(`${r}\n`);
    if (problems[0]) md.appendText(`\n${problems[0].message}`);
    t.tooltip = md;
    t.iconPath = problems.length
      ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'))
      : new vscode.ThemeIcon('key');
    t.contextValue =
      SecretsContext.key +
      (group.keyId === UNNAMED_KEY ? '.unnamed' : '') +
      (known?.state === 'Disabled' ? '.disabled' : '') +
      (known?.state === 'PendingDeletion' ? '.pendingDeletion' : '');
    return t;
  }

  private fileItem(entry: InventoryEntry, keyId: string): vscode.TreeItem {
    const uri = vscode.Uri.file(entry.path);
    const t = new vscode.TreeItem(uri, vscode.TreeItemCollapsibleState.None);
    t.id = `file:${keyId}:${entry.path}`;
    t.label = this.relativePath(entry.path);
    const context = entry.encryptionContext ? formatEncryptionContext(entry.encryptionContext) : undefined;
    const sopsContexts = entry.kmsContexts ? Object.values(entry.kmsContexts).map(formatEncryptionContext).join('; ') : undefined;
    const others = entry.otherMasterKeys?.length ? `also ${entry.otherMasterKeys.map((o) => o.split(' ')[0]).join(', ')}` : undefined;
    t.description = [entry.formatLabel, context || sopsContexts, others].filter(Boolean).join(' · ');
    const problems = this.secrets.problemsOf(entry);
    const lines = [
      entry.path,
      `Format: ${entry.formatLabel}`,
      `Keys: ${entry.keyRefs.map((r) => (r === UNNAMED_KEY ? 'not named in the ciphertext' : r)).join(', ')}`,
    ];
    if (entry.encryptionContext) lines.push(`Encryption context: ${formatEncryptionContext(entry.encryptionContext) || 'none'}`);
    if (entry.kmsContexts)
      for (const [arn, c] of Object.entries(entry.kmsContexts)) lines.push(`Context of ${arn}: ${formatEncryptionContext(c)}`);
    if (entry.otherMasterKeys?.length) lines.push(`Other SOPS master keys: ${entry.otherMasterKeys.join(', ')}`);
    if (entry.otherProviders?.length) lines.push(`Other key providers: ${entry.otherProviders.join(', ')}`);
    for (const p of problems) lines.push(`⚠ ${p.message}`);
    t.tooltip = lines.join('\n');
    if (problems.length) t.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
    t.contextValue = SecretsContext.file;
    t.command = { command: 'vscode.open', title: 'Open', arguments: [uri] };
    return t;
  }

  private relativePath(path: string): string {
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(path));
    if (!folder) return path;
    const rel = relative(folder.uri.fsPath, path);
    return (vscode.workspace.workspaceFolders?.length ?? 0) > 1 ? `${folder.name}/${rel}` : rel;
  }
}
