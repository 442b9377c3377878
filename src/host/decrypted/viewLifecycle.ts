// How long decrypted text stays in memory: while an editor (tab, diff side) or an open
// document shows it. Closing the last editor of a view drops its plaintext; views read by
// something that never opened an editor are dropped after a while. Also: what a person is
// told when a file open decrypted changes on disk.
import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { Services } from '../services';
import type { DecryptedFileSystem } from './decryptedFileSystem';
import { DECRYPTED_SCHEME } from './decryptedUris';

/** Views no editor shows are dropped after this long. */
const UNSHOWN_MS = 30_000;

/** URIs the open tabs show (both sides of diffs). */
function shownUris(): Set<string> {
  const shown = new Set<string>();
  for (const group of vscode.window.tabGroups.all) {
    for (const tab of group.tabs) {
      const input = tab.input;
      if (input instanceof vscode.TabInputText) shown.add(input.uri.toString());
      else if (input instanceof vscode.TabInputTextDiff) {
        shown.add(input.original.toString());
        shown.add(input.modified.toString());
      }
    }
  }
  return shown;
}

export class DecryptedViewLifecycle implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly fs: DecryptedFileSystem,
    private readonly services: Services,
  ) {
    this.disposables.push(
      vscode.window.tabGroups.onDidChangeTabs((e) => {
        if (e.closed.length) this.closed(e.closed);
      }),
      vscode.workspace.onDidCloseTextDocument((doc) => {
        if (doc.uri.scheme === DECRYPTED_SCHEME && !shownUris().has(doc.uri.toString())) this.fs.drop(doc.uri);
      }),
      fs.onDidRefresh((e) => {
        this.tell(e.uri, e.outcome).catch((error: unknown) =>
          this.services.log.error(`Could not tell about the change of ${e.uri.path}`, error),
        );
      }),
    );
    this.timer = setInterval(() => this.dropUnshown(UNSHOWN_MS), UNSHOWN_MS);
    this.timer.unref?.();
  }

  /** Tabs closed: drop the views they showed that no other tab shows (even if VS Code has not disposed the document yet). */
  private closed(tabs: readonly vscode.Tab[]): void {
    const shown = shownUris();
    for (const tab of tabs) {
      const input = tab.input;
      const uris =
        input instanceof vscode.TabInputText
          ? [input.uri]
          : input instanceof vscode.TabInputTextDiff
            ? [input.original, input.modified]
            : [];
      for (const uri of uris) {
        if (uri.scheme !== DECRYPTED_SCHEME || shown.has(uri.toString())) continue;
        if (vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString() && d.isDirty)) continue;
        if (this.fs.drop(uri)) this.services.log.info(`Dropped the decrypted text of ${uri.path} from memory (its editor was closed)`);
      }
    }
  }

  /** Drops views loaded a while ago that no tab shows and no open document holds. */
  dropUnshown(minAgeMs: number): void {
    const shown = shownUris();
    const open = new Set(vscode.workspace.textDocuments.map((d) => d.uri.toString()));
    const now = Date.now();
    for (const uri of this.fs.uris()) {
      const key = uri.toString();
      if (shown.has(key) || open.has(key) || now - (this.fs.loadedAt(uri) ?? 0) < minAgeMs) continue;
      if (this.fs.drop(uri)) this.services.log.info(`Dropped the decrypted text of ${uri.path} from memory (no editor shows it)`);
    }
  }

  /** Says what happened when a file open decrypted changed on disk. */
  private async tell(uri: vscode.Uri, outcome: 'updated' | 'deleted' | 'blocked'): Promise<void> {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    const name = basename(uri.path);
    if (outcome === 'updated') {
      // An editor without unsaved changes simply shows the new version (VS Code reloads it).
      if (!doc?.isDirty) return;
      const choice = await this.services.ui.choose(
        `${name} changed on disk while you were editing it decrypted (a git pull?). ` +
          'Your unsaved changes are kept, and saving asks before overwriting the newer version.',
        ['Reload', 'Compare'],
        { severity: 'warning' },
      );
      if (choice === 'Reload') await reload(doc);
      if (choice === 'Compare') await vscode.commands.executeCommand('workbench.files.action.compareWithSaved', doc.uri);
      return;
    }
    if (outcome === 'deleted') {
      await this.services.ui.choose(
        `${name} was deleted on disk while open decrypted. The editor keeps its text, but it cannot be saved until the file is back.`,
        [],
        { severity: 'warning' },
      );
      return;
    }
    await this.services.ui.choose(
      `${name} changed on disk and its new version cannot be decrypted here. ` +
        'The editor keeps the version decrypted before and cannot be saved over the newer file.',
      [],
      { severity: 'warning' },
    );
  }

  dispose(): void {
    clearInterval(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}

/** Throws away unsaved changes of a decrypted editor and shows the file's current version. */
export async function reload(doc: vscode.TextDocument): Promise<void> {
  await vscode.window.showTextDocument(doc, { preview: false });
  await vscode.commands.executeCommand('workbench.action.files.revert');
}
