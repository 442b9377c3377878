import * as vscode from 'vscode';
import type { WriteFaults } from '../../core/files/atomicReplace';
import { registerCommands } from '../commands/commandRunner';
import { setTestCancel } from '../ui/cancellableProgress';
import type { CommandSpec } from '../commands/commandRunner';
import type { Services } from '../services';
import { CiphertextHover, peekCiphertext } from './ciphertextPeek';
import type { EditorDeps } from './editorKms';
import { EncryptedFiles } from './encryptedFiles';
import type { EncryptionMemory } from './encryptionMemory';
import { decryptFile, encryptFile, reEncryptFile } from './fileCommands';
import { scheduleTemporaryFileSweep, sweepTemporaryFiles } from './temporaryFileSweep';
import { decryptSelection, encryptSelection, reEncryptSelection } from './selectionCommands';
import { trackSelectionContext } from './selectionContext';
import { trackLastFileEditor } from './lastFileEditor';
import { sopsCommands } from '../sops/sopsCommands';

/** The editor encryption commands (issue 5), in menu order. */
export function editorEncryptionCommands(deps: EditorDeps): CommandSpec[] {
  return [
    encryptSelection(deps),
    decryptSelection(deps),
    reEncryptSelection(deps),
    peekCiphertext(deps),
    encryptFile(deps),
    decryptFile(deps),
    reEncryptFile(deps),
    ...sopsCommands(deps),
  ] as CommandSpec[];
}

/**
 * Encrypting in place: the selection and file commands, the hover with "Decrypt to peek", the
 * lock badge of encrypted files and the context keys of the Explorer's KMS entries.
 */
/** Test seams of editor encryption, reached through the extension's testing API (test mode only). */
export interface EditorEncryptionTesting {
  /**
   * `{ at: 'write' | 'sync' | 'rename', afterBytes? }` makes every following file write fail there
   * (as a full disk or a failing device would); no argument clears it.
   */
  setWriteFaults(spec?: { at: 'write' | 'sync' | 'rename'; afterBytes?: number }): void;
  /** Runs the startup sweep of left-over temporary files now; returns the paths removed. */
  sweepTemporaryFiles(untouchedMs?: number): Promise<string[]>;
  /** Presses Cancel on a progress (title, percent done) when the predicate says so; no argument clears it. */
  cancelProgressWhen(predicate?: (title: string, percent: number) => boolean): void;
  /** Forgets that this workspace went on with Decrypt Selection in an auto-saved file (the warning shows again). */
  forgetAutoSaveWarning(): Promise<void>;
  /** The status bar message of the last Encrypt/Decrypt/Re-encrypt File or Selection that finished. */
  lastDoneMessage(): string | undefined;
}

export function registerEditorEncryption(
  context: vscode.ExtensionContext,
  services: Services,
  memory: EncryptionMemory,
): EditorEncryptionTesting {
  const files = new EncryptedFiles();
  const deps: EditorDeps = {
    services,
    memory,
    fileChanged: (uri) => files.refresh(uri),
  };
  registerCommands(context, services, editorEncryptionCommands(deps));
  context.subscriptions.push(
    files,
    vscode.languages.registerHoverProvider([{ scheme: 'file' }, { scheme: 'untitled' }], new CiphertextHover(services.keyNames)),
    scheduleTemporaryFileSweep(services),
    trackSelectionContext(),
    trackLastFileEditor(),
  );
  return {
    setWriteFaults: (spec) => {
      deps.writeFaults = spec ? writeFaults(spec) : undefined;
    },
    sweepTemporaryFiles: (untouchedMs) => sweepTemporaryFiles(services, untouchedMs),
    cancelProgressWhen: (predicate) => setTestCancel(predicate),
    forgetAutoSaveWarning: () => deps.memory.acknowledgeAutoSavePlaintext(false),
    lastDoneMessage: () => deps.lastDone,
  };
}

function writeFaults(spec: { at: 'write' | 'sync' | 'rename'; afterBytes?: number }): WriteFaults {
  const fail = (what: string): never => {
    throw Object.assign(new Error(`${what} (injected by the integration tests)`), { code: 'EIO' });
  };
  switch (spec.at) {
    case 'write':
      return { beforeWrite: (written) => (written >= (spec.afterBytes ?? 0) ? fail('EIO: write failed') : undefined) };
    case 'sync':
      return { beforeSync: () => fail('EIO: fsync failed') };
    case 'rename':
      return { beforeRename: () => fail('EIO: rename failed') };
  }
}
