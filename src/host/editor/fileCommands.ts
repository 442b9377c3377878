// Encrypt, decrypt and re-encrypt whole files in place: the active file, the files chosen in
// the Explorer (multi-select), or `uri`/`uris` of an argument object. Streamed with progress
// and cancel; each file is replaced atomically, so a failure or cancel leaves it as it was.
import { realpath, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { type Args, Args as ArgsReader } from '../../core/args/readArgs';
import { ArgumentError } from '../../core/args/argumentError';
import {
  decryptFileInPlace,
  type DecryptedFile,
  type DecryptedFileMode,
  encryptFileInPlace,
  FILE_OUTPUT_FORMATS,
  type FileJob,
  type FileOutputFormat,
  inspectFile,
  reEncryptFileInPlace,
  rekeyFileInPlace,
} from '../../core/envelope/fileEncryption';
import { isEncryptedFormat } from '../../core/envelope/detect';
import type { EncryptionContext } from '../../core/envelope/messageFormat';
import { isTrackedByGit } from '../../core/files/gitTracked';
import { KmsError } from '../../core/kms/errors';
import { currentKeyRefs, visibleKeyArns } from '../../core/trust/keyTrust';
import type { CommandSpec } from '../commands/commandRunner';
import { withCancellableProgress } from '../ui/cancellableProgress';
import { UserCancelledError } from '../ui/userInput';
import { settleWriteHazards } from './writeHazards';
import { lastFileEditorUri } from './lastFileEditor';
import {
  NO_ARGS,
  announceWorkspaceKey,
  countOf,
  reportDone,
  askEncryptionContext,
  checkUsableKeys,
  chooseKey,
  chooseKeysOrSops,
  type EditorDeps,
  type EditorKms,
  editorKms,
  fileFormatSetting,
  isContextProblem,
  isScripted,
  sourceContextArg,
} from './editorKms';
import { encryptFilesAsSops, encryptsAsSops, type SopsFileResult } from '../sops/sopsCommands';
import { formatForName } from '../../core/sops/sopsFile';

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

const FILE_FIELDS = ['uri', 'uris', 'connection', 'confirm'] as const;

function hazards(
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
async function settleUnsavedEditors(deps: EditorDeps, uris: readonly vscode.Uri[], interactive: boolean, verb: string): Promise<void> {
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
async function forEachFile(
  deps: EditorDeps,
  uris: readonly vscode.Uri[],
  verb: { ing: string; ed: string },
  each: (uri: vscode.Uri, job: FileJob) => Promise<FileResult>,
  kms: EditorKms,
): Promise<FileResult[]> {
  const results: FileResult[] = [];
  const title = uris.length === 1 ? `${verb.ing} ${basename(uris[0].fsPath)}` : `${verb.ing} ${uris.length} files`;
  // Large files get a notification with Cancel at once; small ones after a moment (if still running).
  const sizes = await Promise.all(
    uris.map((u) =>
      stat(u.fsPath).then(
        (s) => s.size,
        () => 0,
      ),
    ),
  );
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
    { notifyAtOnce: large },
  );
  return results;
}

/**
 * Refuses, before any KMS call, files whose header shows their data keys are only under keys
 * of accounts the person has not trusted.
 */
async function refuseUntrustedFiles(kms: EditorKms, uris: readonly vscode.Uri[]): Promise<void> {
  for (const uri of uris) {
    const inspection = await inspectFile(uri.fsPath);
    const blob = inspection.format.kind === 'blob' ? inspection.format.blob : undefined;
    await kms.guard.checkDataKeys(basename(uri.fsPath), visibleKeyArns({ header: inspection.header, blob }));
  }
}

/**
 * Files git tracks: decrypted in place, their plaintext is one `git commit -a` away.
 * Interactively the person chooses, per file, Open Decrypted (an editor over the plaintext,
 * the file stays encrypted) or Decrypt Anyway; a scripted call goes ahead and its result says
 * `trackedByGit: true`.
 */
async function settleTrackedFiles(
  deps: EditorDeps,
  uris: readonly vscode.Uri[],
  interactive: boolean,
): Promise<{ paths: Set<string>; openedInstead: Set<string> }> {
  const paths = new Set<string>();
  const openedInstead = new Set<string>();
  for (const uri of uris) {
    const real = await realpath(uri.fsPath).catch(() => uri.fsPath);
    if (await isTrackedByGit(real)) paths.add(uri.fsPath);
  }
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

function formatArg(args: Args): FileOutputFormat | undefined {
  return args.oneOf('format', FILE_OUTPUT_FORMATS);
}

/**
 * `kmsWorkbench.encryptFile` `{ uri?, uris?, keyId?, keyIds?, encryptionContext?, format?, connection?, confirm? }`:
 * encrypts files in place as AWS Encryption SDK messages, base64-armored or binary
 * (`format`, default the kmsWorkbench.fileFormat setting), as one KMS blob (`format: "blob"`,
 * files of 1 to 4,096 bytes), or as a SOPS file of the file's type (`format: "sops"`; the
 * default for a file a `.sops.yaml` creation rule matches, whose keys and partial-encryption
 * options then apply). `keyIds` (instead of `keyId`): several keys, any one of which decrypts
 * (messages and SOPS files; keys of other regions or accounts by ARN). Refuses files that are
 * already encrypted (SOPS files included). A file with other hard links, a symbolic link out of
 * the workspace folders or a read-only file is asked about; scripted, it is refused unless
 * `confirm: true`. Returns one `{ uri, keyId, keyIds, format, encryptionContext }` per file
 * (SOPS: `{ uri, keyIds, format: "sops", store, creationRule?, encryptionContext }`).
 */
export function encryptFile(deps: EditorDeps): CommandSpec<Array<FileResult | SopsFileResult>> {
  return {
    id: 'kmsWorkbench.encryptFile',
    action: 'encrypt the file',
    run: async (arg, services, all) => {
      const args = ArgsReader.from('kmsWorkbench.encryptFile', arg, [...FILE_FIELDS, 'keyId', 'keyIds', 'encryptionContext', 'format']);
      const interactive = !isScripted(arg);
      const uris = targetFiles(arg, all, args, 'kmsWorkbench.encryptFile');
      const format = formatArg(args);
      // Refuse encrypted files before asking anything.
      for (const uri of uris) {
        const inspection = await inspectFile(uri.fsPath);
        if (isEncryptedFormat(inspection.format)) {
          throw new KmsError(
            'AlreadyEncrypted',
            `${basename(uri.fsPath)} is already encrypted${inspection.info?.keyArns.length ? ` under ${inspection.info.keyArns.join(', ')}` : ''}. Decrypt it first, or re-encrypt it to change its key.`,
          );
        }
      }
      await settleUnsavedEditors(deps, uris, interactive, 'encrypt');
      const hardLinked = await hazards(deps, uris, args, interactive, 'encrypt', 'kmsWorkbench.encryptFile');
      const asSops = format === 'sops' || (format === undefined && (await Promise.all(uris.map(encryptsAsSops))).every(Boolean));
      if (asSops) return encryptFilesAsSops(deps, services, uris, args, interactive);
      const kms = await editorKms(services, args);
      // A structured file (YAML, JSON, dotenv, INI) with no format asked for: the picker also offers SOPS.
      const offerSops = format === undefined && uris.every((u) => formatForName(basename(u.fsPath)) !== 'binary');
      const picked = await chooseKeysOrSops(deps, kms, args, {
        title: uris.length === 1 ? `Encrypt ${basename(uris[0].fsPath)} with` : `Encrypt ${uris.length} files with`,
        scope: uris[0],
        interactive,
        command: 'kmsWorkbench.encryptFile',
        offerSops,
      });
      if (picked === 'sops') return encryptFilesAsSops(deps, services, uris, args, interactive);
      const keys = picked;
      if (keys.length > 1 && format === 'blob')
        throw new ArgumentError(
          'kmsWorkbench.encryptFile: a KMS blob is encrypted under exactly one key; with several keys use "format": "base64" or "binary".',
        );
      const encryptionContext = await askEncryptionContext(deps, args, {
        interactive,
        scope: uris[0],
        title: `Encrypt with ${keys.map((k) => k.label).join(' + ')}`,
      });
      const results = await forEachFile(
        deps,
        uris,
        { ing: 'Encrypting', ed: 'encrypted' },
        async (uri, job) => {
          const out = await encryptFileInPlace(
            uri.fsPath,
            {
              keyId: keys[0].keyId,
              additionalKeyIds: keys.slice(1).map((k) => k.keyId),
              encryptionContext,
              format: format ?? fileFormatSetting(uri),
            },
            { ...job, allowHardLinks: hardLinked.has(uri.fsPath) },
          );
          if (out.format === 'blob') await deps.memory.rememberContext(uri.toString(), encryptionContext);
          services.log.info(`Encrypted ${uri.fsPath} (${out.format}) with ${out.keyIds.join(', ')}`);
          return { uri, keyId: out.keyId, keyIds: out.keyIds, format: out.format, encryptionContext: out.encryptionContext };
        },
        kms,
      );
      announceWorkspaceKey(
        deps,
        keys[0],
        uris.length === 1 ? `Encrypted ${basename(uris[0].fsPath)}` : `Encrypted ${uris.length} files`,
        results[0]?.keyId ?? '',
        interactive,
      );
      if (results.length)
        await reportDone(
          deps,
          kms,
          results.flatMap((r) => r.keyIds ?? [r.keyId]),
          (names) => `Encrypted ${countOf(results.length, basename(results[0].uri.fsPath), 'files')} with ${names}`,
        );
      return results;
    },
  };
}

/** reEncryptFile with `addKeyIds`/`removeKeyIds` or `keyIds`: the keys of messages change, their content does not. */
async function changeKeys(
  deps: EditorDeps,
  arg: unknown,
  all: readonly unknown[],
  args: Args,
  services: Parameters<CommandSpec<FileResult[]>['run']>[1],
): Promise<FileResult[]> {
  const command = 'kmsWorkbench.reEncryptFile';
  if (args.has('keyId'))
    throw new ArgumentError(
      `${command}: "keyId" re-encrypts under one key; to keep a message's keys and add or remove some use "addKeyIds"/"removeKeyIds" (or "keyIds", the new set) without "keyId".`,
    );
  if (args.has('keyIds') && (args.has('addKeyIds') || args.has('removeKeyIds')))
    throw new ArgumentError(
      `${command}: name either the new set of keys ("keyIds") or the keys to add and remove ("addKeyIds", "removeKeyIds"), not both.`,
    );
  for (const field of ['encryptionContext', 'sourceEncryptionContext', 'format']) {
    if (args.has(field))
      throw new ArgumentError(
        `${command}: "${field}" cannot be changed while adding or removing keys (the header keeps its context and the file its format); re-encrypt with "keyId" for that.`,
      );
  }
  const list = (field: string): string[] | undefined => args.stringArray(field, 'an array of key ids, key ARNs, alias names or alias ARNs');
  const add = list('addKeyIds') ?? [];
  const remove = list('removeKeyIds') ?? [];
  const keyIds = list('keyIds');
  if (!keyIds && add.length === 0 && remove.length === 0)
    throw new ArgumentError(`${command}: "addKeyIds" and "removeKeyIds" are empty: name a key to add or remove.`);
  const interactive = !isScripted(arg);
  const uris = targetFiles(arg, all, args, command);
  for (const uri of uris) {
    const format = (await inspectFile(uri.fsPath)).format;
    if (format.kind === 'plaintext')
      throw new KmsError('NotEncrypted', `${basename(uri.fsPath)} is not encrypted, so it has no keys to change: encrypt it instead.`);
    if (format.kind === 'blob')
      throw new KmsError(
        'InvalidArgument',
        `${basename(uri.fsPath)} is a KMS ciphertext blob, which is encrypted under exactly one key. Decrypt it and encrypt it again as an Encryption SDK message (base64 or binary) to use several keys.`,
      );
  }
  await settleUnsavedEditors(deps, uris, interactive, 're-encrypt');
  const hardLinked = await hazards(deps, uris, args, interactive, 're-encrypt', command);
  const kms = await editorKms(services, args);
  await refuseUntrustedFiles(kms, uris);
  // Keys that are added must be able to encrypt (refused early, with the key-state table's reason).
  await checkUsableKeys(kms, add);
  return forEachFile(
    deps,
    uris,
    { ing: 'Changing the keys of', ed: 'changed' },
    async (uri, job) => {
      const out = await rekeyFileInPlace(uri.fsPath, keyIds ? { keyIds } : { add, remove }, {
        ...job,
        allowHardLinks: hardLinked.has(uri.fsPath),
      });
      services.log.info(
        `Changed the keys of ${uri.fsPath} (${out.method}): added ${out.added.join(', ') || 'none'}, removed ${out.removed.join(', ') || 'none'}`,
      );
      return {
        uri,
        keyId: out.keyId,
        keyIds: out.keyIds,
        format: out.format,
        encryptionContext: out.encryptionContext,
        sourceKeyId: out.sourceKeyId,
        method: out.method,
        addedKeyIds: out.added,
        removedKeyIds: out.removed,
      };
    },
    kms,
  );
}

/**
 * Runs `attempt` with the encryption context a file needs: the one given, else (for a KMS
 * blob, whose context is not stored in it) the one remembered for the file. When KMS refuses
 * a blob's context and nothing was given, an interactive run asks for it and tries once more;
 * `askedContext` is what was typed.
 */
async function withBlobContext<T>(
  deps: EditorDeps,
  uri: vscode.Uri,
  options: { given: EncryptionContext | undefined; interactive: boolean },
  attempt: (context: EncryptionContext | undefined) => Promise<T>,
): Promise<{ result: T; askedContext?: EncryptionContext }> {
  const blob = (await inspectFile(uri.fsPath)).format.kind === 'blob';
  const remembered = blob ? deps.memory.contextFor(uri.toString()) : undefined;
  try {
    return { result: await attempt(options.given ?? remembered) };
  } catch (error) {
    if (!(blob && options.given === undefined && options.interactive && isContextProblem(error))) throw error;
    const name = basename(uri.fsPath);
    const askedContext = await askEncryptionContext(deps, NO_ARGS, {
      interactive: true,
      title: `Encryption context of ${name}`,
      prompt: `KMS could not decrypt ${name} with ${remembered ? 'the remembered encryption context' : 'no encryption context'}. Enter the encryption context it was encrypted with (key=value, …):`,
      initial: remembered,
    });
    return { result: await attempt(askedContext), askedContext };
  }
}

/**
 * `kmsWorkbench.decryptFile` `{ uri?, uris?, encryptionContext?, keyId?, connection?, confirm? }`: decrypts
 * files in place, whatever their format (Encryption SDK message, binary or base64; a KMS blob;
 * a SOPS file, which gets what `sops --decrypt` prints, its KMS entries opened with their own
 * context, profile and role).
 * Messages carry their encryption context: `encryptionContext` is then checked against it;
 * blobs need theirs (default: the one remembered for the file; asked for when it fails).
 * `keyId`: only decrypt what is encrypted under this key. The plaintext keeps only its owner's
 * permissions unless kmsWorkbench.decryptedFileMode is `keep`. Hard links, symbolic links out of
 * the workspace and read-only files as for Encrypt File (`confirm: true`). A file git tracks is
 * asked about (Open Decrypted instead); scripted, it is decrypted and its result says
 * `trackedByGit: true`. Returns one `{ uri, keyId, format, encryptionContext, trackedByGit? }` per file.
 */
export function decryptFile(deps: EditorDeps): CommandSpec<FileResult[]> {
  return {
    id: 'kmsWorkbench.decryptFile',
    action: 'decrypt the file',
    run: async (arg, services, all) => {
      const args = ArgsReader.from('kmsWorkbench.decryptFile', arg, [...FILE_FIELDS, 'encryptionContext', 'keyId']);
      const interactive = !isScripted(arg);
      const uris = targetFiles(arg, all, args, 'kmsWorkbench.decryptFile');
      for (const uri of uris) {
        const inspection = await inspectFile(uri.fsPath);
        if (inspection.format.kind === 'plaintext')
          throw new KmsError(
            'NotEncrypted',
            `${basename(uri.fsPath)} is not encrypted: it is neither an AWS Encryption SDK message (binary or base64) nor a KMS ciphertext blob.`,
          );
      }
      await settleUnsavedEditors(deps, uris, interactive, 'decrypt');
      const hardLinked = await hazards(deps, uris, args, interactive, 'decrypt', 'kmsWorkbench.decryptFile');
      const tracked = await settleTrackedFiles(deps, uris, interactive);
      const toDecrypt = uris.filter((u) => !tracked.openedInstead.has(u.fsPath));
      if (toDecrypt.length === 0) return [];
      const kms = await editorKms(services, args);
      await refuseUntrustedFiles(kms, uris);
      const keyId = args.string('keyId', 'a key id, key ARN, alias name or alias ARN');
      const given = args.has('encryptionContext') ? await askEncryptionContext(deps, args, { interactive: false, title: '' }) : undefined;
      const mode =
        vscode.workspace.getConfiguration('kmsWorkbench').get<DecryptedFileMode>('decryptedFileMode') === 'keep' ? 'keep' : 'ownerOnly';
      const decrypted = await forEachFile(
        deps,
        toDecrypt,
        { ing: 'Decrypting', ed: 'decrypted' },
        async (uri, job) => {
          const file = uri.toString();
          const attempt = (encryptionContext: EncryptionContext | undefined): Promise<DecryptedFile> =>
            decryptFileInPlace(uri.fsPath, { encryptionContext, keyId, mode }, { ...job, allowHardLinks: hardLinked.has(uri.fsPath) });
          const { result: out, askedContext } = await withBlobContext(deps, uri, { given, interactive }, attempt);
          if (askedContext) await deps.memory.rememberContext(file, askedContext);
          services.log.info(`Decrypted ${uri.fsPath} (${out.format}) with ${out.keyId}`);
          const trackedByGit = tracked.paths.has(uri.fsPath);
          if (trackedByGit) services.log.warn(`${uri.fsPath} is tracked by git: its plaintext is one "git commit -a" away.`);
          return {
            uri,
            keyId: out.keyId,
            format: out.format,
            encryptionContext: out.encryptionContext,
            ...(trackedByGit ? { trackedByGit } : {}),
          };
        },
        kms,
      );
      if (decrypted.length)
        await reportDone(
          deps,
          kms,
          decrypted.map((r) => r.keyId),
          (names) => `Decrypted ${countOf(decrypted.length, basename(decrypted[0].uri.fsPath), 'files')} (${names})`,
        );
      return decrypted;
    },
  };
}

/**
 * `kmsWorkbench.reEncryptFile` `{ uri?, uris?, keyId?, addKeyIds?, removeKeyIds?, keyIds?, encryptionContext?, sourceEncryptionContext?, format?, connection?, confirm? }`:
 * re-encrypts files under another key. Encryption SDK messages without signature get only
 * their header rewritten (the data key re-wrapped by KMS, the content untouched); signed ones
 * are decrypted and encrypted again, streamed; KMS blobs use ReEncrypt. `encryptionContext`:
 * a new context (default: the current one); `format`: base64 or binary (default: as it was).
 * Instead of `keyId`, messages can keep their keys and gain or lose some: `addKeyIds` and
 * `removeKeyIds`, or `keyIds`, the new set (the data key re-wrapped under each added key, the
 * content untouched; removing the last key is refused). Hard links, symbolic links out of the
 * workspace and read-only files as for Encrypt File (`confirm: true`). Returns one `{ uri, keyId,
 * keyIds, sourceKeyId, format, encryptionContext, method, addedKeyIds?, removedKeyIds? }` per file.
 */
export function reEncryptFile(deps: EditorDeps): CommandSpec<FileResult[]> {
  return {
    id: 'kmsWorkbench.reEncryptFile',
    action: 're-encrypt the file',
    run: async (arg, services, all) => {
      const args = ArgsReader.from('kmsWorkbench.reEncryptFile', arg, [
        ...FILE_FIELDS,
        'keyId',
        'addKeyIds',
        'removeKeyIds',
        'keyIds',
        'encryptionContext',
        'sourceEncryptionContext',
        'format',
      ]);
      if (args.has('addKeyIds') || args.has('removeKeyIds') || args.has('keyIds')) return changeKeys(deps, arg, all, args, services);
      const interactive = !isScripted(arg);
      const uris = targetFiles(arg, all, args, 'kmsWorkbench.reEncryptFile');
      const format = formatArg(args);
      if (format === 'sops')
        throw new ArgumentError(
          'kmsWorkbench.reEncryptFile: a file is made a SOPS file with Encrypt File ("format": "sops"); the keys of a SOPS file change with Add/Remove KMS Key of SOPS File.',
        );
      // The keys the files are under now: the key picker marks them.
      const current = new Set<string>();
      for (const uri of uris) {
        const inspection = await inspectFile(uri.fsPath);
        if (inspection.format.kind === 'plaintext')
          throw new KmsError('NotEncrypted', `${basename(uri.fsPath)} is not encrypted, so it cannot be re-encrypted: encrypt it instead.`);
        for (const ref of currentKeyRefs({
          header: inspection.header,
          blob: inspection.format.kind === 'blob' ? inspection.format.blob : undefined,
        }))
          current.add(ref);
      }
      await settleUnsavedEditors(deps, uris, interactive, 're-encrypt');
      const hardLinked = await hazards(deps, uris, args, interactive, 're-encrypt', 'kmsWorkbench.reEncryptFile');
      const kms = await editorKms(services, args);
      await refuseUntrustedFiles(kms, uris);
      const key = await chooseKey(deps, kms, args, {
        title: uris.length === 1 ? `Re-encrypt ${basename(uris[0].fsPath)} with` : `Re-encrypt ${uris.length} files with`,
        scope: uris[0],
        interactive,
        current: [...current],
      });
      const newContext = args.has('encryptionContext')
        ? await askEncryptionContext(deps, args, { interactive: false, title: '' })
        : undefined;
      const sourceContext = sourceContextArg(args);
      const results = await forEachFile(
        deps,
        uris,
        { ing: 'Re-encrypting', ed: 're-encrypted' },
        async (uri, job) => {
          const file = uri.toString();
          const attempt = (source: EncryptionContext | undefined) =>
            reEncryptFileInPlace(
              uri.fsPath,
              { keyId: key.keyId, encryptionContext: newContext, sourceEncryptionContext: source, format },
              { ...job, allowHardLinks: hardLinked.has(uri.fsPath) },
            );
          const { result: out } = await withBlobContext(deps, uri, { given: sourceContext, interactive }, attempt);
          if (out.format === 'blob') await deps.memory.rememberContext(file, out.encryptionContext);
          services.log.info(`Re-encrypted ${uri.fsPath} (${out.method}) from ${out.sourceKeyId} to ${out.keyId}`);
          return {
            uri,
            keyId: out.keyId,
            keyIds: out.keyIds,
            format: out.format,
            encryptionContext: out.encryptionContext,
            sourceKeyId: out.sourceKeyId,
            method: out.method,
          };
        },
        kms,
      );
      announceWorkspaceKey(
        deps,
        key,
        uris.length === 1 ? `Re-encrypted ${basename(uris[0].fsPath)}` : `Re-encrypted ${uris.length} files`,
        results[0]?.keyId ?? '',
        interactive,
      );
      if (results.length)
        await reportDone(
          deps,
          kms,
          results.map((r) => r.keyId),
          (names) => `Re-encrypted ${countOf(results.length, basename(results[0].uri.fsPath), 'files')} with ${names}`,
        );
      return results;
    },
  };
}
