// The kmsWorkbench.defaultKey setting as a source of the key a command encrypts with: where
// it comes from (the person's user settings, or the repository's workspace/folder settings),
// and the once-per-workspace confirmation of a key the repository chose silently.
import * as vscode from 'vscode';
import type { Services } from '../services';
import { UserCancelledError } from '../ui/userInput';

/** What the workspace-key confirmation remembers (EncryptionMemory). */
export interface WorkspaceKeyConfirmations {
  isWorkspaceKeyConfirmed(ref: string): boolean;
  confirmWorkspaceKey(ref: string): Promise<void>;
}

export const DEFAULT_KEY_SETTING = 'defaultKey';

/** The kmsWorkbench.defaultKey setting of a scope, trimmed ('' when unset). */
export function defaultKeyOf(scope: vscode.Uri | undefined): string {
  return vscode.workspace.getConfiguration('kmsWorkbench', scope).get<string>(DEFAULT_KEY_SETTING, '').trim();
}

/** Where the effective kmsWorkbench.<key> comes from: the repository (workspace, folder) or the person (user settings). */
export function settingOrigin(key: string, scope: vscode.Uri | undefined): 'folder' | 'workspace' | 'user' | undefined {
  const inspected = vscode.workspace.getConfiguration('kmsWorkbench', scope).inspect<unknown>(key);
  if (!inspected) return undefined;
  // A single-folder workspace reports its settings.json as both workspace and folder value.
  if (
    inspected.workspaceFolderValue !== undefined &&
    vscode.workspace.workspaceFile !== undefined &&
    inspected.workspaceFolderValue !== inspected.workspaceValue
  )
    return 'folder';
  if (inspected.workspaceFolderValue !== undefined) return 'workspace';
  if (inspected.workspaceValue !== undefined) return 'workspace';
  if (inspected.globalValue !== undefined) return 'user';
  return undefined;
}

export const ENCRYPT_WITH_WORKSPACE_KEY = 'Encrypt with This Key';

/**
 * A key chosen by the repository's kmsWorkbench.defaultKey, when the repository also turned off
 * the encryption-context prompt, would otherwise be used without anything showing it: the
 * person is asked once per workspace and key, seeing the key and its account.
 */
export async function confirmSilentWorkspaceKey(
  services: Pick<Services, 'ui'>,
  confirmations: WorkspaceKeyConfirmations,
  ref: string,
  shown: string,
  source: string,
  scope: vscode.Uri | undefined,
): Promise<void> {
  const origin = settingOrigin('promptForEncryptionContext', scope);
  const prompts = vscode.workspace.getConfiguration('kmsWorkbench', scope).get<boolean>('promptForEncryptionContext', true);
  if (prompts || (origin !== 'workspace' && origin !== 'folder')) return;
  if (confirmations.isWorkspaceKeyConfirmed(ref)) return;
  const choice = await services.ui.choose(`${source} encrypts with ${shown}.`, [ENCRYPT_WITH_WORKSPACE_KEY], {
    modal: true,
    detail:
      'This workspace also turns off the encryption-context prompt, so nothing else shows the key before ' +
      `your data is encrypted.\n\nKey: ${ref}\n\nEncrypt with this key? You are asked once for this workspace.`,
  });
  if (choice !== ENCRYPT_WITH_WORKSPACE_KEY) throw new UserCancelledError();
  await confirmations.confirmWorkspaceKey(ref);
}
