// The `kms-decrypted:` file system: decrypted text held in memory only, one view per
// encrypted file (editable) or Git revision of it (read-only). To VS Code a view behaves
// like a file whose content is "the decrypted file on disk": reading decrypts (on first use,
// or again after a reload of the window, when memory starts empty), saving encrypts the new
// text again with the same key, context and format and replaces the real file atomically.
//
// When the encrypted file changes on disk, the view is decrypted again and VS Code is told
// the "file" changed: an editor without unsaved changes reloads, one with unsaved changes
// gets VS Code's own conflict handling at save (the view's mtime is newer, so VS Code offers
// Compare / Overwrite), and the save itself is refused unless the file still holds the
// version the view last decrypted (content hash). Nothing is ever written but the ciphertext.
import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import { withCancellableProgress } from '../ui/cancellableProgress';
import { diskChangeOf, encryptForTarget, replaceIfUnchanged } from '../../core/decrypted/decryptedFile';
import { KmsError } from '../../core/kms/errors';
import type { Log } from '../log';
import { isCancellation } from '../ui/userInput';
import { DECRYPTED_SCHEME, type DecryptedView, realFolderOfDecrypted, viewOf } from './decryptedUris';
import type { DecryptedLoader, LoadOptions, WorkingState } from './decryptedLoader';
import type { WriteFaults } from '../../core/files/atomicReplace';

/** How often an editable view's file is checked by stat, besides its file system watcher. */
const STAT_INTERVAL_MS = 2000;

/** One decrypted view held in memory. */
interface View extends DecryptedView {
  readonly uri: vscode.Uri;
  plaintext: Buffer;
  /** The encrypted file's mtime when this content was decrypted or saved. */
  mtime: number;
  readonly ctime: number;
  readonly loadedAt: number;
  /** Editable views: how to encrypt again, and which version of the file the content is. */
  working?: WorkingState;
  /** Why the view cannot be saved (the file was deleted, or its new version cannot be decrypted). */
  blocked?: string;
  /** The file was seen deleted (said once). */
  deleted?: boolean;
  /**
   * Text an Auto Save after a delay handed over and that is not encrypted yet (held in memory
   * like the rest): what VS Code reads back as the "file" until it is written (see deferSave).
   */
  pending?: Buffer;
  /** Saves and refreshes of the view, one at a time. */
  queue: Promise<unknown>;
}

export class DecryptedFileSystem implements vscode.FileSystemProvider, vscode.Disposable {
  private readonly changes = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changes.event;
  private readonly views = new Map<string, View>();
  private readonly loading = new Map<string, Promise<View>>();
  private readonly refreshed = new vscode.EventEmitter<{ uri: vscode.Uri; outcome: 'updated' | 'deleted' | 'blocked' }>();
  /** A view's file changed on disk and the view was decrypted again (or could not be). */
  readonly onDidRefresh = this.refreshed.event;
  /** A watcher on each encrypted file shown by an editable view, by file path. */
  private readonly watchers = new Map<string, vscode.Disposable>();
  /** Test seam: faults of the atomic writer for the next saves (set only in the extension test host). */
  writeFaults: WriteFaults | undefined;
  /**
   * Whether a write of `content` to `uri` is an Auto Save after a delay, to be held in memory
   * instead of encrypted (set by DecryptedAutoSave, which sees the save reason VS Code gives).
   */
  deferSave: (uri: vscode.Uri, content: Uint8Array) => boolean = () => false;
  private readonly pendingChanged = new vscode.EventEmitter<vscode.Uri>();
  /** A view got (or lost) text held back from an Auto Save. */
  readonly onDidChangePending = this.pendingChanged.event;

  constructor(
    private readonly loader: DecryptedLoader,
    private readonly log: Log,
  ) {}

  // ------------------------------------------------------------------ the store

  /** Whether `uri` has decrypted content in memory. */
  has(uri: vscode.Uri): boolean {
    return this.views.has(uri.toString());
  }

  /** URIs of the views in memory. */
  uris(): vscode.Uri[] {
    return [...this.views.values()].map((v) => v.uri);
  }

  /** When the view was decrypted (for dropping views no editor shows). */
  loadedAt(uri: vscode.Uri): number | undefined {
    return this.views.get(uri.toString())?.loadedAt;
  }

  /** The working state of an editable view in memory (key, context, format). */
  workingState(uri: vscode.Uri): WorkingState | undefined {
    return this.views.get(uri.toString())?.working;
  }

