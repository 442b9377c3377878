// Encrypt, decrypt and re-encrypt the selections of the active editor in place. Every
// selection of a multi-cursor edit is handled; all replacements land as one undoable edit,
// and when any selection fails nothing is replaced.
import { Args } from '../../core/args/readArgs';
import type { CiphertextKind } from '../../core/envelope/detect';
import type { EncryptionContext } from '../../core/envelope/messageFormat';
import { decryptSecret, encryptSecret, reEncryptSecret } from '../../core/envelope/secretText';
import { MAX_BLOB_PLAINTEXT } from '../../core/envelope/kmsBlob';
import { currentKeyRefs } from '../../core/trust/keyTrust';
import type { CommandSpec } from '../commands/commandRunner';
import { retryThrottled } from '../../core/kms/throttling';
import { mapLimit } from '../ui/keyPicker';
import {
  announceWorkspaceKey,
  countOf,
  reportDone,
  askEncryptionContext,
  chooseKey,
  chooseKeys,
  type EditorDeps,
  editorKms,
  isScripted,
  sourceContextArg,
} from './editorKms';
import { activeEditor, asText, ciphertextTargets, encryptTargets, inSelection, replaceAll } from './selectionTargets';
import { CONCURRENCY, refuseUntrustedTargets, warnAutoSavedPlaintext, withContextRetry, withProgress } from './selectionSteps';

export { DECRYPT_ANYWAY, DECRYPT_TO_PEEK, OPEN_DECRYPTED_INSTEAD } from './selectionSteps';

export interface EncryptSelectionResult {
  /** Selections replaced. */
  readonly count: number;
  /** ARN of the key (as KMS answered). */
  readonly keyId: string;
  /** Every key the selections are encrypted for (several: any one decrypts). */
  readonly keyIds: string[];
  /** Per selection: `blob` (up to 4,096 bytes under one key) or `message` (larger, or several keys). */
  readonly kinds: CiphertextKind[];
  readonly encryptionContext: EncryptionContext;
}

export interface DecryptSelectionResult {
  readonly count: number;
  /** Per selection: the key that decrypted it. */
  readonly keyIds: string[];
  readonly kinds: CiphertextKind[];
}

export interface ReEncryptSelectionResult {
  readonly count: number;
  readonly keyId: string;
  readonly sourceKeyIds: string[];
  readonly kinds: CiphertextKind[];
}
// ---------------------------------------------------------------------------- commands

const CONTEXT_FIELDS = ['encryptionContext', 'connection'] as const;

/**
 * `kmsWorkbench.encryptSelection` `{ keyId?, keyIds?, encryptionContext?, connection? }`: encrypts every
 * selection of the active editor; up to 4,096 bytes as a KMS blob (base64 CiphertextBlob), larger
 * as an AWS Encryption SDK message (base64). Quotes around a selection stay outside. Without
 * `keyId`: kmsWorkbench.defaultKey or a key picker. `keyIds` (instead of `keyId`): several keys,
 * any one of which decrypts; every selection then becomes a message (a blob has one key).
 * Returns `{ count, keyId, keyIds, kinds, encryptionContext }`.
 */
