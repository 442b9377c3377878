import * as vscode from 'vscode';

const APPROVALS_KEY = 'kmsWorkbench.connectionApprovals';

/** What is stored per workspace: fingerprint → when it was approved. */
type Store = Record<string, Record<string, string>>;

/**
 * The user's approvals of proposed connections, per workspace and connection fingerprint,
 * in the extension's global state (the user's profile storage: nothing a repository can
 * write, and not synced to other machines). Keyed by the workspace's identity (its
 * .code-workspace file, else its folders), so one store lists every approval and a
 * workspace opened elsewhere (another clone, another path) asks again.
 */
export class ConnectionApprovals {
  constructor(private readonly memento: vscode.Memento) {}

  isApproved(fingerprint: string): boolean {
    const workspace = workspaceIdentity();
    return workspace !== undefined && this.store()[workspace]?.[fingerprint] !== undefined;
  }

  async approve(fingerprint: string): Promise<void> {
    const workspace = workspaceIdentity();
    if (workspace === undefined) throw new Error('No workspace is open: there is nothing to approve a connection for.');
    const store = this.store();
    await this.memento.update(APPROVALS_KEY, { ...store, [workspace]: { ...store[workspace], [fingerprint]: new Date().toISOString() } });
  }

  /** Returns whether there was an approval to revoke. */
  async revoke(fingerprint: string): Promise<boolean> {
    const workspace = workspaceIdentity();
    const store = this.store();
    const approved = workspace === undefined ? undefined : store[workspace];
    if (!workspace || !approved || approved[fingerprint] === undefined) return false;
    const rest = Object.fromEntries(Object.entries(approved).filter(([f]) => f !== fingerprint));
    const next: Store = { ...store, [workspace]: rest };
    if (!Object.keys(rest).length) delete next[workspace];
    await this.memento.update(APPROVALS_KEY, next);
    return true;
  }

  private store(): Store {
    const raw = this.memento.get<unknown>(APPROVALS_KEY);
    return typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Store) : {};
  }
}

/** The open workspace's identity: its .code-workspace file, else its folders; undefined with none. */
export function workspaceIdentity(): string | undefined {
  const file = vscode.workspace.workspaceFile;
  if (file && file.scheme !== 'untitled') return `workspace:${file.toString()}`;
  const folders = vscode.workspace.workspaceFolders?.map((f) => f.uri.toString()).sort();
  return folders?.length ? `folders:${folders.join('\n')}` : undefined;
}
