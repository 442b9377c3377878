// What the file commands share: which files a command acts on, the checks before a file is
// replaced (unsaved editors, write hazards, git, untrusted keys), and the loop that runs a
// command over its files with progress and cancel.
import { realpath, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { Args } from '../../core/args/readArgs';
import { ArgumentError } from '../../core/args/argumentError';
import {
  FILE_OUTPUT_FORMATS,
  type FileInspection,
  type FileJob,
  type FileOutputFormat,
  inspectFile,
} from '../../core/envelope/fileEncryption';
import type { EncryptionContext } from '../../core/envelope/messageFormat';
import { isTrackedByGit } from '../../core/files/gitTracked';
import { KmsError } from '../../core/kms/errors';
import { visibleKeyArns } from '../../core/trust/keyTrust';
import { withCancellableProgress } from '../ui/cancellableProgress';
import { UserCancelledError } from '../ui/userInput';
import { settleWriteHazards } from './writeHazards';
import { lastFileEditorUri } from './lastFileEditor';
import { NO_ARGS, askEncryptionContext, type EditorDeps, type EditorKms, isContextProblem } from './editorKms';

/** What a file command returns for each file. */
export interface FileResult {
  readonly uri: vscode.Uri;
  /** ARN of the key the file is now encrypted under (decrypt: the key that decrypted it). */
  readonly keyId: string;
  /** Encrypt and re-encrypt: every key the file is now encrypted for (any one decrypts). */
  readonly keyIds?: readonly string[];
  /** Re-encrypt adding or removing keys: the keys added and removed (ARNs). */
  readonly addedKeyIds?: readonly string[];
  readonly removedKeyIds?: readonly string[];
  /** `base64` or `binary` (Encryption SDK message), or `blob` (one KMS ciphertext blob, base64). */
  readonly format: FileOutputFormat;
  readonly encryptionContext: EncryptionContext;
  /** Re-encrypt only: the key it was encrypted under before. */
  readonly sourceKeyId?: string;
  /** Re-encrypt only: `rewrap` (only the header rewritten), `reencrypt` (decrypted and encrypted again) or `blob` (KMS ReEncrypt). */
  readonly method?: 'rewrap' | 'reencrypt' | 'blob';
  /** Decrypt only: git tracks the file, so its plaintext is one `git commit -a` away. */
  readonly trackedByGit?: boolean;
}

export const FILE_FIELDS = ['uri', 'uris', 'connection', 'confirm'] as const;

export function hazards(
  deps: EditorDeps,
  uris: readonly vscode.Uri[],
  args: Args,
  interactive: boolean,
  verb: string,
  command: string,
): Promise<Set<string>> {
  return settleWriteHazards(deps.services, uris, { interactive, confirmed: args.boolean('confirm') === true, verb, command });
}
/** From this many bytes in all, file commands show a progress notification with Cancel at once (smaller: after a moment). */
const LARGE_FILES = 4 * 1024 * 1024;

/**
 * The files a command acts on: `uri`/`uris` of an argument object (Uri or absolute path),
 * the Explorer's selection (the clicked Uri, and all selected ones second), else the active
 * editor's file.
 */
export function targetFiles(arg: unknown, all: readonly unknown[], args: Args, command: string): vscode.Uri[] {
  const toUri = (value: unknown, field: string): vscode.Uri => {
    if (value instanceof vscode.Uri) return value;
    if (typeof value === 'string' && value.trim() !== '') {
      if (/^file:\/\//.test(value)) return vscode.Uri.parse(value);
      if (value.startsWith('/') || /^[A-Za-z]:[\\/]/.test(value)) return vscode.Uri.file(value);
    }
    throw new ArgumentError(
      `${command}: "${field}" must be a Uri or an absolute file path, not ${typeof value === 'string' ? `"${value}"` : typeof value}.`,
    );
  };
  let uris: vscode.Uri[];
  if (args.has('uri') || args.has('uris')) {
    const many = args.raw('uris');
    if (many !== undefined && !Array.isArray(many))
      throw new ArgumentError(`${command}: "uris" must be an array of Uris or absolute file paths.`);
    uris = [
      ...(args.has('uri') ? [toUri(args.raw('uri'), 'uri')] : []),
      ...((many as unknown[] | undefined) ?? []).map((u, i) => toUri(u, `uris[${i}]`)),
    ];
    if (uris.length === 0) throw new ArgumentError(`${command}: "uris" is empty: name at least one file.`);
  } else if (arg instanceof vscode.Uri) {
    const selected = Array.isArray(all[1]) ? (all[1] as unknown[]).filter((u): u is vscode.Uri => u instanceof vscode.Uri) : [];
    uris = selected.some((u) => u.toString() === arg.toString()) ? selected : [arg];
  } else {
    const doc = vscode.window.activeTextEditor?.document;
    // Run with no argument at all from where no text editor is active (the walkthrough's buttons): the file last in front.
    const uri = doc && !doc.isUntitled ? doc.uri : arg === undefined && !doc ? lastFileEditorUri() : undefined;
    if (!uri) throw new KmsError('NoFile', 'Open the file first, or choose files in the Explorer (right-click → KMS).');
    uris = [uri];
  }
  for (const uri of uris) {
    if (uri.scheme !== 'file')
      throw new KmsError('NotAFile', `${uri.toString()} is not a file on disk; only files on disk can be encrypted in place.`);
  }
  const seen = new Set<string>();
  return uris.filter((u) => !seen.has(u.fsPath) && seen.add(u.fsPath));
}

/**
 * An editor with unsaved changes to a file is never overwritten silently: interactively the
 * person chooses to save first (or stops); a scripted call is refused.
 */
export async function settleUnsavedEditors(
  deps: EditorDeps,
  uris: readonly vscode.Uri[],
  interactive: boolean,
  verb: string,
): Promise<void> {
  for (const uri of uris) {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === uri.fsPath && d.isDirty);
    if (!doc) continue;
    const name = basename(uri.fsPath);
    if (!interactive)
      throw new KmsError(
        'UnsavedChanges',
        `${name} has unsaved changes in an editor: save or revert them first, so they are not lost when the file is ${verb}ed.`,
      );
    const save = `Save and ${verb[0].toUpperCase()}${verb.slice(1)}`;
    const choice = await deps.services.ui.choose(`${name} has unsaved changes.`, [save], {
      modal: true,
      severity: 'warning',
      detail: `Save them before the file is ${verb}ed in place? Otherwise nothing is changed.`,
    });
    if (choice !== save) throw new UserCancelledError();
    if (!(await doc.save())) throw new KmsError('UnsavedChanges', `${name} could not be saved; it was not ${verb}ed.`);
  }
}

/**
 * Runs `each` for every file, one after another, with a cancellable progress notification.
 * A failure stops at that file (the files before it stay done) and says which were done.
 */
export async function forEachFile(
  deps: EditorDeps,
  uris: readonly vscode.Uri[],
  verb: { ing: string; ed: string },
  each: (uri: vscode.Uri, job: FileJob) => Promise<FileResult>,
  kms: EditorKms,
  options: {
    readonly headerOnly?: boolean;
    /** What the command has just read of the files (by path): their sizes, not asked again. */
    readonly inspected?: ReadonlyMap<string, { readonly size: number }>;
  } = {},
): Promise<FileResult[]> {
  const results: FileResult[] = [];
  const title = uris.length === 1 ? `${verb.ing} ${basename(uris[0].fsPath)}` : `${verb.ing} ${uris.length} files`;
  // Large files get a notification with Cancel soon (see withCancellableProgress); small ones after a
  // moment (if still running), and so do large ones whose work is mostly a header's (Re-encrypt,
  // Change Keys: ~25 ms at any size).
  const sizeOf = async (u: vscode.Uri): Promise<number> =>
    options.inspected?.get(u.fsPath)?.size ??
    stat(u.fsPath).then(
      (s) => s.size,
      () => 0,
    );
  const sizes = options.headerOnly ? [] : await Promise.all(uris.map(sizeOf));
  const large = sizes.reduce((a, b) => a + b, 0) >= LARGE_FILES;
  await withCancellableProgress(
    title,
    async (signal, report) => {
      for (const [index, uri] of uris.entries()) {
        let reported = 0;
        const job: FileJob = {
          envelope: kms.envelope,
          gatewayFor: kms.gatewayFor,
          sopsKeys: kms.sopsKeys,
          signal,
          faults: deps.writeFaults,
          onProgress: (done, total) => {
            const fileShare = 100 / uris.length;
            const now = Math.floor((total ? done / total : 1) * fileShare);
            if (now > reported) {
              report({
                increment: now - reported,
                message: uris.length > 1 ? `${index + 1} of ${uris.length}: ${basename(uri.fsPath)}` : undefined,
              });
              reported = now;
            }
          },
        };
        try {
          results.push(await each(uri, job));
        } catch (error) {
          if (signal.aborted) throw error;
          const done = results.length
            ? ` (${results.map((r) => basename(r.uri.fsPath)).join(', ')} ${results.length === 1 ? 'was' : 'were'} ${verb.ed})`
            : '';
          if (error instanceof KmsError && uris.length > 1)
            throw new KmsError(error.code, `${basename(uri.fsPath)}: ${error.message}${done}`, error.details);
          throw error;
        } finally {
          deps.fileChanged(uri);
        }
      }
    },
    { longWork: large },
  );
  return results;
}

/**
 * Refuses, before any KMS call, files whose header shows their data keys are only under keys
 * of accounts the person has not trusted.
 */
export async function refuseUntrustedFiles(
  kms: EditorKms,
  uris: readonly vscode.Uri[],
  /** What the command has just read of the files (by path), not read again. */
  inspected?: ReadonlyMap<string, FileInspection>,
): Promise<void> {
  for (const uri of uris) {
    const inspection = inspected?.get(uri.fsPath) ?? (await inspectFile(uri.fsPath));
    const blob = inspection.format.kind === 'blob' ? inspection.format.blob : undefined;
    await kms.guard.checkDataKeys(basename(uri.fsPath), visibleKeyArns({ header: inspection.header, blob }));
  }
}

/** The paths of the files git tracks (from the index, or git itself: see core/files/gitTracked.ts). */
export async function trackedFiles(uris: readonly vscode.Uri[]): Promise<Set<string>> {
  const paths = new Set<string>();
  for (const uri of uris) {
    const real = await realpath(uri.fsPath).catch(() => uri.fsPath);
    if (await isTrackedByGit(real)) paths.add(uri.fsPath);
  }
  return paths;
}

/**
 * Files git tracks: decrypted in place, their plaintext is one `git commit -a` away.
 * Interactively the person chooses, per file, Open Decrypted (an editor over the plaintext,
 * the file stays encrypted) or Decrypt Anyway; a scripted call goes ahead and its result says
 * `trackedByGit: true`.
 */
export async function settleTrackedFiles(
  deps: EditorDeps,
  uris: readonly vscode.Uri[],
  interactive: boolean,
): Promise<{ paths: Set<string>; openedInstead: Set<string> }> {
  const paths = await trackedFiles(uris);
  const openedInstead = new Set<string>();
  if (!interactive) return { paths, openedInstead };
  for (const uri of uris.filter((u) => paths.has(u.fsPath))) {
    const name = basename(uri.fsPath);
    const open = 'Open Decrypted';
    const decrypt = 'Decrypt Anyway';
    const choice = await deps.services.ui.choose(
      `${name} is tracked by git: decrypted in place, its plaintext is one "git commit -a" away from the repository.`,
      [open, decrypt],
      {
        modal: true,
        severity: 'warning',
        detail: 'Open Decrypted shows and edits the plaintext in an editor while the file on disk stays encrypted.',
      },
    );
    if (choice === open) {
      openedInstead.add(uri.fsPath);
      await vscode.commands.executeCommand('kmsWorkbench.openDecrypted', uri);
    } else if (choice !== decrypt) {
      throw new UserCancelledError();
    }
  }
  return { paths, openedInstead };
}

export function formatArg(args: Args): FileOutputFormat | undefined {
  return args.oneOf('format', FILE_OUTPUT_FORMATS);
}

/**
 * Runs `attempt` with the encryption context a file needs: the one given, else (for a KMS
 * blob, whose context is not stored in it) the one remembered for the file. When KMS refuses
 * a blob's context and nothing was given, an interactive run asks for it and tries once more;
 * `askedContext` is what was typed.
 */
export async function withBlobContext<T>(
  deps: EditorDeps,
  uri: vscode.Uri,
  options: { given: EncryptionContext | undefined; interactive: boolean; inspected?: FileInspection },
  attempt: (context: EncryptionContext | undefined) => Promise<T>,
): Promise<{ result: T; askedContext?: EncryptionContext }> {
  const blob = (options.inspected ?? (await inspectFile(uri.fsPath))).format.kind === 'blob';
  const remembered = blob ? deps.memory.contextFor(uri.toString()) : undefined;
  try {
    return { result: await attempt(options.given ?? remembered) };
  } catch (error) {
    if (!(blob && options.given === undefined && options.interactive && isContextProblem(error))) throw error;
    const name = basename(uri.fsPath);
    const askedContext = await askEncryptionContext(deps, NO_ARGS, {
      interactive: true,
      title: `Encryption context of ${name}`,
      prompt:
        `KMS could not decrypt ${name} with ${remembered ? 'the remembered encryption context' : 'no encryption context'}. ` +
        'Enter the encryption context it was encrypted with (key=value, …):',
      initial: remembered,
    });
    return { result: await attempt(askedContext), askedContext };
  }
}