export function encryptSelection(deps: EditorDeps): CommandSpec<EncryptSelectionResult> {
  return {
    id: 'kmsWorkbench.encryptSelection',
    action: 'encrypt the selection',
    run: async (arg, services) => {
      const args = Args.from('kmsWorkbench.encryptSelection', arg, ['keyId', 'keyIds', ...CONTEXT_FIELDS]);
      const interactive = !isScripted(arg);
      const editor = activeEditor('select the text to encrypt');
      const targets = encryptTargets(editor);
      const version = editor.document.version;
      const uri = editor.document.uri;
      const kms = await editorKms(services, args);
      // Up to 4,096 bytes under one key is one KMS Encrypt call: a refusal names that operation.
      const use = targets.every((t) => Buffer.byteLength(t.inner, 'utf8') <= MAX_BLOB_PLAINTEXT) ? 'encrypt' : 'generateDataKey';
      const keys = await chooseKeys(deps, kms, args, {
        title: 'Encrypt selection with',
        scope: uri,
        interactive,
        command: 'kmsWorkbench.encryptSelection',
        use,
      });
      const key = keys[0];
      const additionalKeyIds = keys.slice(1).map((k) => k.keyId);
      const encryptionContext = await askEncryptionContext(deps, args, {
        interactive,
        scope: uri,
        initial: deps.memory.contextFor(uri.toString()),
        title: `Encrypt selection with ${keys.map((k) => k.label).join(' + ')}`,
      });
      const several = targets.length > 1;
      const results = await withProgress(`Encrypting ${several ? `${targets.length} selections` : 'the selection'}…`, (signal) =>
        mapLimit(targets, CONCURRENCY, async (t) => {
          const plaintext = Buffer.from(t.inner, 'utf8');
          try {
            return await retryThrottled(
              () => encryptSecret(plaintext, { keyId: key.keyId, additionalKeyIds, encryptionContext }, kms, signal),
              { signal },
            );
          } catch (error) {
            throw inSelection(t, error, several);
          } finally {
            plaintext.fill(0);
          }
        }),
      );
      await replaceAll(
        editor,
        version,
        targets.map((t, i) => ({ range: t.range, text: t.prefix + results[i].ciphertext + t.suffix })),
        'encrypting',
      );
      await deps.memory.rememberContext(
        uri.toString(),
        encryptionContext,
        results.filter((r) => r.kind === 'blob').map((r) => r.ciphertext),
      );
      services.log.info(`Encrypted ${targets.length} selection(s) in ${uri.fsPath || uri.toString()} with ${results[0].keyId}`);
      announceWorkspaceKey(
        deps,
        keys[0],
        several ? `Encrypted ${targets.length} selections` : 'Encrypted the selection',
        results[0].keyId,
        interactive,
      );
      await reportDone(
        deps,
        kms,
        results[0].keyIds ?? [results[0].keyId],
        (names) => `Encrypted ${countOf(targets.length, 'the selection', 'selections')} with ${names}`,
      );
      return {
        count: targets.length,
        keyId: results[0].keyId,
        keyIds: [...(results[0].keyIds ?? [results[0].keyId])],
        kinds: results.map((r) => r.kind),
        encryptionContext,
      };
    },
  };
}

/**
 * `kmsWorkbench.decryptSelection` `{ encryptionContext?, keyId?, connection? }`: decrypts every
 * selection, or the ciphertext under each empty cursor, whatever its kind (KMS blob or Encryption
 * SDK message). Blobs: the encryption context given, else the one remembered for this file, else
 * none; interactively, a failing context is asked for. `keyId`: only decrypt what is encrypted
 * under this key. Returns `{ count, keyIds, kinds }`.
 */
export function decryptSelection(deps: EditorDeps): CommandSpec<DecryptSelectionResult> {
  return {
    id: 'kmsWorkbench.decryptSelection',
    action: 'decrypt the selection',
    run: async (arg, services) => {
      const args = Args.from('kmsWorkbench.decryptSelection', arg, ['keyId', ...CONTEXT_FIELDS]);
      const interactive = !isScripted(arg);
      const editor = activeEditor('select the ciphertext to decrypt (or put the cursor in it)');
      const targets = ciphertextTargets(editor, 'decrypt');
      if (interactive) await warnAutoSavedPlaintext(deps, editor.document);
      const version = editor.document.version;
      const uri = editor.document.uri;
      const kms = await editorKms(services, args);
      await refuseUntrustedTargets(kms, targets);
      const keyId = args.string('keyId', 'a key id, key ARN, alias name or alias ARN');
      const given = args.has('encryptionContext') ? await askEncryptionContext(deps, args, { interactive: false, title: '' }) : undefined;
      const secrets = await withProgress(`Decrypting ${targets.length > 1 ? `${targets.length} selections` : 'the selection'}…`, (signal) =>
        withContextRetry(deps, targets, uri, { given, interactive, verb: 'decrypt', signal }, (t, encryptionContext) =>
          decryptSecret(t.found!, { encryptionContext, keyId }, kms, signal),
        ),
      );
      const texts = targets.map((t, i) => asText(t, secrets[i]));
      await replaceAll(
        editor,
        version,
        targets.map((t, i) => ({ range: t.range, text: t.prefix + texts[i] + t.suffix })),
        'decrypting',
      );
      await reportDone(
        deps,
        kms,
        secrets.map((s) => s.keyId),
        (names) => `Decrypted ${countOf(targets.length, 'the selection', 'selections')} (${names})`,
      );
      return { count: targets.length, keyIds: secrets.map((s) => s.keyId), kinds: secrets.map((s) => s.kind) };
    },
  };
}