  /**
   * Decrypts `uri`'s file (or revision) into memory unless it is there already;
   * `fresh` decrypts again even then (opening a file decrypted always shows it as it is now).
   */
  async open(uri: vscode.Uri, options: LoadOptions & { fresh?: boolean }): Promise<void> {
    // Text held back from Auto Save is never thrown away by opening the file again.
    const replaced = options.fresh === true && !this.hasPending(uri) && this.drop(uri);
    await this.ensure(uri, options);
    // An editor already showing it (a diff of HEAD, say) reads it again.
    if (replaced) this.changes.fire([{ type: vscode.FileChangeType.Changed, uri }]);
  }

  /** Whether the view holds text an Auto Save handed over that is not encrypted to disk yet. */
  hasPending(uri: vscode.Uri): boolean {
    return this.views.get(uri.toString())?.pending !== undefined;
  }

  /** URIs of the views holding text not encrypted to disk yet. */
  pendingUris(): vscode.Uri[] {
    return [...this.views.values()].filter((v) => v.pending).map((v) => v.uri);
  }

  /** Encrypts and writes the text an Auto Save handed over (nothing when there is none). */
  async flush(uri: vscode.Uri): Promise<void> {
    const view = this.views.get(uri.toString());
    if (!view?.pending) return;
    await this.enqueue(view, async () => {
      if (view.pending) await this.save(view, view.pending);
    });
  }

  /** Drops a view's plaintext from memory (its editor was closed); never one holding text not written yet. */
  drop(uri: vscode.Uri): boolean {
    const key = uri.toString();
    const view = this.views.get(key);
    if (!view || view.pending) return false;
    this.views.delete(key);
    view.plaintext.fill(0);
    if (view.working && ![...this.views.values()].some((v) => v.working && v.file.fsPath === view.file.fsPath)) {
      this.watchers.get(view.file.fsPath)?.dispose();
      this.watchers.delete(view.file.fsPath);
    }
    return true;
  }

