// Encrypt File (kmsWorkbench.encryptFile): whole files encrypted in place as Encryption SDK
// messages, KMS blobs or SOPS files.
import { basename } from 'node:path';
import { Args as ArgsReader } from '../../core/args/readArgs';
import { ArgumentError } from '../../core/args/argumentError';
import { encryptFileInPlace, inspectFile } from '../../core/envelope/fileEncryption';
import { isEncryptedFormat } from '../../core/envelope/detect';
import { KmsError } from '../../core/kms/errors';
import { keyNames } from '../../core/kms/keyNames';
import type { CommandSpec } from '../commands/commandRunner';
import {
  announceWorkspaceKey,
  countOf,
  reportDone,
  askEncryptionContext,
  chooseKeysOrSops,
  type EditorDeps,
  editorKms,
  fileFormatSetting,
  isScripted,
} from './editorKms';
import { encryptFilesAsSops, encryptsAsSops, type SopsFileResult } from '../sops/sopsCommands';
import { formatForName } from '../../core/sops/sopsFile';
import { FILE_FIELDS, type FileResult, forEachFile, formatArg, hazards, settleUnsavedEditors, targetFiles } from './fileCommandSteps';

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
      const inspected = new Map<string, { readonly size: number }>();
      for (const uri of uris) {
        const inspection = await inspectFile(uri.fsPath);
        inspected.set(uri.fsPath, inspection);
        if (isEncryptedFormat(inspection.format)) {
          // Keys by name (the ARNs go to the log).
          const arns = inspection.info?.keyArns ?? [];
          if (arns.length) services.log.info(`${uri.fsPath} is already encrypted under ${arns.join(', ')}`);
          const under = arns.length ? ` under ${keyNames(arns, await services.keyNames.activeContext())}` : '';
          throw new KmsError(
            'AlreadyEncrypted',
            `${basename(uri.fsPath)} is already encrypted${under}. Decrypt it first, or re-encrypt it to change its key.`,
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
        // Its DescribeKey goes with GenerateDataKey; awaited before anything is written.
        describeMeanwhile: true,
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
              keyChecked: keys[0].checked,
            },
            { ...job, allowHardLinks: hardLinked.has(uri.fsPath) },
          );
          if (out.format === 'blob') await deps.memory.rememberContext(uri.toString(), encryptionContext);
          services.log.info(`Encrypted ${uri.fsPath} (${out.format}) with ${out.keyIds.join(', ')}`);
          return { uri, keyId: out.keyId, keyIds: out.keyIds, format: out.format, encryptionContext: out.encryptionContext };
        },
        kms,
        { inspected },
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
