import * as vscode from 'vscode';

/**
 * Workspace trust, read in one place. In Restricted Mode (an untrusted workspace) VS Code
 * already ignores the workspace values of the settings package.json lists under
 * `capabilities.untrustedWorkspaces.restrictedConfigurations`; on top of that the extension
 * neither shows nor uses connections the workspace proposes, and never decrypts a file
 * because it was opened.
 *
 * The extension's integration tests run with trust disabled (always trusted); they
 * simulate Restricted Mode through `setWorkspaceTrustOverride`.
 */

let override: boolean | undefined;
const changed = new vscode.EventEmitter<boolean>();

/** Fires with the new answer of isWorkspaceTrusted() when trust is granted (or the test override changes). */
export const onDidChangeWorkspaceTrust = changed.event;

/** Whether the workspace is trusted: the one function the extension reads trust through. */
export function isWorkspaceTrusted(): boolean {
  return override ?? vscode.workspace.isTrusted;
}

/** Listens to VS Code's trust grant (a workspace cannot become untrusted without a reload). */
export function watchWorkspaceTrust(): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.workspace.onDidGrantWorkspaceTrust(() => changed.fire(isWorkspaceTrusted())),
    { dispose: () => (override = undefined) },
  );
}

/** Test seam: pretend the workspace is (not) trusted; undefined restores VS Code's answer. */
export function setWorkspaceTrustOverride(value: boolean | undefined): void {
  if (override === value) return;
  override = value;
  changed.fire(isWorkspaceTrusted());
}

/** What Restricted Mode limits, in the words the view and the README use. */
export const RESTRICTED_MODE_LIMITS = [
  'Connections this workspace proposes (kmsWorkbench.proposedConnections) are neither shown for approval nor used.',
  'The workspace\u2019s own values of kmsWorkbench.defaultKey, openEncryptedFiles, ' +
    'promptForEncryptionContext, fileFormat and secretsFiles are ignored: your user settings apply.',
  'Opening an encrypted file never decrypts it by itself: Open Decrypted is always your choice.',
] as const;
