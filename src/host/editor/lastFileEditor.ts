import * as vscode from 'vscode';

/**
 * The file on disk of the text editor a person last had in front of them, while it is still open
 * in a tab. Commands run without an argument object from a place that is no text editor (the
 * Getting Started walkthrough's buttons, a webview) act on it instead of the active editor,
 * which is then none.
 */
let last: vscode.Uri | undefined;

export function trackLastFileEditor(): vscode.Disposable {
  const note = (editor: vscode.TextEditor | undefined): void => {
    if (editor?.document.uri.scheme === 'file') last = editor.document.uri;
  };
  note(vscode.window.activeTextEditor);
  return vscode.window.onDidChangeActiveTextEditor(note);
}

/** The last file editor's document URI, if a tab still shows it. */
export function lastFileEditorUri(): vscode.Uri | undefined {
  const uri = last;
  if (!uri) return undefined;
  const open = vscode.window.tabGroups.all.some((g) =>
    g.tabs.some((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === uri.toString()),
  );
  return open ? uri : undefined;
}
