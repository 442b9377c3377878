// The workspace's secrets: the inventory index over the workspace's files (built in the
// background with progress, files.exclude and .gitignore applied), kept current by a file
// system watcher (only changed files are read again), the key state of each file's keys, the
// plaintext secrets files, and the Problems entries for both.
import { basename, relative } from 'node:path';
import * as vscode from 'vscode';
import type { InventoryEntry } from '../../core/inventory/classify';
import { InventoryIndex } from '../../core/inventory/inventoryIndex';
import { type KeyProblem, keyProblems } from '../../core/inventory/keyHealth';
import { keyIdOf, UNNAMED_KEY } from '../../core/inventory/keyRefs';
import { type SecretsMatcher, secretsMatcher, sopsPathRules } from '../../core/inventory/secretsPatterns';
import { SOPS_CONFIG_NAME } from '../../core/sops/creationRules';
import { isTemporaryFileName } from '../../core/files/atomicReplace';
import { isJournalFileName } from '../../core/files/prefixJournal';
import type { Services } from '../services';
import { secretsFileGlobs } from '../editor/editorKms';
import { gitIgnored, listFolderFiles } from './fileList';
import type { KnownKeys } from './knownKeys';
import { publishWorkspaceUsage, usageChanged } from './keyUsage';

export const DIAGNOSTIC_SOURCE = 'KMS Workbench';
/** Diagnostic codes; the code actions read them. */
export const PLAINTEXT_CODE = 'plaintextSecretsFile';

export type InventoryState =
  | { kind: 'idle' }
  | { kind: 'scanning'; done: number; total: number }
  | { kind: 'ready'; files: number; encrypted: number; gitApplied: boolean; truncated: boolean };

export class WorkspaceSecrets implements vscode.Disposable {
  readonly index = new InventoryIndex();
  readonly diagnostics = vscode.languages.createDiagnosticCollection('kmsWorkbench.secrets');
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private matchers = new Map<string, SecretsMatcher>();
  /** Plaintext files matching a secrets pattern. */
  readonly plaintextSecrets = new Set<string>();
  state: InventoryState = { kind: 'idle' };
  private scanning: Promise<void> | undefined;
  private scanAbort: AbortController | undefined;
  private pending = new Map<string, 'update' | 'delete'>();
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private publishTimer: NodeJS.Timeout | undefined;
  private lastCounts = '';

