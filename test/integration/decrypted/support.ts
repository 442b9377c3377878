// Helpers of the decrypted-editing suite: encrypted files made in memory (their plaintext is
// never written anywhere), the extension's own KMS connection, and waiting for VS Code.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KMS } from '@aws-sdk/client-kms';
import { buildClient, CommitmentPolicy, KmsKeyringNode } from '@aws-crypto/client-node';
import * as vscode from 'vscode';
import type { KmsWorkbenchApi } from '../../../src/extension';
import { activeExtension, emulatorUrl } from '../util/env';

export type Testing = NonNullable<KmsWorkbenchApi['testing']>;
export type EncryptionContext = Record<string, string>;

/**
 * KMS for the tests, independent of the code under test: the AWS SDK and the AWS Encryption
 * SDK (@aws-crypto/client-node) straight against the emulator.
 */
export interface Kms {
  readonly testing: Testing;
  readonly client: KMS;
  /** A new enabled symmetric key; its ARN. */
  createKey(): Promise<string>;
  dispose(): void;
}

/** The extension's test API and a KMS client of the tests' own; undefined for a packaged .vsix. */
export async function kms(): Promise<Kms | undefined> {
  const ext = await activeExtension();
  const testing = (ext.exports as KmsWorkbenchApi).testing;
  if (!testing) return undefined;
  const client = new KMS({ endpoint: emulatorUrl(), region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  return {
    testing,
    client,
    createKey: async () => (await client.createKey({ Description: 'decrypted editing tests' })).KeyMetadata!.Arn!,
    dispose: () => client.destroy(),
  };
}

const esdk = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);

export function workspaceDir(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('The integration tests need a workspace folder.');
  return folder.uri.fsPath;
}

export type Format = 'base64' | 'binary' | 'blob';

/** Encrypts `plaintext` in memory and writes only the ciphertext to `path` (as the extension writes files). */
export async function writeEncrypted(
  k: Kms,
  path: string,
  plaintext: string,
  options: { keyId: string; context?: EncryptionContext; format?: Format },
): Promise<Buffer> {
  const out = await encrypted(k, plaintext, options);
  writeFileSync(path, out);
  return out;
}

export async function encrypted(
  k: Kms,
  plaintext: string,
  options: { keyId: string; context?: EncryptionContext; format?: Format },
): Promise<Buffer> {
  if (options.format === 'blob') {
    const { CiphertextBlob } = await k.client.encrypt({
      KeyId: options.keyId,
      Plaintext: Buffer.from(plaintext, 'utf8'),
      EncryptionContext: options.context,
    });
    return Buffer.from(`${Buffer.from(CiphertextBlob!).toString('base64')}\n`, 'latin1');
  }
  const keyring = new KmsKeyringNode({ generatorKeyId: options.keyId, clientProvider: () => k.client });
  const { result } = await esdk.encrypt(keyring, plaintext, { encryptionContext: options.context ?? {} });
  return options.format === 'binary' ? result : Buffer.from(`${result.toString('base64').replace(/(.{76})/g, '$1\n')}\n`, 'latin1');
}

export interface Decrypted {
  readonly text: string;
  readonly format: Format;
  /** ARNs of the keys that can decrypt it. */
  readonly keyArns: string[];
  readonly context: EncryptionContext;
}

/** Decrypts a file in memory with the AWS Encryption SDK (messages) or KMS Decrypt (blobs). */
export async function decryptedText(k: Kms, path: string, blobContext?: EncryptionContext): Promise<Decrypted> {
  const raw = readFileSync(path);
  const text = raw.toString('latin1').trim();
  const base64 = /^[A-Za-z0-9+/=\s]+$/.test(text);
  const bytes = base64 ? Buffer.from(text.replace(/\s+/g, ''), 'base64') : raw;
  if (bytes[0] === 0x02) {
    const keyring = new KmsKeyringNode({ discovery: true, clientProvider: () => k.client });
    const { plaintext, messageHeader } = await esdk.decrypt(keyring, bytes);
    return {
      text: plaintext.toString('utf8'),
      format: base64 ? 'base64' : 'binary',
      keyArns: messageHeader.encryptedDataKeys.filter((e) => e.providerId === 'aws-kms').map((e) => e.providerInfo),
      context: { ...messageHeader.encryptionContext },
    };
  }
  const out = await k.client.decrypt({ CiphertextBlob: bytes, EncryptionContext: blobContext });
  return { text: Buffer.from(out.Plaintext!).toString('utf8'), format: 'blob', keyArns: [out.KeyId!], context: blobContext ?? {} };
}

export function run<T>(command: string, arg?: unknown): Thenable<T> {
  return vscode.commands.executeCommand<T>(`kmsWorkbench.${command}`, arg);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Waits until `check` returns something truthy (polling), or fails naming `what`. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** The open document of `uri`, if any. */
export function documentOf(uri: vscode.Uri | string): vscode.TextDocument | undefined {
  const key = uri.toString();
  return vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
}

/** Replaces a document's whole text (as typing would): it becomes dirty. */
export async function setText(doc: vscode.TextDocument, text: string): Promise<void> {
  const edit = new vscode.WorkspaceEdit();
  edit.replace(doc.uri, new vscode.Range(0, 0, doc.lineCount, 0), text);
  if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`Could not edit ${doc.uri.toString()}`);
}

export async function closeAllEditors(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor').then(undefined, () => undefined);
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

/** Files under `root` (recursively) containing `needle` in UTF-8 or UTF-16LE; unreadable and huge files are skipped. */
export function filesContaining(
  root: string,
  needle: string,
  options: { maxBytes?: number; skip?: (path: string) => boolean } = {},
): string[] {
  const forms = [Buffer.from(needle, 'utf8'), Buffer.from(needle, 'utf16le')];
  const found: string[] = [];
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      if (options.skip?.(path)) continue;
      let info;
      try {
        info = statSync(path, { throwIfNoEntry: false });
      } catch {
        continue;
      }
      if (!info) continue;
      if (info.isDirectory()) walk(path);
      else if (info.isFile() && info.size <= (options.maxBytes ?? 64 * 1024 * 1024)) {
        let bytes: Buffer;
        try {
          bytes = readFileSync(path);
        } catch {
          continue;
        }
        if (forms.some((f) => bytes.includes(f))) found.push(path);
      }
    }
  };
  walk(root);
  return found;
}
