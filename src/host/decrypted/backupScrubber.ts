// VS Code backs up every editor with unsaved changes to disk, whatever its scheme, about a
// second after the last change (the "hot exit" backups under the user-data folder:
// `User/Backups/<workspace>/kms-decrypted/<hash>` in VS Code for the web and code-server,
// `Backups/<workspace>/kms-decrypted/<hash>` in the desktop app). Nothing an extension can
// set stops that: no provider capability, and `files.hotExit` only decides what happens at
// shutdown (measured with VS Code 1.100.3). So while a decrypted editor has unsaved changes,
// the backups of the `kms-decrypted` scheme are deleted as soon as they appear, and leftovers
// of a crash are deleted at start. The cost: unsaved changes of decrypted editors do not
// survive a crash or a reload. Setting kmsWorkbench.removeDecryptedBackups turns this off.
import { type FSWatcher, watch } from 'node:fs';
import { readdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import type { Log } from '../log';
import { DECRYPTED_SCHEME } from './decryptedUris';

/** How often the backup folders are looked at while a decrypted editor has unsaved changes. */
const POLL_MS = 200;

/** The folders VS Code keeps its backups in, from the extension's global storage folder (`<user data>/User/globalStorage/<id>`). */
export function backupRoots(globalStorage: vscode.Uri): string[] {
  const user = dirname(dirname(globalStorage.fsPath));
  return [join(user, 'Backups'), join(dirname(user), 'Backups')];
}

export class DecryptedBackupScrubber implements vscode.Disposable {
  private timer: NodeJS.Timeout | undefined;
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly disposables: vscode.Disposable[] = [];
  private scrubbing: Promise<void> | undefined;
  /** Backup files removed so far (for the log and the tests). */
  removed = 0;

  constructor(
    private readonly roots: readonly string[],
    private readonly log: Log,
  ) {
    this.disposables.push(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.scheme === DECRYPTED_SCHEME && this.enabled()) this.start();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('kmsWorkbench.removeDecryptedBackups') && !this.enabled()) this.stop();
      }),
    );
    // Left-overs of a crash or of a window closed with unsaved decrypted editors.
    if (this.enabled()) void this.scrub();
  }

  private enabled(): boolean {
    return vscode.workspace.getConfiguration('kmsWorkbench').get<boolean>('removeDecryptedBackups', true);
  }

  private start(): void {
    this.timer ??= setInterval(() => {
      void this.scrub().then(() => {
        if (!vscode.workspace.textDocuments.some((d) => d.uri.scheme === DECRYPTED_SCHEME && d.isDirty)) this.stop();
      });
    }, POLL_MS);
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  /** Deletes every backup of a decrypted editor found now, and watches their folders for the next ones. */
  scrub(): Promise<void> {
    this.scrubbing ??= this.scrubOnce().finally(() => (this.scrubbing = undefined));
    return this.scrubbing;
  }

  private async scrubOnce(): Promise<void> {
    for (const root of this.roots) {
      const workspaces = await readdir(root).catch(() => [] as string[]);
      for (const workspace of workspaces) {
        const dir = join(root, workspace, DECRYPTED_SCHEME);
        const files = await readdir(dir).catch(() => undefined);
        if (!files) continue;
        for (const name of files) await this.remove(join(dir, name));
        if (this.timer && !this.watchers.has(dir)) this.watchDir(dir);
      }
    }
  }

  /** A watcher deletes new backups the moment they are written (the poll is the fallback). */
  private watchDir(dir: string): void {
    try {
      const watcher = watch(dir, (_event, name) => {
        if (name) void this.remove(join(dir, name.toString()));
      });
      watcher.on('error', () => {
        watcher.close();
        this.watchers.delete(dir);
      });
      this.watchers.set(dir, watcher);
    } catch {
      // The poll still finds them.
    }
  }

  private async remove(path: string): Promise<void> {
    try {
      await unlink(path);
      this.removed++;
      this.log.info(`Removed a backup VS Code wrote of a decrypted editor with unsaved changes (${path})`);
    } catch {
      // Gone already (VS Code discards backups on save), or being replaced: the next look finds it.
    }
  }

  dispose(): void {
    this.stop();
    for (const d of this.disposables) d.dispose();
  }
}
