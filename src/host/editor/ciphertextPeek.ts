// A hover on a recognised ciphertext says what it is and offers "Decrypt to peek": the
// plaintext is shown in a dialog only, never written into the document, to disk or to the log.
import * as vscode from 'vscode';
import { Args } from '../../core/args/readArgs';
import { ArgumentError } from '../../core/args/argumentError';
import { type CiphertextKind, detectTextCiphertext, type TextCiphertext } from '../../core/envelope/detect';
import { formatEncryptionContext } from '../../core/envelope/encryptionContext';
import { ciphertextMarkdown } from '../../core/envelope/ciphertextSummary';
import { decryptSecret, type DecryptedSecret } from '../../core/envelope/secretText';
import { splitQuoted, tokenAt } from '../../core/envelope/textScan';
import { KmsError } from '../../core/kms/errors';
import { keyName } from '../../core/kms/keyNames';
import type { KeyNames } from '../keyNames';
import { visibleKeyArns } from '../../core/trust/keyTrust';
import { inertMessage } from '../../core/text/inertText';
import type { CommandSpec } from '../commands/commandRunner';
import { NO_ARGS, askEncryptionContext, type EditorDeps, editorKms, isContextProblem, isScripted } from './editorKms';

/** Tokens shorter than this are not looked at by the hover (the shortest blob is longer). */
const MIN_HOVER_TOKEN = 40;
/** Lines longer than this are not scanned on hover. */
const MAX_HOVER_LINE = 1_000_000;
/** Most plaintext characters a peek shows. */
const MAX_SHOWN = 4000;

export interface PeekResult {
  readonly kind: CiphertextKind;
  /** ARN of the key that decrypted it. */
  readonly keyId: string;
  /** Bytes of plaintext (the plaintext itself is only shown, never returned). */
  readonly bytes: number;
}

/** How long a hover waits for the connection's aliases before naming keys by id. */
const HOVER_NAME_WAIT_MS = 1000;

export class CiphertextHover implements vscode.HoverProvider {
  constructor(private readonly keyNames?: KeyNames) {}

  async provideHover(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    const line = document.lineAt(position.line).text;
    if (line.length > MAX_HOVER_LINE) return undefined;
    const token = tokenAt(line, position.character, MIN_HOVER_TOKEN);
    if (!token) return undefined;
    const found = detectTextCiphertext(token.text);
    if (!found || found.confidence !== 'structure') return undefined;
    // What the ciphertext says (key ARNs and context from its header: the file's text) goes in an
    // untrusted MarkdownString without icons or HTML; only our own link is in the trusted one.
    const names = await this.keyNames?.activeContext(HOVER_NAME_WAIT_MS);
    const info = new vscode.MarkdownString(ciphertextMarkdown(found, (ref) => keyName(ref, names)));
    info.isTrusted = false;
    info.supportHtml = false;
    const link = new vscode.MarkdownString(undefined, true);
    link.isTrusted = { enabledCommands: ['kmsWorkbench.peekCiphertext'] };
    const args = encodeURIComponent(
      JSON.stringify([{ uri: document.uri.toString(), line: position.line, character: position.character, fromHover: true }]),
    );
    link.appendMarkdown(
      `[$(unlock) Decrypt to peek](command:kmsWorkbench.peekCiphertext?${args} "Decrypt and show the plaintext in a dialog; nothing is written")`,
    );
    return new vscode.Hover([info, link], new vscode.Range(position.line, token.start, position.line, token.end));
  }
}

/** The ciphertext a peek is about: at a position of a document, or the active editor's selection or cursor. */
async function ciphertextToPeek(args: Args): Promise<{ found: TextCiphertext; text: string; uri?: vscode.Uri }> {
  const rawUri = args.raw('uri');
  if (rawUri !== undefined) {
    const isPath = (text: string): boolean => text.startsWith('/') || /^[A-Za-z]:[\\/]/.test(text);
    const parse = (text: string): vscode.Uri | undefined => {
      try {
        return isPath(text) ? vscode.Uri.file(text) : vscode.Uri.parse(text, true);
      } catch {
        return undefined;
      }
    };
    const uri = rawUri instanceof vscode.Uri ? rawUri : typeof rawUri === 'string' && rawUri.trim() !== '' ? parse(rawUri) : undefined;
    if (!uri) throw new ArgumentError('kmsWorkbench.peekCiphertext: "uri" must be a Uri, a URI string or an absolute path.');
    const line = args.number('line', 'a line number (from 0)', { min: 0, max: 10_000_000 }) ?? 0;
    const character = args.number('character', 'a character offset in the line (from 0)', { min: 0, max: 100_000_000 }) ?? 0;
    const document =
      vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString()) ?? (await vscode.workspace.openTextDocument(uri));
    if (line >= document.lineCount)
      throw new ArgumentError(`kmsWorkbench.peekCiphertext: the document has ${document.lineCount} lines; "line" ${line} is past its end.`);
    const token = tokenAt(document.lineAt(line).text, character, MIN_HOVER_TOKEN);
    const found = token ? detectTextCiphertext(token.text) : undefined;
    if (!token || !found) throw new KmsError('NoCiphertext', `No ciphertext at line ${line + 1}, character ${character + 1}.`);
    return { found, text: token.text, uri };
  }
  const editor = vscode.window.activeTextEditor;
  if (!editor) throw new KmsError('NoEditor', 'Open a file and put the cursor in a ciphertext to peek at it.');
  const selection = editor.selection;
  let text: string;
  if (selection.isEmpty) {
    text = tokenAt(editor.document.lineAt(selection.active.line).text, selection.active.character, 20)?.text ?? '';
  } else {
    text = splitQuoted(editor.document.getText(selection), { trim: true }).inner;
  }
  const found = text ? detectTextCiphertext(text) : undefined;
  if (!found)
    throw new KmsError(
      'NoCiphertext',
      'No ciphertext under the cursor: put the cursor in (or select) a base64 KMS ciphertext or Encryption SDK message.',
    );
  return { found, text, uri: editor.document.uri };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The plaintext as shown: text (shortened), or a hex dump of the start of binary data. */