  /**
   * Watches an encrypted file an editable view shows, so a change on disk (a git pull) is
   * noticed. A file system watcher does most of it; a stat every 2 s catches what it misses (a
   * change made before the watcher was running, or no watcher at all when the system's limit
   * of watches is reached). Either only leads to a check of the file's content hash.
   */
  private watchFile(file: vscode.Uri, loadedMtime: number): void {
    if (this.watchers.has(file.fsPath)) return;
    const watcher = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(vscode.Uri.file(dirname(file.fsPath)), basename(file.fsPath)),
    );
    // Our own change events reach watchers too (they match by path, whatever the scheme): only the file counts.
    const changed = (uri: vscode.Uri): void => {
      if (uri.scheme === 'file') this.fileChanged(file);
    };
    let lastSeen: number | 'missing' = loadedMtime;
    let statting = false;
    const poll = setInterval(() => {
      if (statting) return;
      statting = true;
      stat(file.fsPath).then(
        (info) => {
          statting = false;
          if (info.mtimeMs === lastSeen) return;
          lastSeen = info.mtimeMs;
          this.fileChanged(file);
        },
        () => {
          statting = false;
          if (lastSeen === 'missing') return;
          lastSeen = 'missing';
          this.fileChanged(file);
        },
      );
    }, STAT_INTERVAL_MS);
    poll.unref?.();
    const parts: vscode.Disposable[] = [
      watcher,
      watcher.onDidChange(changed),
      watcher.onDidCreate(changed),
      watcher.onDidDelete(changed),
      { dispose: () => clearInterval(poll) },
    ];
    this.watchers.set(file.fsPath, {
      dispose: () => {
        for (const part of parts) part.dispose();
      },
    });
  }

  /** Checks every editable view of `file` against the disk (a watcher saw it change). */
  fileChanged(file: vscode.Uri): void {
    for (const view of this.views.values()) {
      if (view.working && view.file.fsPath === file.fsPath) void this.enqueue(view, () => this.refresh(view));
    }
  }

  private ensure(uri: vscode.Uri, options: LoadOptions = { interactive: true }): Promise<View> {
    const key = uri.toString();
    const existing = this.views.get(key);
    if (existing) return Promise.resolve(existing);
    let pending = this.loading.get(key);
    if (!pending) {
      pending = this.load(uri, options).finally(() => this.loading.delete(key));
      this.loading.set(key, pending);
    }
    return pending;
  }

  private async load(uri: vscode.Uri, options: LoadOptions): Promise<View> {
    const location = viewOf(uri);
    if (!location) throw vscode.FileSystemError.FileNotFound(uri);
    const now = Date.now();
    if (location.ref !== undefined) {
      const plaintext = await this.loader.loadRevision(location.file, location.ref, options);
      const view: View = { ...location, uri, plaintext, mtime: now, ctime: now, loadedAt: now, queue: Promise.resolve() };
      this.views.set(uri.toString(), view);
      return view;
    }
    const loaded = await this.loader.loadWorking(location.file, options);
    const view: View = {
      ...location,
      uri,
      plaintext: loaded.plaintext,
      mtime: loaded.state.mtimeMs,
      ctime: loaded.state.mtimeMs,
      loadedAt: now,
      working: loaded.state,
      queue: Promise.resolve(),
    };
    this.views.set(uri.toString(), view);
    this.watchFile(location.file, loaded.state.mtimeMs);
    return view;
  }

  private enqueue<T>(view: View, task: () => Promise<T>): Promise<T> {
    const run = view.queue.then(task, task);
    view.queue = run.catch(() => undefined);
    return run;
  }

  /** The file changed on disk: decrypt its new version (or note why the view can no longer be saved). */
  private async refresh(view: View): Promise<void> {
    const working = view.working;
    if (!working || this.views.get(view.uri.toString()) !== view) return;
    const name = basename(view.file.fsPath);
    const { change } = await diskChangeOf(view.file.fsPath, working.ciphertextHash).catch(() => ({ change: 'unchanged' as const }));
    if (change === 'unchanged') {
      if (!view.deleted) return;
      // The same version is back (git checkout): the view can be saved again.
      view.deleted = false;
      view.blocked = undefined;
      this.changes.fire([{ type: vscode.FileChangeType.Created, uri: view.uri }]);
      return;
    }
    if (change === 'deleted') {
      if (view.deleted) return;
      view.deleted = true;
      view.blocked =
        `${name} was deleted on disk; this decrypted editor cannot be saved. ` +
        'Restore the file (for example with git checkout), or close the editor.';
      this.log.info(`${view.file.fsPath} was deleted on disk while open decrypted`);
      this.changes.fire([{ type: vscode.FileChangeType.Deleted, uri: view.uri }]);
      this.refreshed.fire({ uri: view.uri, outcome: 'deleted' });
      return;
    }
    if (view.pending) {
      // Text held back from Auto Save is never replaced silently: its write (at the next save) is refused, and says why.
      this.log.info(`${view.file.fsPath} changed on disk while its decrypted editor held changes not yet written`);
      return;
    }
    try {
      const loaded = await this.loader.loadWorking(view.file, { interactive: false, previous: working });
      view.plaintext.fill(0);
      view.plaintext = loaded.plaintext;
      view.working = loaded.state;
      view.mtime = loaded.state.mtimeMs;
      view.blocked = undefined;
      view.deleted = false;
      this.log.info(`${view.file.fsPath} changed on disk; its decrypted view was decrypted again`);
      this.changes.fire([{ type: vscode.FileChangeType.Changed, uri: view.uri }]);
      this.refreshed.fire({ uri: view.uri, outcome: 'updated' });
    } catch (error) {
      view.blocked =
        `${name} changed on disk and its new version cannot be opened decrypted (${reasonOf(error)}). ` +
        'This editor still shows the version decrypted before and cannot be saved over the newer file; ' +
        'close it, or open the file decrypted again.';
      this.log.error(`${view.file.fsPath} changed on disk and could not be decrypted again`, error);
      this.refreshed.fire({ uri: view.uri, outcome: 'blocked' });
    }
  }

  private async save(view: View, content: Uint8Array): Promise<void> {
    const working = view.working;
    if (!working)
      throw vscode.FileSystemError.NoPermissions(
        `${basename(view.file.fsPath)} at ${view.ref ?? 'this revision'} is read-only: it shows a version from Git history.`,
      );
    if (view.blocked) throw new KmsError('CannotSave', view.blocked);
    const name = basename(view.file.fsPath);
    try {
      // Cancel (in the notification shown when the save takes more than a moment) aborts the KMS call.
      const out = await withCancellableProgress(`Saving ${name} encrypted`, async (signal) => {
        const bytes = await encryptForTarget(content, working.target, name, working.kms, signal);
        return replaceIfUnchanged(view.file.fsPath, bytes, working.ciphertextHash, { faults: this.writeFaults, signal });
      });
      view.working = { ...working, ciphertextHash: out.ciphertextHash, mtimeMs: out.mtimeMs };
      view.plaintext.fill(0);
      view.plaintext = Buffer.from(content);
      view.mtime = out.mtimeMs;
      this.clearPending(view);
      this.log.info(`Saved ${view.file.fsPath} from its decrypted editor (${working.target.format}, ${working.target.keyId})`);
    } catch (error) {
      this.log.error(`Failed to save ${view.file.fsPath} from its decrypted editor`, error);
      // A newer version on disk: decrypt it, so VS Code's conflict handling (Compare / Overwrite) takes over.
      if (error instanceof KmsError && (error.code === 'FileChangedOnDisk' || error.code === 'FileDeleted'))
        void this.enqueue(view, () => this.refresh(view));
      throw error;
    }
  }

  /** Holds the text of an Auto Save in memory: to VS Code it is saved, to the disk nothing happened. */
  private holdBack(view: View, content: Uint8Array): void {
    if (!view.working)
      throw vscode.FileSystemError.NoPermissions(
        `${basename(view.file.fsPath)} at ${view.ref ?? 'this revision'} is read-only: it shows a version from Git history.`,
      );
    view.pending?.fill(0);
    view.pending = Buffer.from(content);
    // A newer mtime, so VS Code's own conflict check sees its write went through.
    view.mtime = Math.max(Date.now(), view.mtime + 1);
    this.pendingChanged.fire(view.uri);
  }

  private clearPending(view: View): void {
    if (!view.pending) return;
    if (view.pending !== view.plaintext) view.pending.fill(0);
    view.pending = undefined;
    this.pendingChanged.fire(view.uri);
  }

  // ------------------------------------------------------------------ FileSystemProvider

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    // Folders of the encrypted files exist as (empty) folders: VS Code creates a file's
    // parent folders before writing it unless they stat as folders.
    const folder = await folderStat(uri);
    if (folder) return folder;
    const view = await this.guard(uri, () => this.ensure(uri));
    return {
      type: vscode.FileType.File,
      ctime: view.ctime,
      mtime: view.mtime,
      size: (view.pending ?? view.plaintext).byteLength,
      permissions: view.working ? undefined : vscode.FilePermission.Readonly,
    };
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    const view = await this.guard(uri, () => this.ensure(uri));
    // A copy: the view's buffer is wiped when it is dropped, maybe before VS Code is done with this one.
    return Uint8Array.from(view.pending ?? view.plaintext);
  }

  async writeFile(uri: vscode.Uri, content: Uint8Array, options: { readonly create: boolean; readonly overwrite: boolean }): Promise<void> {
    void options;
    await this.guard(uri, async () => {
      const view = await this.ensure(uri);
      if (this.deferSave(uri, content)) {
        this.holdBack(view, content);
        return;
      }
      await this.enqueue(view, () => this.save(view, content));
    });
  }

  watch(): vscode.Disposable {
    // Changes are announced by the views themselves (fileChanged → refresh).
    return { dispose: () => undefined };
  }

  async readDirectory(uri: vscode.Uri): Promise<[string, vscode.FileType][]> {
    // Nothing is listed: decrypted views exist only when opened by name.
    if (await folderStat(uri)) return [];
    throw vscode.FileSystemError.FileNotADirectory(uri);
  }

  createDirectory(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  delete(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(`${uri.path}: a decrypted view cannot be deleted; delete the encrypted file itself.`);
  }

  rename(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(`${uri.path}: a decrypted view cannot be renamed; rename the encrypted file itself.`);
  }

  /** Turns our errors into FileSystemErrors VS Code shows with their sentence. */
  private async guard<T>(uri: vscode.Uri, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof vscode.FileSystemError) throw error;
      if (isCancellation(error)) throw vscode.FileSystemError.Unavailable(`${basename(uri.path)}: cancelled.`);
      if (error instanceof KmsError && error.code === 'FileNotFound') throw vscode.FileSystemError.FileNotFound(uri);
      throw vscode.FileSystemError.Unavailable(reasonOf(error));
    }
  }

  dispose(): void {
    for (const watcher of this.watchers.values()) watcher.dispose();
    this.watchers.clear();
    for (const view of this.views.values()) {
      view.plaintext.fill(0);
      view.pending?.fill(0);
    }
    this.views.clear();
    this.pendingChanged.dispose();
    this.changes.dispose();
    this.refreshed.dispose();
  }
}

export { DECRYPTED_SCHEME };

/** A folder stat when `uri`'s path (whatever its query) is a folder on disk. */
async function folderStat(uri: vscode.Uri): Promise<vscode.FileStat | undefined> {
  const folder = realFolderOfDecrypted(uri) ?? vscode.Uri.from({ scheme: 'file', path: uri.path });
  const info = await stat(folder.fsPath).catch(() => undefined);
  if (!info?.isDirectory()) return undefined;
  return {
    type: vscode.FileType.Directory,
    ctime: info.ctimeMs,
    mtime: info.mtimeMs,
    size: 0,
    permissions: vscode.FilePermission.Readonly,
  };
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
