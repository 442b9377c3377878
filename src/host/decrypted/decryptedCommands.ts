// The commands of decrypted editing: open an encrypted file decrypted in a normal text
// editor, and compare its decrypted Git HEAD (or another revision) with it.
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { ArgumentError } from '../../core/args/argumentError';
import { Args } from '../../core/args/readArgs';
import type { DecryptedFormat } from '../../core/decrypted/decryptedFile';
import { isValidRef } from '../../core/decrypted/names';
import type { EncryptionContext } from '../../core/envelope/messageFormat';
import { KmsError } from '../../core/kms/errors';
import type { CommandSpec } from '../commands/commandRunner';
import { isScripted } from '../editor/editorKms';
import { targetFiles } from '../editor/fileCommands';
import type { DecryptedFileSystem } from './decryptedFileSystem';
import { decryptedUri, viewOf } from './decryptedUris';

export interface OpenDecryptedResult {
  /** The decrypted editor's URI (`kms-decrypted:…`). */
  readonly uri: string;
  /** Path of the encrypted file. */
  readonly file: string;
  /** `message-base64`, `message-binary` (AWS Encryption SDK message) or `blob` (KMS ciphertext blob). */
  readonly format: DecryptedFormat;
  /** ARN of the key it is encrypted under, and saved under. */
  readonly keyId: string;
  /** The encryption context it is encrypted with, and saved with. */
  readonly encryptionContext: EncryptionContext;
  /** What saving changes besides the text (another suite, data keys under other keys dropped); also shown. */
  readonly changesOnSave: readonly string[];
}

export interface CompareResult {
  /** The read-only decrypted revision (left). */
  readonly left: string;
  /** The decrypted working copy (right). */
  readonly right: string;
  readonly ref: string;
}

/** What the commands are given. */
export interface DecryptedCommandDeps {
  readonly fs: DecryptedFileSystem;
  /** Called after a file was opened decrypted (the one-time notice about what VS Code persists). */
  readonly opened: (uri: vscode.Uri) => void;
}

/**
 * The encrypted file a command is about: `uri` of an argument object (a Uri, an absolute
 * path, or a decrypted editor's URI), the Explorer's or editor title's Uri, else the active
 * editor's file (a decrypted editor stands for its encrypted file).
 */
function encryptedFileOf(arg: unknown, all: readonly unknown[], args: Args, command: string): vscode.Uri {
  const raw = args.raw('uri');
  const given =
    raw instanceof vscode.Uri
      ? raw
      : typeof raw === 'string' && raw.startsWith('kms-decrypted:')
        ? vscode.Uri.parse(raw)
        : arg instanceof vscode.Uri && !args.has('uri')
          ? arg
          : undefined;
  const candidate = given ?? (args.has('uri') ? undefined : vscode.window.activeTextEditor?.document.uri);
  if (candidate) {
    const view = viewOf(candidate);
    if (view) return view.file;
    if (candidate.scheme === 'file') return candidate;
    if (!args.has('uri'))
      throw new KmsError(
        'NotAFile',
        `${candidate.toString()} is not a file on disk; only encrypted files on disk can be opened decrypted.`,
      );
  }
  return targetFiles(arg, all, args, command)[0];
}

/** Whether an editor has `uri` open (then its content is not replaced under it). */
function isOpen(uri: vscode.Uri): boolean {
  return vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString());
}

/**
 * `kmsWorkbench.openDecrypted` `{ uri?, encryptionContext?, connection? }`: opens an
 * encrypted file's plaintext in a text editor, held in memory only (never written to disk).
 * Saving encrypts it again with the same key, encryption context and format and replaces the
 * file atomically. `encryptionContext`: for a KMS blob, the context it was encrypted with
 * (default: the one remembered for the file; asked for when KMS refuses it); for a message,
 * pairs its context must have. Returns `{ uri, file, format, keyId, encryptionContext, changesOnSave }`.
 */
export function openDecrypted(deps: DecryptedCommandDeps): CommandSpec<OpenDecryptedResult> {
  return {
    id: 'kmsWorkbench.openDecrypted',
    action: 'open the file decrypted',
    run: async (arg, _services, all) => {
      const command = 'kmsWorkbench.openDecrypted';
      const args = Args.from(command, arg, ['uri', 'encryptionContext', 'connection']);
      const file = encryptedFileOf(arg, all, args, command);
      const encryptionContext = args.stringMap('encryptionContext');
      const connection = args.string('connection', 'a connection label or id');
      const uri = decryptedUri({ file });
      // An editor already open keeps its text (and unsaved changes); otherwise decrypt the file as it is now.
      await deps.fs.open(uri, { interactive: !isScripted(arg), encryptionContext, connection, fresh: !isOpen(uri) });
      const state = deps.fs.workingState(uri);
      if (!state) throw new KmsError('NotDecrypted', `${basename(file.fsPath)} could not be opened decrypted.`);
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { preview: false });
      deps.opened(uri);
      const changesOnSave = state.target.changesOnSave;
      if (changesOnSave.length)
        void vscode.window.showWarningMessage(
          `Saving ${basename(file.fsPath)} from its decrypted editor changes how it is encrypted. ${changesOnSave.join(' ')}`,
        );
      return {
        uri: uri.toString(),
        file: file.fsPath,
        format: state.target.format,
        keyId: state.target.keyId,
        encryptionContext: { ...state.target.encryptionContext },
        changesOnSave: [...changesOnSave],
      };
    },
  };
}

/**
 * `kmsWorkbench.compareDecryptedWithHead` `{ uri?, ref?, encryptionContext?, connection? }`:
 * a diff editor of an encrypted file's decrypted Git revision (`ref`, default HEAD; read-only)
 * against its decrypted working copy, both held in memory. The revision is read through the
 * built-in Git extension. Returns `{ left, right, ref }` (the two URIs).
 */
export function compareDecryptedWithHead(deps: DecryptedCommandDeps): CommandSpec<CompareResult> {
  return {
    id: 'kmsWorkbench.compareDecryptedWithHead',
    action: 'compare the decrypted file with HEAD',
    run: async (arg, _services, all) => {
      const command = 'kmsWorkbench.compareDecryptedWithHead';
      const args = Args.from(command, arg, ['uri', 'ref', 'encryptionContext', 'connection']);
      const file = encryptedFileOf(arg, all, args, command);
      const ref = args.string('ref', 'a Git revision such as HEAD, HEAD~1, a branch, tag or commit') ?? 'HEAD';
      if (!isValidRef(ref))
        throw new ArgumentError(`${command}: "ref" must be a Git revision such as HEAD, HEAD~1, a branch, tag or commit, not "${ref}".`);
      const encryptionContext = args.stringMap('encryptionContext');
      const connection = args.string('connection', 'a connection label or id');
      const interactive = !isScripted(arg);
      const right = decryptedUri({ file });
      const left = decryptedUri({ file, ref });
      // The revision is read again each time (HEAD moves); the working copy only when no editor has it.
      await deps.fs.open(left, { interactive, encryptionContext, connection, fresh: true });
      await deps.fs.open(right, { interactive, encryptionContext, connection, fresh: !isOpen(right) });
      const name = basename(right.path);
      await vscode.commands.executeCommand('vscode.diff', left, right, `${name} (${ref} ↔ Working Tree, decrypted)`, { preview: false });
      deps.opened(right);
      return { left: left.toString(), right: right.toString(), ref };
    },
  };
}
