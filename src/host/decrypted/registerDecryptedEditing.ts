import * as vscode from 'vscode';
import type { WriteFaults } from '../../core/files/atomicReplace';
import { registerCommands } from '../commands/commandRunner';
import type { CommandSpec } from '../commands/commandRunner';
import type { EditorDeps } from '../editor/editorKms';
import type { EncryptionMemory } from '../editor/encryptionMemory';
import type { Services } from '../services';
import { backupRoots, DecryptedBackupScrubber } from './backupScrubber';
import { compareDecryptedWithHead, openDecrypted } from './decryptedCommands';
import { DecryptedAutoSave } from './decryptedAutoSave';
import { DecryptedDecorations } from './decryptedDecorations';
import { DecryptedFileSystem } from './decryptedFileSystem';
import { KmsDecryptedLoader } from './decryptedLoader';
import { DECRYPTED_SCHEME } from './decryptedUris';
import { EncryptedFileOpening } from './encryptedFileOpening';
import { VscodeGitRevisions } from './gitRevisions';
import { persistenceNotice } from './persistenceNotice';
import { DecryptedViewLifecycle } from './viewLifecycle';

/**
 * Editing encrypted files decrypted (issue 8): the `kms-decrypted:` file system (plaintext in
 * memory only), Open Decrypted and Compare Decrypted with HEAD, views dropped when their
 * editors close, changes on disk noticed, VS Code's backups of unsaved decrypted editors
 * removed, and the kmsWorkbench.openEncryptedFiles setting (with a CodeLens) for encrypted
 * files opened as they are.
 */
/** Test seams of decrypted editing, reached through the extension's testing API (test mode only). */
export interface DecryptedEditingTesting {
  /** Which decrypted views hold plaintext in memory (URIs only). */
  views(): string[];
  /** How many backups of decrypted editors were removed, where they are looked for, and the extension's storage folders. */
  backups(): { removed: number; roots: string[]; globalStorage: string; storage?: string };
  /** `{ at: 'rename' | 'sync' }` makes the next saves of decrypted editors fail there; no argument clears it. */
  setWriteFaults(spec?: { at: 'sync' | 'rename' }): void;
}

export function registerDecryptedEditing(
  context: vscode.ExtensionContext,
  services: Services,
  memory: EncryptionMemory,
): DecryptedEditingTesting {
  // The same memory as the in-place commands: a blob's remembered encryption context is shared.
  const deps: EditorDeps = { services, memory, fileChanged: () => undefined };
  const fs = new DecryptedFileSystem(new KmsDecryptedLoader(deps, new VscodeGitRevisions()), services.log);
  const scrubber = new DecryptedBackupScrubber(backupRoots(context.globalStorageUri), services.log);
  context.subscriptions.push(
    fs,
    vscode.workspace.registerFileSystemProvider(DECRYPTED_SCHEME, fs, { isCaseSensitive: true }),
    new DecryptedViewLifecycle(fs, services),
    new DecryptedAutoSave(fs, services.log),
    new DecryptedDecorations(fs),
    scrubber,
    new EncryptedFileOpening(services, services.keyNames),
  );
  const commandDeps = { fs, opened: persistenceNotice(context) };
  registerCommands(context, services, [openDecrypted(commandDeps), compareDecryptedWithHead(commandDeps)] as CommandSpec[]);

  return {
    views: () => fs.uris().map((u) => u.toString()),
    backups: () => ({
      removed: scrubber.removed,
      roots: backupRoots(context.globalStorageUri),
      globalStorage: context.globalStorageUri.fsPath,
      storage: context.storageUri?.fsPath,
    }),
    setWriteFaults: (spec) => {
      fs.writeFaults = spec ? writeFaults(spec.at) : undefined;
    },
  };
}

function writeFaults(at: 'sync' | 'rename'): WriteFaults {
  const fail = (): never => {
    throw Object.assign(new Error(`EIO: ${at} failed (injected by the integration tests)`), { code: 'EIO' });
  };
  return at === 'sync' ? { beforeSync: fail } : { beforeRename: fail };
}
