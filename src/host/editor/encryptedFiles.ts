// Which files are encrypted and which are secrets files: the lock badge on encrypted files in
// the Explorer (a FileDecorationProvider reading the first bytes of each file it is asked
// about), and the context keys the Explorer's KMS menu entries test:
//   kmsWorkbench.secretsFiles    paths matching the kmsWorkbench.secretsFiles globs, and encrypted files
//   kmsWorkbench.encryptedFiles  paths of files seen to be encrypted
//   kmsWorkbench.sopsFiles       paths of files seen to be SOPS files (their key commands)
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { encryptedFileSummary } from '../../core/envelope/ciphertextSummary';
import { detectFileFormat, isEncryptedFormat, MAX_SOPS_BYTES } from '../../core/envelope/detect';
import { describeFormat } from '../../core/envelope/fileEncryption';
import { MAX_BLOB_LENGTH } from '../../core/envelope/kmsBlob';
import { readRange } from '../../core/files/fileIo';
import { secretsFileGlobs } from './editorKms';

/** Enough to recognise a message or a whole small blob file. */
const HEAD_BYTES = 2 * MAX_BLOB_LENGTH;
const MAX_SECRETS_FILES = 5000;

export class EncryptedFiles implements vscode.FileDecorationProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri[]>();
  readonly onDidChangeFileDecorations = this.changed.event;
  /** By fsPath: what the file was when last looked at. */
  private readonly known = new Map<string, { mtimeMs: number; size: number; tooltip?: string; sops?: boolean }>();
  private readonly sopsPaths = new Set<string>();
  private readonly secrets = new Set<string>();
  private readonly encryptedPaths = new Set<string>();
  private readonly disposables: vscode.Disposable[] = [];
  private watchers: vscode.Disposable[] = [];
  private publishTimer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;

  constructor() {
    this.disposables.push(
      this.changed,
      vscode.window.registerFileDecorationProvider(this),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('kmsWorkbench.secretsFiles')) void this.scan();
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => void this.scan()),
      vscode.workspace.onDidSaveTextDocument((doc) => this.refresh(doc.uri)),
    );
    // Files changed outside the editor (a terminal, git): only those already looked at matter.
    const all = vscode.workspace.createFileSystemWatcher('**/*', true, false, false);
    this.disposables.push(
      all,
      all.onDidChange((uri) => this.known.has(uri.fsPath) && this.refresh(uri)),
      all.onDidDelete((uri) => this.forget(uri)),
    );
    void this.scan();
  }

  /** Looks at `uri` again (after a command changed it). */
  refresh(uri: vscode.Uri): void {
    this.known.delete(uri.fsPath);
    this.changed.fire([uri]);
  }

  /** Resolves once the first scan of secrets files is done (for tests). */
  ready(): Promise<void> {
    return this.scanning ?? Promise.resolve();
  }

  async provideFileDecoration(uri: vscode.Uri): Promise<vscode.FileDecoration | undefined> {
    if (uri.scheme !== 'file') return undefined;
    const info = await stat(uri.fsPath).catch(() => undefined);
    if (!info?.isFile() || info.size === 0) {
      this.note(uri.fsPath, false);
      return undefined;
    }
    let entry = this.known.get(uri.fsPath);
    if (!entry || entry.mtimeMs !== info.mtimeMs || entry.size !== info.size) {
      let head = await readRange(uri.fsPath, Math.min(info.size, HEAD_BYTES)).catch(() => undefined);
      if (!head) return undefined;
      let format = detectFileFormat(head, info.size, basename(uri.fsPath));
      if (
        format.kind === 'plaintext' &&
        info.size > head.length &&
        info.size <= MAX_SOPS_BYTES &&
        /ENC\[AES256_GCM,|sops/.test(head.toString('latin1'))
      ) {
        // SOPS metadata is at the end of the file.
        head = await readFile(uri.fsPath).catch(() => undefined);
        if (head) format = detectFileFormat(head, info.size, basename(uri.fsPath));
      }
      let tooltip: string | undefined;
      if (format.kind === 'sops') {
        tooltip = `SOPS file (${format.store}) for ${format.masterKeys.join('; ') || 'no master key'}`;
      } else if (isEncryptedFormat(format)) {
        tooltip = encryptedFileSummary(describeFormat(format), format.kind === 'message' ? format.header : undefined);
      }
      entry = { mtimeMs: info.mtimeMs, size: info.size, tooltip, sops: format.kind === 'sops' };
      this.known.set(uri.fsPath, entry);
    }
    this.noteSops(uri.fsPath, entry.sops === true);
    this.note(uri.fsPath, entry.tooltip !== undefined);
    return entry.tooltip ? { badge: '🔒', tooltip: entry.tooltip, propagate: false } : undefined;
  }

  /** Keeps the set of encrypted paths (and the context keys) up to date. */
  private note(fsPath: string, encrypted: boolean): void {
    if (encrypted === this.encryptedPaths.has(fsPath)) return;
    if (encrypted) this.encryptedPaths.add(fsPath);
    else this.encryptedPaths.delete(fsPath);
    this.publish();
  }

  private noteSops(fsPath: string, sops: boolean): void {
    if (sops === this.sopsPaths.has(fsPath)) return;
    if (sops) this.sopsPaths.add(fsPath);
    else this.sopsPaths.delete(fsPath);
    this.publish();
  }

  private forget(uri: vscode.Uri): void {
    this.sopsPaths.delete(uri.fsPath);
    this.known.delete(uri.fsPath);
    const had = this.encryptedPaths.delete(uri.fsPath) || this.secrets.delete(uri.fsPath);
    if (had) this.publish();
  }

  /** Finds the files matching the secrets-file globs of each workspace folder, and watches for more. */
  private scan(): Promise<void> {
    const run = async (): Promise<void> => {
      for (const w of this.watchers) w.dispose();
      this.watchers = [];
      this.secrets.clear();
      for (const folder of vscode.workspace.workspaceFolders ?? []) {
        const globs = secretsFileGlobs(folder.uri);
        if (globs.length === 0) continue;
        const pattern = new vscode.RelativePattern(folder, globs.length === 1 ? globs[0] : `{${globs.join(',')}}`);
        const found = await vscode.workspace.findFiles(pattern, '**/node_modules/**', MAX_SECRETS_FILES);
        for (const uri of found) this.secrets.add(uri.fsPath);
        const watcher = vscode.workspace.createFileSystemWatcher(pattern, false, true, false);
        this.watchers.push(
          watcher,
          watcher.onDidCreate((uri) => {
            this.secrets.add(uri.fsPath);
            this.publish();
          }),
          watcher.onDidDelete((uri) => {
            if (this.secrets.delete(uri.fsPath)) this.publish();
          }),
        );
      }
      this.publish(true);
    };
    this.scanning = run();
    return this.scanning;
  }

  /** Sets the context keys (debounced: many files are looked at at once). */
  private publish(now = false): void {
    if (this.publishTimer) clearTimeout(this.publishTimer);
    const set = (): void => {
      this.publishTimer = undefined;
      const secrets: Record<string, true> = {};
      for (const p of this.secrets) secrets[p] = true;
      for (const p of this.encryptedPaths) secrets[p] = true;
      const encrypted: Record<string, true> = {};
      for (const p of this.encryptedPaths) encrypted[p] = true;
      void vscode.commands.executeCommand('setContext', 'kmsWorkbench.secretsFiles', secrets);
      void vscode.commands.executeCommand('setContext', 'kmsWorkbench.encryptedFiles', encrypted);
      const sops: Record<string, true> = {};
      for (const p of this.sopsPaths) sops[p] = true;
      void vscode.commands.executeCommand('setContext', 'kmsWorkbench.sopsFiles', sops);
    };
    if (now) set();
    else this.publishTimer = setTimeout(set, 100);
  }

  dispose(): void {
    if (this.publishTimer) clearTimeout(this.publishTimer);
    for (const d of [...this.watchers, ...this.disposables]) d.dispose();
  }
}
