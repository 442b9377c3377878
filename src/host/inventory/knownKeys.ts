// What the user's connections know of the keys the workspace's files name: state, aliases,
// account. Asked only of the user's own and approved connections (ConnectionService.connections()
// never returns an unapproved proposal), through the KMS tree's KeyDirectory of each (its cache
// and its concurrency limit), and only of connections in the key's region (ARNs).
import type { Connection } from '../../core/aws/connection';
import type { KnownKey } from '../../core/inventory/keyHealth';
import { parseKeyRef } from '../../core/inventory/keyRefs';
import type { KeyDirectory } from '../../core/tree/keyDirectory';
import * as vscode from 'vscode';

export class KnownKeys {
  private readonly known = new Map<string, KnownKey | null>();
  private accounts = new Set<string>();
  private accountsComplete = false;
  /** The account-trust decision (AccountTrust) for the accounts the files' key ARNs name, by ARN account. */
  private readonly trustedByAccount = new Map<string, boolean>();

  constructor(
    private readonly connections: () => Promise<Connection[]>,
    private readonly directoryFor: (connection: Connection) => KeyDirectory,
    /** The extension's one account-trust check: the connections' accounts (STS or ARNs), kmsWorkbench.trustedAccounts, workspace approvals. */
    private readonly isTrusted?: (ref: string, connection: Connection) => Promise<boolean>,
  ) {}

  /** What is known of the key id (null: asked, no connection knows it; undefined: not asked yet). */
  peek(keyId: string): KnownKey | null | undefined {
    return this.known.get(keyId);
  }

  /** Forgets everything known, in the key directories too, so the next look asks KMS again (an explicit refresh). */
  async refresh(keyId?: string): Promise<void> {
    const connections = await this.connections().catch(() => [] as Connection[]);
    for (const [id, known] of this.known) {
      if (keyId && id !== keyId) continue;
      const connection = known && connections.find((c) => c.id === known.connectionId);
      if (connection) this.directoryFor(connection).invalidateKey(id);
      this.known.delete(id);
    }
  }

  forget(keyId?: string): void {
    if (keyId) this.known.delete(keyId);
    else {
      this.known.clear();
      this.trustedByAccount.clear();
    }
  }

  /** Asks the connections about keys not asked about yet; `refs` are ARNs or key ids. */
  async resolve(refs: readonly string[], signal?: AbortSignal): Promise<void> {
    const todo = new Map<string, string>();
    for (const ref of refs) {
      const p = parseKeyRef(ref);
      if (this.known.has(p.keyId)) continue;
      const had = todo.get(p.keyId);
      if (!had || (p.arn && !had.startsWith('arn:'))) todo.set(p.keyId, ref);
    }
    if (todo.size === 0) return;
    const connections = await this.connections().catch(() => [] as Connection[]);
    const accounts = new Set<string>();
    let complete = connections.length > 0;
    await Promise.all(
      [...todo].map(async ([keyId, ref]) => {
        const p = parseKeyRef(ref);
        for (const connection of connections) {
          if (signal?.aborted) return;
          if (p.region && p.region !== connection.region) continue;
          const directory = this.directoryFor(connection);
          if (p.account && directory.accountId && directory.accountId !== p.account) continue;
          try {
            // By key id: the directory caches (and invalidates) by key id; region and account were matched above.
            const meta = await directory.describe(keyId);
            const aliases = (await directory.aliases().catch(() => undefined))?.aliasesOf(meta.KeyId ?? keyId) ?? [];
            this.known.set(keyId, {
              keyId,
              arn: meta.Arn,
              state: meta.KeyState,
              deletionDate: meta.DeletionDate,
              aliases,
              connectionId: connection.id,
              connectionLabel: connection.label,
            });
            return;
          } catch {
            // not in this connection (NotFound, AccessDenied in another account…): try the next
          }
        }
        if (!signal?.aborted) this.known.set(keyId, null);
      }),
    );
    for (const connection of connections) {
      const account = this.directoryFor(connection).accountId;
      if (account) accounts.add(account);
      else complete = false;
    }
    this.accounts = accounts;
    this.accountsComplete = complete;
    if (this.isTrusted && connections.length) {
      for (const ref of new Set([...todo.values()].filter((r) => parseKeyRef(r).account))) {
        const account = parseKeyRef(ref).account!;
        if (this.trustedByAccount.has(account)) continue;
        this.trustedByAccount.set(account, await this.isTrusted(ref, connections[0]).catch(() => true));
      }
    }
  }

  /**
   * Whether the account of a key is trusted: the extension's account-trust decision, taken when
   * the keys were resolved; before that (or without it), the account of one of the user's
   * connections or one listed in kmsWorkbench.trustedAccounts; when a connection's account is not
   * known yet, nothing is called untrusted.
   */
  isAccountTrusted(ref: string): boolean {
    const account = parseKeyRef(ref).account;
    if (!account) return true;
    const decided = this.trustedByAccount.get(account);
    if (decided !== undefined) return decided;
    if (this.accounts.has(account)) return true;
    const listed = vscode.workspace.getConfiguration('kmsWorkbench').inspect<unknown>('trustedAccounts')?.globalValue;
    if (Array.isArray(listed) && listed.some((a) => String(a) === account)) return true;
    return !this.accountsComplete;
  }
}