/**
 * `kmsWorkbench.reEncryptSelection` `{ keyId?, encryptionContext?, sourceEncryptionContext?, connection? }`:
 * re-encrypts every selected ciphertext (or the one under each empty cursor) under another key.
 * Blobs use KMS ReEncrypt (the plaintext never leaves KMS); messages get their data key
 * re-wrapped. `encryptionContext` is the new context (default: the current one);
 * `sourceEncryptionContext` the current context of blobs (default: the remembered one).
 * Returns `{ count, keyId, sourceKeyIds, kinds }`.
 */
export function reEncryptSelection(deps: EditorDeps): CommandSpec<ReEncryptSelectionResult> {
  return {
    id: 'kmsWorkbench.reEncryptSelection',
    action: 're-encrypt the selection',
    run: async (arg, services) => {
      const args = Args.from('kmsWorkbench.reEncryptSelection', arg, ['keyId', 'sourceEncryptionContext', ...CONTEXT_FIELDS]);
      const interactive = !isScripted(arg);
      const editor = activeEditor('select the ciphertext to re-encrypt (or put the cursor in it)');
      const targets = ciphertextTargets(editor, 're-encrypt');
      const version = editor.document.version;
      const uri = editor.document.uri;
      const kms = await editorKms(services, args);
      await refuseUntrustedTargets(kms, targets);
      const key = await chooseKey(deps, kms, args, {
        title: 'Re-encrypt selection with',
        scope: uri,
        interactive,
        current: targets.flatMap((t) => (t.found ? currentKeyRefs(t.found) : [])),
        use: targets.every((t) => t.found?.kind === 'blob') ? 'encrypt' : 'generateDataKey',
      });
      const newContext = args.has('encryptionContext')
        ? await askEncryptionContext(deps, args, { interactive: false, title: '' })
        : undefined;
      const results = await withProgress(
        `Re-encrypting ${targets.length > 1 ? `${targets.length} selections` : 'the selection'}…`,
        (signal) =>
          withContextRetry(
            deps,
            targets,
            uri,
            { given: sourceContextArg(args), interactive, verb: 're-encrypt', signal },
            (t, sourceEncryptionContext) =>
              reEncryptSecret(t.found!, { keyId: key.keyId, encryptionContext: newContext, sourceEncryptionContext }, kms, signal),
          ),
      );
      await replaceAll(
        editor,
        version,
        targets.map((t, i) => ({ range: t.range, text: t.prefix + results[i].ciphertext + t.suffix })),
        're-encrypting',
      );
      const blobs = results.filter((r) => r.kind === 'blob');
      if (blobs.length)
        await deps.memory.rememberContext(
          uri.toString(),
          blobs[0].encryptionContext,
          blobs.map((r) => r.ciphertext),
        );
      announceWorkspaceKey(
        deps,
        key,
        targets.length > 1 ? `Re-encrypted ${targets.length} selections` : 'Re-encrypted the selection',
        results[0].keyId,
        interactive,
      );
      await reportDone(
        deps,
        kms,
        [results[0].keyId],
        (names) => `Re-encrypted ${countOf(targets.length, 'the selection', 'selections')} with ${names}`,
      );
      return {
        count: targets.length,
        keyId: results[0].keyId,
        sourceKeyIds: results.map((r) => r.sourceKeyId),
        kinds: results.map((r) => r.kind),
      };
    },
  };
}
