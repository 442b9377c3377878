// Said once (a global flag), the first time a file is opened decrypted: what VS Code may still
// write to disk or hand to other extensions, which KMS Workbench cannot prevent.
import * as vscode from 'vscode';

const SHOWN = 'kmsWorkbench.decrypted.persistenceNoticeShown';

export function persistenceNotice(context: vscode.ExtensionContext): () => void {
  return () => {
    if (context.globalState.get<boolean>(SHOWN)) return;
    void context.globalState.update(SHOWN, true);
    const removing = vscode.workspace.getConfiguration('kmsWorkbench').get<boolean>('removeDecryptedBackups', true);
    const message =
      'Decrypted editors keep the plaintext in memory only. ' +
      (removing
        ? 'While one has unsaved changes, VS Code backs it up to disk; KMS Workbench deletes those backups at ' +
          'once, so unsaved decrypted changes do not survive a crash or a reload. '
        : 'While one has unsaved changes, VS Code backs it up to disk until it is saved or closed (kmsWorkbench.removeDecryptedBackups is off). ') +
      'Other extensions can read open editors, and Save As or copying writes the plaintext where you put it.';
    void vscode.window.showInformationMessage(message, 'Learn More').then((choice) => {
      if (choice === 'Learn More')
        void vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.joinPath(context.extensionUri, 'README.md'));
    });
  };
}
