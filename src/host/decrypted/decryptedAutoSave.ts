// Auto Save and decrypted editors. Every write of a decrypted editor is a KMS call and a new
// ciphertext (a new diff in git), so an Auto Save after a delay (files.autoSave: afterDelay,
// code-server's default) must not write on every pause in typing.
//
// How: VS Code tells extensions why a document is saved (onWillSaveTextDocument, with
// TextDocumentSaveReason AfterDelay / Manual / FocusOut) just before the save reaches the file
// system provider, and an extension cannot cancel a save (a provider that fails it gets an
// error notification and an editor in error state). So the provider takes the text of an
// AfterDelay save into memory, where the decrypted text already is, and writes nothing: to
// VS Code the editor is saved. The held text is encrypted and written on an explicit save
// (Ctrl+S, which VS Code performs even on an unchanged editor), when another editor or window
// takes the focus, and when the editor is closed; its tab carries a mark until then.
import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { Log } from '../log';
import type { DecryptedFileSystem } from './decryptedFileSystem';
import { DECRYPTED_SCHEME } from './decryptedUris';

/** How long the reason seen before a save applies to the write that follows it. */
const REASON_TTL_MS = 10_000;

export class DecryptedAutoSave implements vscode.Disposable {
  /** By URI: when the last save announced as an Auto Save after a delay was announced. */
  private readonly delayed = new Map<string, number>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly fs: DecryptedFileSystem,
    private readonly log: Log,
  ) {
    fs.deferSave = (uri) => this.isDelayedSave(uri);
    this.disposables.push(
      vscode.workspace.onWillSaveTextDocument((e) => {
        if (e.document.uri.scheme !== DECRYPTED_SCHEME) return;
        const key = e.document.uri.toString();
        if (e.reason === vscode.TextDocumentSaveReason.AfterDelay) this.delayed.set(key, Date.now());
        else {
          this.delayed.delete(key);
          // An explicit or focus save writes what Auto Save held back, whether or not VS Code then writes too.
          if (this.fs.hasPending(e.document.uri)) e.waitUntil(this.fs.flush(e.document.uri));
        }
      }),
      // Focus moves to another editor, or away from the window: write what Auto Save held back.
      vscode.window.onDidChangeActiveTextEditor((editor) => this.flushAll(editor?.document.uri)),
      vscode.window.onDidChangeWindowState((state) => {
        if (!state.focused) this.flushAll(undefined);
      }),
      vscode.window.tabGroups.onDidChangeTabs((e) => {
        for (const tab of e.closed) {
          const input = tab.input;
          if (input instanceof vscode.TabInputText && input.uri.scheme === DECRYPTED_SCHEME) this.flushOne(input.uri, true);
        }
      }),
    );
  }

  /** Whether this write is the one VS Code announced last for `uri` as an Auto Save after a delay (used once). */
  private isDelayedSave(uri: vscode.Uri): boolean {
    const key = uri.toString();
    const seen = this.delayed.get(key);
    this.delayed.delete(key);
    return seen !== undefined && Date.now() - seen < REASON_TTL_MS;
  }

  private flushAll(except: vscode.Uri | undefined): void {
    for (const uri of this.fs.pendingUris()) if (uri.toString() !== except?.toString()) this.flushOne(uri, false);
  }

  private flushOne(uri: vscode.Uri, closed: boolean): void {
    if (!this.fs.hasPending(uri)) return;
    this.fs.flush(uri).then(
      () => {
        if (closed) this.fs.drop(uri);
      },
      (error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        this.log.error(`Could not write the auto-saved changes of ${uri.path}`, error);
        const name = basename(uri.path);
        void vscode.window
          .showErrorMessage(
            `The changes to ${name} (decrypted) could not be encrypted and saved: ${reason} They are kept in ` +
              'memory; open the file decrypted again and save to retry.',
            'Open Decrypted',
          )
          .then((choice) => {
            if (choice === 'Open Decrypted') void vscode.window.showTextDocument(uri, { preview: false });
          });
      },
    );
  }

  dispose(): void {
    this.fs.deferSave = () => false;
    this.delayed.clear();
    for (const d of this.disposables) d.dispose();
  }
}
