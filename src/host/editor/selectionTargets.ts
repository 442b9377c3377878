// The places a selection command changes: the active editor's selections (or the ciphertext
// under an empty cursor), split from their quotes, and the one edit that replaces them all.
import * as vscode from 'vscode';
import { detectTextCiphertext, type TextCiphertext } from '../../core/envelope/detect';
import type { DecryptedSecret } from '../../core/envelope/secretText';
import { splitQuoted, tokenAt } from '../../core/envelope/textScan';
import { KmsError } from '../../core/kms/errors';

/** Shorter base64 runs under the cursor are not taken for ciphertext. */
const MIN_TOKEN = 20;

/** One place to replace: the range, what stays around the transformed text, and that text. */
export interface Target {
  readonly label: string;
  readonly range: vscode.Range;
  readonly prefix: string;
  readonly inner: string;
  readonly suffix: string;
  readonly found?: TextCiphertext;
}

export function activeEditor(what: string): vscode.TextEditor {
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
export function inSelection(target: Target, error: unknown, several: boolean): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  if (!several || !(error instanceof KmsError)) return error;
  return new KmsError(error.code, `${target.label}: ${error.message}`, error.details);
}

/** Applies every replacement as one edit, unless the document changed meanwhile. */
export async function replaceAll(
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

export function asText(target: Target, secret: DecryptedSecret): string {
  try {
    return utf8.decode(secret.plaintext);
  } catch {
    throw new KmsError(
      'BinaryPlaintext',
      `${target.label} decrypts to ${secret.plaintext.length} bytes of binary data, not UTF-8 text, so it ` +
        'cannot go into the document. Decrypt it to a file instead (aws kms decrypt, or KMS: Decrypt File for an encrypted file).',
    );
  } finally {
    secret.plaintext.fill(0);
  }
}

// ---------------------------------------------------------------------------- targets

export function encryptTargets(editor: vscode.TextEditor): Target[] {
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
        `${target.label} is already encrypted (${already.kind === 'blob' ? 'a KMS ciphertext blob' : 'an AWS Encryption SDK message'}). ` +
          'Decrypt it first, or use KMS: Re-encrypt Selection to change its key.',
      );
    }
    return target;
  });
}

/** Ciphertexts to decrypt: each selection (trimmed, unquoted), or the ciphertext under an empty cursor. */
export function ciphertextTargets(editor: vscode.TextEditor, verb: string): Target[] {
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