  constructor(
    private readonly services: Services,
    readonly known: KnownKeys,
  ) {
    const watcher = vscode.workspace.createFileSystemWatcher('**/*');
    this.disposables.push(
      this.diagnostics,
      this.changed,
      watcher,
      watcher.onDidCreate((u) => this.queue(u, 'update')),
      watcher.onDidChange((u) => this.queue(u, 'update')),
      watcher.onDidDelete((u) => this.queue(u, 'delete')),
      vscode.workspace.onDidChangeWorkspaceFolders(() => void this.rescan()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('files.exclude')) void this.rescan();
        // Patterns changed: rescan (only files whose size or time moved are read again).
        else if (e.affectsConfiguration('kmsWorkbench.secretsFiles')) void this.rescan();
      }),
      // A key changed through the extension (enabled, deletion cancelled…): look it up again.
      services.onDidChangeKey((change) => {
        void this.known.refresh(change.keyId).then(() => this.resolveKeys());
      }),
      services.connections.onDidChange(() => {
        this.known.forget();
        void this.resolveKeys();
      }),
    );
    this.index.onDidChange(() => this.schedulePublish());
    publishWorkspaceUsage((keyId) => this.index.filesUnder(keyId).map((e) => e.path));
    this.disposables.push({ dispose: () => publishWorkspaceUsage(undefined) });
  }

  /** Resolves when the current scan (and the key look-ups after it) is done. */
  async ready(): Promise<void> {
    await this.scanning;
    await this.flushing;
  }

  /** Scans the whole workspace again (progress in the view and the window). */
  rescan(options: { refreshKeys?: boolean } = {}): Promise<void> {
    this.scanAbort?.abort();
    const abort = new AbortController();
    this.scanAbort = abort;
    const run = async (): Promise<void> => {
      if (options.refreshKeys) await this.known.refresh();
      await this.loadPatterns();
      const folders = vscode.workspace.workspaceFolders ?? [];
      const paths: string[] = [];
      let gitApplied = folders.length > 0;
      let truncated = false;
      for (const folder of folders) {
        const listed = await listFolderFiles(folder);
        paths.push(...listed.paths);
        gitApplied &&= listed.gitApplied;
        truncated ||= listed.truncated;
      }
      if (abort.signal.aborted) return;
      this.state = { kind: 'scanning', done: 0, total: paths.length };
      this.changed.fire();
      await vscode.window.withProgress({ location: { viewId: 'kmsWorkbench.secrets' }, title: 'Finding encrypted files' }, () =>
        this.index.scan(paths, {
          replace: true,
          signal: abort.signal,
          concurrency: 16,
          onProgress: (p) => {
            this.state = { kind: 'scanning', done: p.done, total: p.total };
            this.changed.fire();
          },
        }),
      );
      this.plaintextSecrets.clear();
      for (const p of paths) if (!this.index.get(p) && this.isSecretsPath(p)) this.plaintextSecrets.add(p);
      this.state = { kind: 'ready', files: paths.length, encrypted: this.index.entries().length, gitApplied, truncated };
      this.services.log.info(
        `Workspace secrets: ${this.index.entries().length} encrypted files of ${paths.length}${gitApplied ? ' (.gitignore applied)' : ''}.`,
      );
      await this.resolveKeys();
    };
    this.scanning = run().catch((error: unknown) => {
      if (!abort.signal.aborted) this.services.log.error('Workspace secrets: the scan failed', error);
    });
    return this.scanning;
  }

  private async loadPatterns(): Promise<void> {
    this.matchers.clear();
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const rules = [];
      const configs = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, `**/${SOPS_CONFIG_NAME}`), undefined, 50);
      for (const c of configs) {
        const text = Buffer.from(await vscode.workspace.fs.readFile(c)).toString('utf8');
        const dir = relative(folder.uri.fsPath, vscode.Uri.joinPath(c, '..').fsPath).split('\\').join('/');
        rules.push(...sopsPathRules(text, dir));
      }
      this.matchers.set(folder.uri.fsPath, secretsMatcher(secretsFileGlobs(folder.uri), rules));
    }
  }

  /** Whether a path matches kmsWorkbench.secretsFiles or a .sops.yaml rule of its folder. */
  isSecretsPath(path: string): boolean {
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(path));
    if (!folder) return false;
    const matcher = this.matchers.get(folder.uri.fsPath);
    return matcher ? matcher(relative(folder.uri.fsPath, path).split('\\').join('/')) : false;
  }

  private queue(uri: vscode.Uri, kind: 'update' | 'delete'): void {
    if (uri.scheme !== 'file' || /[\\/]\.git[\\/]/.test(uri.fsPath)) return;
    // The extension's own temporary and journal files (an in-place write in progress) are never
    // secrets files: reading them, and asking git about them, would compete with the write.
    const name = basename(uri.fsPath);
    if (isTemporaryFileName(name) || isJournalFileName(name)) return;
    this.pending.set(uri.fsPath, kind);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = setTimeout(() => {
      this.flushing = this.flushing.then(() => this.flush());
    }, 150);
  }

  /** Applies queued file events: only those files are read again. */
  private async flush(): Promise<void> {
    this.flushTimer = undefined;
    const batch = [...this.pending];
    this.pending.clear();
    if (batch.length === 0) return;
    if (batch.some(([p]) => p.endsWith(SOPS_CONFIG_NAME))) await this.loadPatterns();
    const updates = batch.filter(([, k]) => k === 'update').map(([p]) => p);
    const newPaths = updates.filter((p) => !this.index.has(p));
    const ignored = new Set<string>();
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const inFolder = newPaths.filter((p) => p.startsWith(folder.uri.fsPath));
      for (const p of await gitIgnored(folder.uri.fsPath, inFolder)) ignored.add(p);
    }
    const excluded = await this.excludedByFilesExclude(newPaths);
    for (const [path, kind] of batch) {
      if (kind === 'delete') {
        this.index.removeUnder(path);
        this.index.remove(path);
        this.plaintextSecrets.delete(path);
        continue;
      }
      if (ignored.has(path) || excluded.has(path) || !vscode.workspace.getWorkspaceFolder(vscode.Uri.file(path))) continue;
      const entry = await this.index.update(path).catch(() => undefined);
      if (!entry && this.isSecretsPath(path) && this.index.has(path)) this.plaintextSecrets.add(path);
      else this.plaintextSecrets.delete(path);
    }
    this.schedulePublish();
    await this.resolveKeys();
  }

  /** Of new paths, those files.exclude hides (findFiles on each, the default exclude applied). */
  private async excludedByFilesExclude(paths: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const p of paths.slice(0, 200)) {
      const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(p));
      if (!folder) continue;
      const rel = relative(folder.uri.fsPath, p).split('\\').join('/');
      const found = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, rel.replace(/[[\]{}*?]/g, '?')), undefined, 1);
      if (found.length === 0) out.add(p);
    }
    return out;
  }

  /** Looks up the keys the files name, then republishes. */
  async resolveKeys(): Promise<void> {
    const refs = new Set<string>();
    for (const e of this.index.entries()) for (const r of e.keyRefs) if (r !== UNNAMED_KEY) refs.add(r);
    await this.known.resolve([...refs]);
    this.publish();
  }

  problemsOf(entry: InventoryEntry): KeyProblem[] {
    return keyProblems(entry, {
      known: (ref) => this.known.peek(keyIdOf(ref)) ?? undefined,
      trusted: (ref) => this.known.isAccountTrusted(ref),
    }).filter((p) => p.kind !== 'unknownKey' || this.known.peek(keyIdOf(p.keyRef)) === null);
  }

  private schedulePublish(): void {
    if (this.publishTimer) return;
    this.publishTimer = setTimeout(() => {
      this.publishTimer = undefined;
      this.publish();
    }, 100);
  }

  /** Problems entries and views from the current index. */
  private publish(): void {
    const all: [vscode.Uri, vscode.Diagnostic[]][] = [];
    for (const entry of this.index.entries()) {
      const problems = this.problemsOf(entry);
      if (problems.length === 0) continue;
      all.push([vscode.Uri.file(entry.path), problems.map((p) => keyDiagnostic(entry, p))]);
    }
    for (const path of this.plaintextSecrets) {
      const d = new vscode.Diagnostic(
        new vscode.Range(0, 0, 0, 0),
        'This file matches a secrets pattern (kmsWorkbench.secretsFiles or a .sops.yaml creation rule) but is not encrypted. Encrypt it before committing it.',
        vscode.DiagnosticSeverity.Warning,
      );
      d.source = DIAGNOSTIC_SOURCE;
      d.code = PLAINTEXT_CODE;
      all.push([vscode.Uri.file(path), [d]]);
    }
    this.diagnostics.clear();
    this.diagnostics.set(all);
    this.changed.fire();
    const counts = JSON.stringify([...this.index.countsByKey()].sort());
    if (counts !== this.lastCounts) {
      this.lastCounts = counts;
      usageChanged();
    }
  }

  dispose(): void {
    this.scanAbort?.abort();
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.publishTimer) clearTimeout(this.publishTimer);
    for (const d of this.disposables) d.dispose();
  }
}

/** Extra data the code actions need, kept beside each diagnostic. */
export const problemOf = new WeakMap<vscode.Diagnostic, KeyProblem>();

function keyDiagnostic(entry: InventoryEntry, problem: KeyProblem): vscode.Diagnostic {
  const at = entry.embedded?.find((e) => e.keyRef === problem.keyRef);
  const range = at ? new vscode.Range(at.line, at.character, at.line, at.character + at.length) : new vscode.Range(0, 0, 0, 0);
  const d = new vscode.Diagnostic(
    range,
    problem.message,
    problem.fileStillOpens ? vscode.DiagnosticSeverity.Information : vscode.DiagnosticSeverity.Warning,
  );
  d.source = DIAGNOSTIC_SOURCE;
  d.code = `key.${problem.kind}`;
  problemOf.set(d, problem);
  return d;
}
