import * as vscode from 'vscode';
import type { Args } from '../../core/args/readArgs';
import { inertMessage } from '../../core/text/inertText';
import type { UserInput } from '../ui/userInput';

/**
 * Where the results of KMS operations go. Secret material (data key plaintext, private
 * keys, random bytes) goes only to a read-only editor held in memory or to the clipboard,
 * by the person's choice, never to a file: an untitled editor would not do, because VS
 * Code's hot exit backs untitled editors up to disk. Nothing here is ever logged.
 */
export type Output = 'editor' | 'clipboard' | 'none';

export const OUTPUT_SCHEME = 'kms-workbench-output';

/**
 * Read-only documents whose text lives only in this map, dropped when VS Code closes the
 * document. Backs the "open in an editor" choice for secrets and reports.
 */
export class OutputDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly contents = new Map<string, string>();
  private readonly disposables: vscode.Disposable[] = [];
  private counter = 0;

  constructor() {
    this.disposables.push(
      vscode.workspace.registerTextDocumentContentProvider(OUTPUT_SCHEME, this),
      vscode.workspace.onDidCloseTextDocument((doc) => {
        if (doc.uri.scheme === OUTPUT_SCHEME) this.contents.delete(doc.uri.toString());
      }),
    );
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? 'This output was closed; its content is gone (it was never written to disk).\n';
  }

  /** Opens `content` in a new read-only editor titled `fileName` (its extension picks the language). */
  async show(fileName: string, content: string): Promise<vscode.TextEditor> {
    const uri = vscode.Uri.from({ scheme: OUTPUT_SCHEME, path: `/${fileName.replace(/[\\/]/g, '-')}`, query: `n=${++this.counter}` });
    this.contents.set(uri.toString(), content);
    const doc = await vscode.workspace.openTextDocument(uri);
    return vscode.window.showTextDocument(doc, { preview: false });
  }

  /** How many outputs are held (for tests: closed ones are dropped). */
  get size(): number {
    return this.contents.size;
  }

  dispose(): void {
    this.contents.clear();
    for (const d of this.disposables) d.dispose();
  }
}

export interface OutputChoice {
  readonly secret: boolean;
  /** Words for the picker, e.g. "the data key". */
  readonly what: string;
  /** Whether 'none' (result only) is allowed: not for secrets, which would be lost. */
  readonly allowNone: boolean;
}

/**
 * The `output` argument, or the person's choice. With an argument object, secrets default
 * to the editor and other results to none (the command's result carries them).
 */
export async function chooseOutput(ui: UserInput, args: Args, scripted: boolean, choice: OutputChoice): Promise<Output> {
  const allowed: Output[] = choice.allowNone ? ['editor', 'clipboard', 'none'] : ['editor', 'clipboard'];
  const given = args.oneOf('output', allowed);
  if (given) return given;
  if (scripted) return choice.allowNone ? 'none' : 'editor';
  return ui.pick<Output>(
    [
      {
        label: '$(file) Open in an editor',
        description: choice.secret ? 'read-only, held in memory, never saved' : 'read-only',
        value: 'editor',
      },
      { label: '$(clippy) Copy to the clipboard', description: choice.secret ? 'clear it when done' : undefined, value: 'clipboard' },
    ],
    { title: `Where should ${choice.what} go?` },
  );
}

/**
 * Shows the warning that comes with secret material, without waiting for an answer. On
 * the clipboard it offers to clear it (only while it still holds the secret) and any
 * further `actions` (e.g. copying the ciphertext, which replaces the secret).
 */
export function warnSecret(
  output: Output,
  what: string,
  options: { clipboardText?: string; actions?: { title: string; run: () => unknown }[] } = {},
): void {
  if (output === 'clipboard') {
    const actions = [{ title: 'Clear Clipboard', run: clearClipboardIfStill(options.clipboardText) }, ...(options.actions ?? [])];
    void vscode.window
      .showWarningMessage(
        `${what} is on the clipboard. It is secret material: paste it only where it belongs, then clear the clipboard.`,
        ...actions.map((a) => a.title),
      )
      .then((choice) => actions.find((a) => a.title === choice)?.run());
  } else if (output === 'editor') {
    void vscode.window.showWarningMessage(
      `${what} is shown in a read-only editor held in memory only. It is secret material: do not save or share it, and close the editor when done.`,
    );
  }
}

function clearClipboardIfStill(secret: string | undefined): () => Promise<void> {
  return async () => {
    // Clear only if the clipboard still holds our secret (not something copied since).
    if (secret === undefined || (await vscode.env.clipboard.readText()) === secret) await vscode.env.clipboard.writeText('');
  };
}

/** Puts text where the person chose: a read-only editor or the clipboard. */
export async function deliver(
  docs: OutputDocuments,
  output: Output,
  text: { fileName: string; document: string; clipboard: string },
): Promise<void> {
  if (output === 'editor') await docs.show(text.fileName, text.document);
  else if (output === 'clipboard') await vscode.env.clipboard.writeText(text.clipboard);
}

/**
 * Puts a shared secret (ML-KEM, ECDH) where the person chose, as a JSON document
 * `{ ...head, SharedSecret (base64), SharedSecretHex, ...tail }` or on the clipboard (base64),
 * with the warning every secret gets; zeroes `secret` afterwards.
 */
export async function deliverSharedSecret(
  docs: OutputDocuments,
  output: Output,
  keyLabel: string,
  secret: Uint8Array,
  fields: { head: Record<string, string>; tail: Record<string, string> },
): Promise<void> {
  const bytes = Buffer.from(secret);
  try {
    const base64 = bytes.toString('base64');
    const document = { ...fields.head, SharedSecret: base64, SharedSecretHex: bytes.toString('hex'), ...fields.tail };
    await deliver(docs, output, {
      fileName: `shared-secret-${fileLabel(keyLabel)}.json`,
      document: `${JSON.stringify(document, null, 2)}\n`,
      clipboard: base64,
    });
    warnSecret(output, 'The shared secret', { clipboardText: base64 });
  } finally {
    bytes.fill(0);
    secret.fill(0);
  }
}

/** A file-name-safe short form of a key label for output titles. */
export function fileLabel(label: string): string {
  return label
    .replace(/^alias\//, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .slice(0, 60);
}

/** An information message that asks nothing, so scripts are never held up by it. */
export function notify(message: string, ...actions: { title: string; run: () => unknown }[]): void {
  void vscode.window.showInformationMessage(inertMessage(message), ...actions.map((a) => a.title)).then((choice) => {
    void actions.find((a) => a.title === choice)?.run();
  });
}
