// How the selection commands call KMS: concurrently (throttling retried), with progress and
// cancel, refusing untrusted keys, asking for a blob's encryption context when KMS refuses it,
// and the warning before Decrypt Selection puts plaintext where Auto Save writes it to disk.
import * as vscode from 'vscode';
import { basename } from 'node:path';
import { withCancellableProgress } from '../ui/cancellableProgress';
import { UserCancelledError } from '../ui/userInput';
import { inspectFile } from '../../core/envelope/fileEncryption';
import { isEncryptedFormat } from '../../core/envelope/detect';
import { formatEncryptionContext } from '../../core/envelope/encryptionContext';
import type { EncryptionContext } from '../../core/envelope/messageFormat';
import { visibleKeyArns } from '../../core/trust/keyTrust';
import { retryThrottled } from '../../core/kms/throttling';
import { mapLimit } from '../ui/keyPicker';
import { NO_ARGS, askEncryptionContext, type EditorDeps, type EditorKms, isContextProblem } from './editorKms';
import { type Target, inSelection } from './selectionTargets';

/**
 * At most this many KMS calls in flight for one multi-cursor edit: 200 selections against a
 * KMS answering in 10 ms take ~0.7 s in all instead of ~1.4 s at 4. It stays within the SDK's
 * retry budget when KMS throttles: 8 calls × 3 retries × 5 tokens = 120 of the 500 tokens of
 * its retry quota, and far below KMS's 10,000
 * requests per second for symmetric cryptographic operations. A call still throttled after the
 * SDK's attempts is tried again after a pause (retryThrottled), so a burst of throttling slows
 * the edit down instead of failing it.
 */
export const CONCURRENCY = 8;

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
export async function warnAutoSavedPlaintext(deps: EditorDeps, document: vscode.TextDocument): Promise<void> {
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
export async function refuseUntrustedTargets(kms: EditorKms, targets: readonly Target[]): Promise<void> {
  for (const t of targets) if (t.found) await kms.guard.checkDataKeys(t.label, visibleKeyArns(t.found));
}

/**
 * Runs `run` for every target with the encryption context to try: the one given, else for
 * blobs the one remembered for this blob or file (messages carry theirs). When KMS refuses a
 * blob's context and the person is there, asks once for the context and tries those again.
 */
export async function withContextRetry<R>(
  deps: EditorDeps,
  targets: readonly Target[],
  uri: vscode.Uri,
  options: { given: EncryptionContext | undefined; interactive: boolean; verb: string; signal?: AbortSignal },
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
      results[i] = await retryThrottled(() => run(targets[i], contextOf(targets[i])), { signal: options.signal });
    } catch (error) {
      if (options.given === undefined && options.interactive && targets[i].found?.kind === 'blob' && isContextProblem(error)) retry.push(i);
      else failed.first ??= inSelection(targets[i], error, several);
    }
  });
  rethrow();
  if (retry.length === 0) return results;
  retry.sort((a, b) => a - b);
  const tried = formatEncryptionContext(contextOf(targets[retry[0]]));
  const which = retry.length === targets.length ? (several ? 'the ciphertexts' : 'the ciphertext') : `${retry.length} of the ciphertexts`;
  const context = await askEncryptionContext(deps, NO_ARGS, {
    interactive: true,
    title: `Encryption context to ${options.verb}`,
    prompt:
      `KMS could not ${options.verb} ${which} ` +
      `with ${tried ? `the encryption context ${tried}` : 'no encryption context'}. ` +
      `Enter the encryption context ${retry.length > 1 ? 'they were' : 'it was'} encrypted with (key=value, …):`,
    initial: deps.memory.contextFor(file),
  });
  await mapLimit(retry, CONCURRENCY, async (i) => {
    try {
      results[i] = await retryThrottled(() => run(targets[i], context), { signal: options.signal });
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
export function withProgress<T>(title: string, task: (signal: AbortSignal) => Promise<T>): Promise<T> {
  return withCancellableProgress(title, (signal) => task(signal));
}
