// Re-encrypt File (kmsWorkbench.reEncryptFile): whole files re-encrypted under another key, or
// their keys changed (added or removed) with the content untouched.
import { basename } from 'node:path';
import { type Args, Args as ArgsReader } from '../../core/args/readArgs';
import { ArgumentError } from '../../core/args/argumentError';
import { type FileInspection, inspectFile, reEncryptFileInPlace, rekeyFileInPlace } from '../../core/envelope/fileEncryption';
import type { EncryptionContext } from '../../core/envelope/messageFormat';
import { KmsError } from '../../core/kms/errors';
import { currentKeyRefs } from '../../core/trust/keyTrust';
import type { CommandSpec } from '../commands/commandRunner';
import {
  announceWorkspaceKey,
  countOf,
  reportDone,
  askEncryptionContext,
  checkUsableKeys,
  chooseKey,
  type EditorDeps,
  editorKms,
  isScripted,
  sourceContextArg,
} from './editorKms';
import {
  FILE_FIELDS,
  type FileResult,
  forEachFile,
  formatArg,
  hazards,
  refuseUntrustedFiles,
  settleUnsavedEditors,
  targetFiles,
  withBlobContext,
} from './fileCommandSteps';

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
      `${command}: "keyId" re-encrypts under one key; to keep a message's keys and add or remove some use ` +
        '"addKeyIds"/"removeKeyIds" (or "keyIds", the new set) without "keyId".',
    );
  if (args.has('keyIds') && (args.has('addKeyIds') || args.has('removeKeyIds')))
    throw new ArgumentError(
      `${command}: name either the new set of keys ("keyIds") or the keys to add and remove ("addKeyIds", "removeKeyIds"), not both.`,
    );
  for (const field of ['encryptionContext', 'sourceEncryptionContext', 'format']) {
    if (args.has(field))
      throw new ArgumentError(
        `${command}: "${field}" cannot be changed while adding or removing keys (the header keeps its ` +
          'context and the file its format); re-encrypt with "keyId" for that.',
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
        `${basename(uri.fsPath)} is a KMS ciphertext blob, which is encrypted under exactly one key. ` +
          'Decrypt it and encrypt it again as an Encryption SDK message (base64 or binary) to use several keys.',
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
    { headerOnly: true },
  );
}

/**
 * `kmsWorkbench.reEncryptFile` `{ uri?, uris?, keyId?, addKeyIds?, removeKeyIds?, keyIds?,
 * encryptionContext?, sourceEncryptionContext?, format?, connection?, confirm? }`:
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
          'kmsWorkbench.reEncryptFile: a file is made a SOPS file with Encrypt File ("format": "sops"); ' +
            'the keys of a SOPS file change with Add/Remove KMS Key of SOPS File.',
        );
      // The keys the files are under now: the key picker marks them.
      const current = new Set<string>();
      const inspected = new Map<string, FileInspection>();
      for (const uri of uris) {
        const inspection = await inspectFile(uri.fsPath);
        inspected.set(uri.fsPath, inspection);
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
      await refuseUntrustedFiles(kms, uris, inspected);
      const key = await chooseKey(deps, kms, args, {
        title: uris.length === 1 ? `Re-encrypt ${basename(uris[0].fsPath)} with` : `Re-encrypt ${uris.length} files with`,
        scope: uris[0],
        interactive,
        current: [...current],
        // Its DescribeKey overlaps reading the file and opening its data key; awaited before the key is used.
        describeMeanwhile: true,
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
              {
                keyId: key.keyId,
                keyChecked: key.checked,
                encryptionContext: newContext,
                sourceEncryptionContext: source,
                format,
                inspected: inspected.get(uri.fsPath),
              },
              { ...job, allowHardLinks: hardLinked.has(uri.fsPath) },
            );
          const { result: out } = await withBlobContext(
            deps,
            uri,
            { given: sourceContext, interactive, inspected: inspected.get(uri.fsPath) },
            attempt,
          );
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
        // Without a format change, messages usually get only a new header.
        { headerOnly: format === undefined, inspected },
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
