// Decrypt File (kmsWorkbench.decryptFile): whole files decrypted in place, whatever their format.
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { Args as ArgsReader } from '../../core/args/readArgs';
import {
  decryptFileInPlace,
  type DecryptedFile,
  type DecryptedFileMode,
  type FileInspection,
  inspectFile,
} from '../../core/envelope/fileEncryption';
import type { EncryptionContext } from '../../core/envelope/messageFormat';
import { KmsError } from '../../core/kms/errors';
import type { CommandSpec } from '../commands/commandRunner';
import { countOf, reportDone, askEncryptionContext, type EditorDeps, editorKms, isScripted } from './editorKms';
import {
  FILE_FIELDS,
  type FileResult,
  forEachFile,
  hazards,
  refuseUntrustedFiles,
  settleTrackedFiles,
  trackedFiles,
  settleUnsavedEditors,
  targetFiles,
  withBlobContext,
} from './fileCommandSteps';

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
      const inspected = new Map<string, FileInspection>();
      for (const uri of uris) {
        const inspection = await inspectFile(uri.fsPath);
        inspected.set(uri.fsPath, inspection);
        if (inspection.format.kind === 'plaintext')
          throw new KmsError(
            'NotEncrypted',
            `${basename(uri.fsPath)} is not encrypted: it is neither an AWS Encryption SDK message (binary or base64) nor a KMS ciphertext blob.`,
          );
      }
      await settleUnsavedEditors(deps, uris, interactive, 'decrypt');
      const hardLinked = await hazards(deps, uris, args, interactive, 'decrypt', 'kmsWorkbench.decryptFile');
      // Interactively the person chooses before anything is decrypted; scripted, git's answer only
      // goes in the result, so it is looked up (in the index, or by git) while the files are decrypted.
      const trackedMeanwhile = interactive ? undefined : trackedFiles(uris);
      const tracked = interactive
        ? await settleTrackedFiles(deps, uris, interactive)
        : { paths: new Set<string>(), openedInstead: new Set<string>() };
      const toDecrypt = uris.filter((u) => !tracked.openedInstead.has(u.fsPath));
      if (toDecrypt.length === 0) return [];
      const kms = await editorKms(services, args);
      await refuseUntrustedFiles(kms, uris, inspected);
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
          const { result: out, askedContext } = await withBlobContext(
            deps,
            uri,
            { given, interactive, inspected: inspected.get(uri.fsPath) },
            attempt,
          );
          if (askedContext) await deps.memory.rememberContext(file, askedContext);
          services.log.info(`Decrypted ${uri.fsPath} (${out.format}) with ${out.keyId}`);
          const trackedByGit = tracked.paths.has(uri.fsPath) || (trackedMeanwhile ? (await trackedMeanwhile).has(uri.fsPath) : false);
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
        { inspected },
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