function shown(plaintext: Buffer): { shown: string; binary: boolean } {
  try {
    const text = utf8.decode(plaintext);
    return {
      shown:
        text.length > MAX_SHOWN
          ? `${text.slice(0, MAX_SHOWN)}\n… (${(text.length - MAX_SHOWN).toLocaleString('en-US')} more characters; Copy takes them all)`
          : text,
      binary: false,
    };
  } catch {
    const hex = plaintext
      .subarray(0, 256)
      .toString('hex')
      .replace(/(.{2})/g, '$1 ')
      .trim();
    return {
      shown: `Binary data, ${plaintext.length} bytes${plaintext.length > 256 ? ' (the first 256 shown)' : ''}:\n${hex}`,
      binary: true,
    };
  }
}

/** What Copy puts on the clipboard: the whole text, or binary data as base64. */
function copyable(plaintext: Buffer): { button: string; text: string } {
  try {
    return { button: 'Copy', text: utf8.decode(plaintext) };
  } catch {
    return { button: 'Copy as Base64', text: plaintext.toString('base64') };
  }
}

/**
 * `kmsWorkbench.peekCiphertext` `{ uri?, line?, character?, encryptionContext?, connection?, fromHover? }`:
 * decrypts the ciphertext at a position (the hover passes its own), else under the cursor or
 * selected, and shows the plaintext in a dialog only. Blobs: the encryption context given,
 * else the one remembered for the file, asked for when it fails. Returns `{ kind, keyId, bytes }`
 * (never the plaintext).
 */
export function peekCiphertext(deps: EditorDeps): CommandSpec<PeekResult> {
  return {
    id: 'kmsWorkbench.peekCiphertext',
    action: 'decrypt the ciphertext to peek at it',
    run: async (arg, services) => {
      const args = Args.from('kmsWorkbench.peekCiphertext', arg, [
        'uri',
        'line',
        'character',
        'encryptionContext',
        'connection',
        'fromHover',
      ]);
      // The hover's link passes an argument object, but a person clicked it and can be asked.
      const interactive = !isScripted(arg) || args.boolean('fromHover') === true;
      const { found, text, uri } = await ciphertextToPeek(args);
      const kms = await editorKms(services, args);
      await kms.guard.checkDataKeys('This ciphertext', visibleKeyArns(found));
      const given = args.has('encryptionContext') ? await askEncryptionContext(deps, args, { interactive: false, title: '' }) : undefined;
      const remembered = found.kind === 'blob' && uri ? deps.memory.contextFor(uri.toString(), text) : undefined;
      let secret: DecryptedSecret;
      try {
        secret = await decryptSecret(found, { encryptionContext: given ?? remembered }, kms);
      } catch (error) {
        if (!(found.kind === 'blob' && given === undefined && isContextProblem(error) && interactive)) throw error;
        const context = await askEncryptionContext(deps, NO_ARGS, {
          interactive: true,
          title: 'Encryption context to peek',
          prompt:
            `KMS could not decrypt this ciphertext with ${remembered ? 'the remembered encryption context' : 'no encryption context'}. ` +
            'Enter the encryption context it was encrypted with (key=value, …):',
          initial: uri ? deps.memory.contextFor(uri.toString()) : undefined,
        });
        secret = await decryptSecret(found, { encryptionContext: context }, kms);
        if (uri) await deps.memory.rememberContext(uri.toString(), context, [text]);
      }
      const bytes = secret.plaintext.length;
      const display = shown(secret.plaintext);
      // Copy puts the whole plaintext on the clipboard (the dialog shortens long text); never anywhere else.
      const copied = copyable(secret.plaintext);
      secret.plaintext.fill(0);
      const context = formatEncryptionContext(
        Object.fromEntries(Object.entries(secret.encryptionContext).filter(([k]) => !k.startsWith('aws-crypto-'))),
      );
      const key = keyName(secret.keyId, await kms.names());
      services.log.info(
        `Peeked at a ${found.kind === 'blob' ? 'KMS blob' : 'Encryption SDK message'} (${bytes} bytes) decrypted with ${secret.keyId}`,
      );
      // The plaintext is the dialog's text; the key, kind and context its detail.
      const withContext = context ? `, encryption context ${context}` : '';
      const kind = found.kind === 'blob' ? 'KMS ciphertext blob' : 'AWS Encryption SDK message';
      const choice = await deps.services.ui.choose(inertMessage(display.shown, { keepLineBreaks: true }), [copied.button], {
        modal: true,
        detail: inertMessage(
          `Decrypted with ${key}${withContext}.\n${kind}, ${bytes.toLocaleString('en-US')} ` +
            `bytes of ${display.binary ? 'binary data' : 'text'}. Shown here only: nothing was written.`,
          { keepLineBreaks: true },
        ),
      });
      if (choice === copied.button) await vscode.env.clipboard.writeText(copied.text);
      copied.text = '';
      return { kind: secret.kind, keyId: secret.keyId, bytes };
    },
  };
}
