import * as vscode from 'vscode';
import { detectTextCiphertext } from '../../core/envelope/detect';
import { splitQuoted, tokenAt } from '../../core/envelope/textScan';

/**
 * `kmsWorkbench.selectionIsCiphertext` is true while every selection of the active editor (or,
 * with an empty selection, the base64 token under the cursor) is a KMS ciphertext or Encryption SDK
 * message, as the selection commands detect it. The editor's context menu then offers Decrypt,
 * Re-encrypt and Peek there, and Encrypt Selection only on a selection that is not ciphertext.
 */
export const SELECTION_IS_CIPHERTEXT = 'kmsWorkbench.selectionIsCiphertext';

/** The shortest base64 token under an empty cursor taken for a ciphertext (as Decrypt Selection does). */
const MIN_TOKEN = 20;
/** Longer selections are not looked at on every cursor move (the commands still detect them when run). */
const MAX_SELECTION_CHARS = 1024 * 1024;

export function isCiphertextSelection(document: vscode.TextDocument, selections: readonly vscode.Selection[]): boolean {
  if (!selections.length) return false;
  return selections.every((selection) => {
    if (selection.isEmpty) {
      const line = document.lineAt(selection.active.line).text;
      const token = tokenAt(line, selection.active.character, MIN_TOKEN);
      return token !== undefined && detectTextCiphertext(token.text) !== undefined;
    }
    const range = document.validateRange(selection);
    if (document.offsetAt(range.end) - document.offsetAt(range.start) > MAX_SELECTION_CHARS) return false;
    return detectTextCiphertext(splitQuoted(document.getText(range), { trim: true }).inner) !== undefined;
  });
}

/** Keeps the context key up to date with the active editor's selections. */
export function trackSelectionContext(): vscode.Disposable {
  let last: boolean | undefined;
  const update = (editor: vscode.TextEditor | undefined): void => {
    const value = editor ? isCiphertextSelection(editor.document, editor.selections) : false;
    if (value === last) return;
    last = value;
    void vscode.commands.executeCommand('setContext', SELECTION_IS_CIPHERTEXT, value);
  };
  update(vscode.window.activeTextEditor);
  return vscode.Disposable.from(
    vscode.window.onDidChangeActiveTextEditor(update),
    vscode.window.onDidChangeTextEditorSelection((e) => update(e.textEditor)),
    vscode.workspace.onDidChangeTextDocument((e) => {
      const editor = vscode.window.activeTextEditor;
      if (editor && e.document === editor.document) update(editor);
    }),
  );
}
