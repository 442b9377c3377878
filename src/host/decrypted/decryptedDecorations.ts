// What marks a decrypted editor apart from the encrypted file's own: the tab label
// ("app.json (decrypted)", from the resourceLabelFormatters contribution in package.json,
// which also gives workspace-relative paths in tooltips and Quick Open), and this decoration:
// an open-lock badge and a tooltip saying where the text lives; a different colour while an
// Auto Save's text is held in memory and not yet encrypted to disk.
import * as vscode from 'vscode';
import type { DecryptedFileSystem } from './decryptedFileSystem';
import { DECRYPTED_SCHEME, viewOf } from './decryptedUris';

export class DecryptedDecorations implements vscode.FileDecorationProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri[]>();
  readonly onDidChangeFileDecorations = this.changed.event;
  private readonly disposables: vscode.Disposable[];

  constructor(private readonly fs: DecryptedFileSystem) {
    this.disposables = [
      this.changed,
      vscode.window.registerFileDecorationProvider(this),
      fs.onDidChangePending((uri) => this.changed.fire([uri])),
    ];
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    if (uri.scheme !== DECRYPTED_SCHEME) return undefined;
    const view = viewOf(uri);
    if (!view) return undefined;
    const file = vscode.workspace.asRelativePath(view.file, false);
    if (view.ref !== undefined) return { badge: '🔓', tooltip: `Decrypted view of ${file} at ${view.ref} (read-only, held in memory)` };
    if (this.fs.hasPending(uri)) {
      return {
        badge: '🔓',
        color: new vscode.ThemeColor('gitDecoration.modifiedResourceForeground'),
        tooltip:
          `Decrypted view of ${file}: changes kept in memory by Auto Save, not yet encrypted to disk. ` +
          'They are written when you save (Ctrl+S), switch editor or window, or close the editor.',
      };
    }
    return { badge: '🔓', tooltip: `Decrypted view of ${file}: the text is held in memory only; saving encrypts it again into ${file}.` };
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
