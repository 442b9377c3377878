// Encrypt, decrypt and re-encrypt the selections of the active editor in place. Every
// selection of a multi-cursor edit is handled; all replacements land as one undoable edit,
// and when any selection fails nothing is replaced.
import * as vscode from 'vscode';
import { basename } from 'node:path';
import { withCancellableProgress } from '../ui/cancellableProgress';
import { UserCancelledError } from '../ui/userInput';
import { inspectFile } from '../../core/envelope/fileEncryption';
import { Args } from '../../core/args/readArgs';
import { type CiphertextKind, detectTextCiphertext, isEncryptedFormat, type TextCiphertext } from '../../core/envelope/detect';
import { formatEncryptionContext } from '../../core/envelope/encryptionContext';
import type { EncryptionContext } from '../../core/envelope/messageFormat';
import { decryptSecret, type DecryptedSecret, encryptSecret, reEncryptSecret } from '../../core/envelope/secretText';
import { splitQuoted, tokenAt } from '../../core/envelope/textScan';
import { MAX_BLOB_PLAINTEXT } from '../../core/envelope/kmsBlob';
import { KmsError } from '../../core/kms/errors';
import { currentKeyRefs, visibleKeyArns } from '../../core/trust/keyTrust';
import type { CommandSpec } from '../commands/commandRunner';
import { retryThrottled } from '../../core/kms/throttling';
import { mapLimit } from '../ui/keyPicker';
import {
  NO_ARGS,
  announceWorkspaceKey,
  countOf,
  reportDone,
  askEncryptionContext,
  chooseKey,
  chooseKeys,
  type EditorDeps,
  type EditorKms,
  editorKms,
  isContextProblem,
  isScripted,
  sourceContextArg,
} from './editorKms';

/**
 * At most this many KMS calls in flight for one multi-cursor edit: 200 selections against a
 * KMS answering in 10 ms take ~0.7 s in all instead of ~1.4 s at 4. It stays within the SDK's
 * retry budget when KMS throttles: 8 calls × 3 retries × 5 tokens = 120 of the 500 tokens of
 * its retry quota, and far below KMS's 10,000
 * requests per second for symmetric cryptographic operations. A call still throttled after the
 * SDK's attempts is tried again after a pause (retryThrottled), so a burst of throttling slows
 * the edit down instead of failing it.
 */
const CONCURRENCY = 8;
/** Shorter base64 runs under the cursor are not taken for ciphertext. */
const MIN_TOKEN = 20;

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

/** One place to replace: the range, what stays around the transformed text, and that text. */
interface Target {
  readonly label: string;
  readonly range: vscode.Range;
  readonly prefix: string;
  readonly inner: string;
  readonly suffix: string;
  readonly found?: TextCiphertext;
}

function activeEditor(what: string): vscode.TextEditor {
  const editor = vscode.window.activeTextEditor;
  if (!editor) throw new KmsError('NoEditor', `Open a file and ${what}.`);
  if (editor.document.uri.scheme === 'output' || editor.document.uri.scheme === 'vscode-settings')
    throw new KmsError('NoEditor', `This editor cannot be changed: open a file and ${what}.`);
  return editor;
}

function label(editor: vscode.TextEditor, index: number, range: vscode.Range): string {
  return editor.selections.length > 1
    ? `Selection ${index + 1} (line ${range.start.line + 1})`
    : `The selection (line ${range.start.line + 1})`;
}

/** Prefixes a failure with the selection it happened in (when there are several). */
function inSelection(target: Target, error: unknown, several: boolean): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  if (!several || !(error instanceof KmsError)) return error;
  return new KmsError(error.code, `${target.label}: ${error.message}`, error.details);
}

