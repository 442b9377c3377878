import { createHash } from 'node:crypto';
import type * as vscode from 'vscode';
import type { EncryptionContext } from '../../core/envelope/messageFormat';

const RECENT_KEYS = 'kmsWorkbench.editor.recentKeys';
const CONTEXTS = 'kmsWorkbench.editor.encryptionContexts';
const CONFIRMED_WORKSPACE_KEYS = 'kmsWorkbench.editor.confirmedWorkspaceDefaultKeys';
const AUTO_SAVE_PLAINTEXT_ACKNOWLEDGED = 'kmsWorkbench.editor.autoSavePlaintextAcknowledged';
const MAX_RECENT = 10;
const MAX_BLOBS_PER_FILE = 200;
const MAX_FILES = 500;

interface FileContexts {
  /** The context last used in this file. */
  last?: EncryptionContext;
  /** By ciphertext fingerprint, newest last. */
  blobs: Record<string, EncryptionContext>;
  at: number;
}

/**
 * What the editor commands remember between uses: the keys last used (per connection,
 * across workspaces), and the encryption context of KMS blobs per file (per workspace), so
 * decrypting offers it again. Encryption contexts are not secret (KMS logs them in
 * CloudTrail); no plaintext or key material is ever stored.
 */
export class EncryptionMemory {
  constructor(
    private readonly global: vscode.Memento,
    private readonly workspace: vscode.Memento,
  ) {}

  /** Whether the person, in this workspace, went on with Decrypt Selection in an auto-saved file after the warning. */
  isAutoSavePlaintextAcknowledged(): boolean {
    return this.workspace.get<boolean>(AUTO_SAVE_PLAINTEXT_ACKNOWLEDGED) === true;
  }

  /** `false`: forget it (tests), so the warning shows again. */
  async acknowledgeAutoSavePlaintext(acknowledged = true): Promise<void> {
    await this.workspace.update(AUTO_SAVE_PLAINTEXT_ACKNOWLEDGED, acknowledged ? true : undefined);
  }

  /** Whether the person confirmed, in this workspace, encrypting with this key chosen by the workspace's settings. */
  isWorkspaceKeyConfirmed(ref: string): boolean {
    return (this.workspace.get<string[]>(CONFIRMED_WORKSPACE_KEYS) ?? []).includes(ref);
  }

  async confirmWorkspaceKey(ref: string): Promise<void> {
    const confirmed = this.workspace.get<string[]>(CONFIRMED_WORKSPACE_KEYS) ?? [];
    if (!confirmed.includes(ref)) await this.workspace.update(CONFIRMED_WORKSPACE_KEYS, [...confirmed, ref]);
  }

  /** Key refs (alias names or key ids) picked in this connection, most recent first. */
  recentKeys(connectionId: string): string[] {
    return this.global.get<Record<string, string[]>>(RECENT_KEYS, {})[connectionId] ?? [];
  }

  async rememberKey(connectionId: string, ...refs: string[]): Promise<void> {
    const all = this.global.get<Record<string, string[]>>(RECENT_KEYS, {});
    const list = [...refs.filter(Boolean), ...(all[connectionId] ?? []).filter((r) => !refs.includes(r))].slice(0, MAX_RECENT);
    await this.global.update(RECENT_KEYS, { ...all, [connectionId]: list });
  }

  /** The context a blob in `file` was encrypted with here, else the one last used in the file. */
  contextFor(file: string, ciphertext?: string): EncryptionContext | undefined {
    const entry = this.workspace.get<Record<string, FileContexts>>(CONTEXTS, {})[file];
    if (!entry) return undefined;
    return (ciphertext ? entry.blobs[fingerprint(ciphertext)] : undefined) ?? entry.last;
  }

  /** Remembers the context of blobs just written into `file` (and as the file's last one). */
  async rememberContext(file: string, context: EncryptionContext, ciphertexts: readonly string[] = []): Promise<void> {
    const all = { ...this.workspace.get<Record<string, FileContexts>>(CONTEXTS, {}) };
    const entry: FileContexts = all[file] ? { ...all[file], blobs: { ...all[file].blobs } } : { blobs: {}, at: 0 };
    entry.last = Object.keys(context).length ? context : undefined;
    for (const text of ciphertexts) {
      const id = fingerprint(text);
      delete entry.blobs[id];
      if (Object.keys(context).length) entry.blobs[id] = context;
    }
    const ids = Object.keys(entry.blobs);
    for (const id of ids.slice(0, Math.max(0, ids.length - MAX_BLOBS_PER_FILE))) delete entry.blobs[id];
    entry.at = Date.now();
    all[file] = entry;
    const files = Object.keys(all);
    if (files.length > MAX_FILES) {
      for (const old of files.sort((a, b) => all[a].at - all[b].at).slice(0, files.length - MAX_FILES)) delete all[old];
    }
    await this.workspace.update(CONTEXTS, all);
  }
}

function fingerprint(ciphertext: string): string {
  return createHash('sha256').update(ciphertext).digest('hex').slice(0, 24);
}