/** Applies every replacement as one edit, unless the document changed meanwhile. */
async function replaceAll(
  editor: vscode.TextEditor,
  version: number,
  replacements: readonly { range: vscode.Range; text: string }[],
  verb: string,
): Promise<void> {
  if (editor.document.version !== version)
    throw new KmsError('DocumentChanged', `The document changed while ${verb}; nothing was replaced. Try again.`);
  const ok = await editor.edit((edit) => {
    for (const r of replacements) edit.replace(r.range, r.text);
  });
  if (!ok) throw new KmsError('EditFailed', `The editor did not accept the change (it may be read-only or closed); nothing was replaced.`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function asText(target: Target, secret: DecryptedSecret): string {
  try {
    return utf8.decode(secret.plaintext);
  } catch {
    throw new KmsError(
      'BinaryPlaintext',
      `${target.label} decrypts to ${secret.plaintext.length} bytes of binary data, not UTF-8 text, so it cannot go into the document. Decrypt it to a file instead (aws kms decrypt, or KMS: Decrypt File for an encrypted file).`,
    );
  } finally {
    secret.plaintext.fill(0);
  }
}

// ---------------------------------------------------------------------------- targets

function encryptTargets(editor: vscode.TextEditor): Target[] {
  const doc = editor.document;
  const empty = editor.selections.filter((s) => s.isEmpty).length;
  if (empty === editor.selections.length) {
    throw new KmsError(
      'NothingSelected',
      'Select the text to encrypt (a secret, or a quoted string: its quotes stay outside the ciphertext). With several cursors, select the text at each.',
    );
  }
  if (empty)
    throw new KmsError(
      'NothingSelected',
      `${empty} of ${editor.selections.length} cursors select nothing: select the text to encrypt at every cursor, or remove the empty ones.`,
    );
  return editor.selections.map((selection, i) => {
    const parts = splitQuoted(doc.getText(selection), { trim: false });
    const target: Target = { label: label(editor, i, selection), range: selection, ...parts };
    if (parts.inner.length === 0) throw new KmsError('NothingSelected', `${target.label} holds only quotes: select text to encrypt.`);
    const already = detectTextCiphertext(parts.inner.trim());
    if (already?.confidence === 'structure') {
      throw new KmsError(
        'AlreadyEncrypted',
        `${target.label} is already encrypted (${already.kind === 'blob' ? 'a KMS ciphertext blob' : 'an AWS Encryption SDK message'}). Decrypt it first, or use KMS: Re-encrypt Selection to change its key.`,
      );
    }
    return target;
  });
}

/** Ciphertexts to decrypt: each selection (trimmed, unquoted), or the ciphertext under an empty cursor. */
function ciphertextTargets(editor: vscode.TextEditor, verb: string): Target[] {
  const doc = editor.document;
  return editor.selections.map((selection, i) => {
    if (selection.isEmpty) {
      const line = doc.lineAt(selection.active.line).text;
      const token = tokenAt(line, selection.active.character, MIN_TOKEN);
      const found = token ? detectTextCiphertext(token.text) : undefined;
      const where = `line ${selection.active.line + 1}${editor.selections.length > 1 ? ` (cursor ${i + 1})` : ''}`;
      if (!token || !found)
        throw new KmsError(
          'NoCiphertext',
          `No ciphertext under the cursor on ${where}: put the cursor in a base64 KMS ciphertext or Encryption SDK message, or select it, to ${verb} it.`,
        );
      const range = new vscode.Range(selection.active.line, token.start, selection.active.line, token.end);
      return { label: label(editor, i, range), range, prefix: '', inner: token.text, suffix: '', found };
    }
    const parts = splitQuoted(doc.getText(selection), { trim: true });
    const target: Target = { label: label(editor, i, selection), range: selection, ...parts };
    const found = detectTextCiphertext(parts.inner);
    if (!found)
      throw new KmsError(
        'NotEncrypted',
        `${target.label} is not a ciphertext: expected the base64 of a KMS ciphertext blob (what aws kms encrypt prints) or of an AWS Encryption SDK message.`,
      );
    return { ...target, found };
  });
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
        withContextRetry(deps, targets, uri, { given, interactive, verb: 'decrypt' }, (t, encryptionContext) =>
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
            { given: sourceContextArg(args), interactive, verb: 're-encrypt' },
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

export const DECRYPT_ANYWAY = 'Decrypt Anyway';
export const OPEN_DECRYPTED_INSTEAD = 'Open Decrypted Instead';
export const DECRYPT_TO_PEEK = 'Decrypt to Peek';

/**
 * Decrypt Selection puts plaintext into the document; with files.autoSave on, VS Code writes
 * it to disk within a second (and its Local History keeps copies) without a save. Once per
 * workspace the person is told, and offered what keeps the plaintext off the disk: Open
 * Decrypted (the file itself is encrypted: the plaintext stays in memory) or Decrypt to Peek
 * (a dialog). Only going on anyway is remembered. Untitled and decrypted editors never write
 * to the file on disk, so they are not asked about.
 */
async function warnAutoSavedPlaintext(deps: EditorDeps, document: vscode.TextDocument): Promise<void> {
  if (document.uri.scheme !== 'file' || deps.memory.isAutoSavePlaintextAcknowledged()) return;
  const autoSave = vscode.workspace.getConfiguration('files', document.uri).get<string>('autoSave', 'off');
  if (autoSave === 'off') return;
  const inspection = await inspectFile(document.uri.fsPath).catch(() => undefined);
  const encryptedFile = inspection !== undefined && isEncryptedFormat(inspection.format);
  const alternative = encryptedFile ? OPEN_DECRYPTED_INSTEAD : DECRYPT_TO_PEEK;
  const when =
    autoSave === 'afterDelay'
      ? 'within a second'
      : autoSave === 'onFocusChange'
        ? 'when the editor loses focus'
        : 'when the window loses focus';
  const choice = await deps.services.ui.choose(
    `Auto Save is on: the decrypted text will be written to ${basename(document.uri.fsPath)} on disk ${when}.`,
    [DECRYPT_ANYWAY, alternative],
    {
      modal: true,
      detail: `VS Code's Local History then keeps copies of it too, and git sees a plaintext change. ${
        encryptedFile
          ? 'Open Decrypted edits the plaintext in memory only and encrypts it again on save.'
          : 'Decrypt to Peek shows the plaintext in a dialog and writes nothing.'
      }\n\nYou are asked once for this workspace.`,
    },
  );
  if (choice === DECRYPT_ANYWAY) {
    await deps.memory.acknowledgeAutoSavePlaintext();
    return;
  }
  if (choice === OPEN_DECRYPTED_INSTEAD) void vscode.commands.executeCommand('kmsWorkbench.openDecrypted', document.uri);
  if (choice === DECRYPT_TO_PEEK) void vscode.commands.executeCommand('kmsWorkbench.peekCiphertext');
  throw new UserCancelledError();
}

/** Refuses, before any KMS call, ciphertexts that show they are only under keys of untrusted accounts. */
async function refuseUntrustedTargets(kms: EditorKms, targets: readonly Target[]): Promise<void> {
  for (const t of targets) if (t.found) await kms.guard.checkDataKeys(t.label, visibleKeyArns(t.found));
}

/**
 * Runs `run` for every target with the encryption context to try: the one given, else for
 * blobs the one remembered for this blob or file (messages carry theirs). When KMS refuses a
 * blob's context and the person is there, asks once for the context and tries those again.
 */
async function withContextRetry<R>(
  deps: EditorDeps,
  targets: readonly Target[],
  uri: vscode.Uri,
  options: { given: EncryptionContext | undefined; interactive: boolean; verb: string },
  run: (target: Target, context: EncryptionContext | undefined) => Promise<R>,
): Promise<R[]> {
  const several = targets.length > 1;
  const file = uri.toString();
  const contextOf = (t: Target): EncryptionContext | undefined =>
    options.given ?? (t.found?.kind === 'blob' ? deps.memory.contextFor(file, t.inner) : undefined);
  const results = new Array<R>(targets.length);
  const retry: number[] = [];
  const failed: { first?: Error } = {};
  const rethrow = (): void => {
    if (failed.first) throw failed.first;
  };
  await mapLimit([...targets.keys()], CONCURRENCY, async (i) => {
    try {
      results[i] = await retryThrottled(() => run(targets[i], contextOf(targets[i])));
    } catch (error) {
      if (options.given === undefined && options.interactive && targets[i].found?.kind === 'blob' && isContextProblem(error)) retry.push(i);
      else failed.first ??= inSelection(targets[i], error, several);
    }
  });
  rethrow();
  if (retry.length === 0) return results;
  retry.sort((a, b) => a - b);
  const tried = formatEncryptionContext(contextOf(targets[retry[0]]));
  const context = await askEncryptionContext(deps, NO_ARGS, {
    interactive: true,
    title: `Encryption context to ${options.verb}`,
    prompt: `KMS could not ${options.verb} ${retry.length === targets.length ? (several ? 'the ciphertexts' : 'the ciphertext') : `${retry.length} of the ciphertexts`} with ${tried ? `the encryption context ${tried}` : 'no encryption context'}. Enter the encryption context ${retry.length > 1 ? 'they were' : 'it was'} encrypted with (key=value, …):`,
    initial: deps.memory.contextFor(file),
  });
  await mapLimit(retry, CONCURRENCY, async (i) => {
    try {
      results[i] = await retryThrottled(() => run(targets[i], context));
    } catch (error) {
      failed.first ??= inSelection(targets[i], error, several);
    }
  });
  rethrow();
  await deps.memory.rememberContext(
    file,
    context,
    retry.map((i) => targets[i].inner),
  );
  return results;
}

/** The status bar at once, a notification with Cancel when it takes more than a moment; Cancel aborts the KMS calls. */
function withProgress<T>(title: string, task: (signal: AbortSignal) => Promise<T>): Promise<T> {
  return withCancellableProgress(title, (signal) => task(signal));
}
