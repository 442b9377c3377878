// Decrypting what a decrypted view shows: the encrypted file as it is on disk, or a Git
// revision of it. KMS blobs need the encryption context they were encrypted with: the one
// given, else the one remembered for the file (shared with the in-place commands), else
// none; when KMS refuses it and a person is there, they are asked, and the answer is
// remembered. Messages carry their context; a given one is checked against it.
import { basename } from 'node:path';
import type * as vscode from 'vscode';
import { Args } from '../../core/args/readArgs';
import {
  decryptBytesToMemory,
  decryptFileToMemory,
  type DecryptedContent,
  type EncryptionTarget,
} from '../../core/decrypted/decryptedFile';
import { detectFileFormat } from '../../core/envelope/detect';
import { contextMismatches, formatEncryptionContext } from '../../core/envelope/encryptionContext';
import { inspectFile } from '../../core/envelope/fileEncryption';
import type { EncryptionContext } from '../../core/envelope/messageFormat';
import { KmsError } from '../../core/kms/errors';
import { visibleKeyArns } from '../../core/trust/keyTrust';
import { askEncryptionContext, type EditorDeps, type EditorKms, editorKms, isContextProblem } from '../editor/editorKms';
import type { GitRevisions } from './gitRevisions';

export interface LoadOptions {
  /** A person is there to be asked (for a blob's encryption context). */
  readonly interactive: boolean;
  /** Connection label or id; default the active one (or the view's before). */
  readonly connection?: string;
  /** A blob's encryption context; for a message, pairs its context must have. */
  readonly encryptionContext?: EncryptionContext;
  /** The view's state before (decrypting a newer version): its connection and blob context are kept. */
  readonly previous?: WorkingState;
}

/** What an editable view needs to save: the crypto, how to encrypt, and which version of the file it holds. */
export interface WorkingState {
  readonly kms: EditorKms;
  readonly target: EncryptionTarget;
  /** SHA-256 of the encrypted file's bytes the view's content was decrypted from (or saved as). */
  readonly ciphertextHash: string;
  readonly mtimeMs: number;
}

export interface DecryptedLoader {
  loadWorking(file: vscode.Uri, options: LoadOptions): Promise<{ plaintext: Buffer; state: WorkingState }>;
  loadRevision(file: vscode.Uri, ref: string, options: LoadOptions): Promise<Buffer>;
}

export class KmsDecryptedLoader implements DecryptedLoader {
  constructor(
    private readonly deps: EditorDeps,
    private readonly git: GitRevisions,
  ) {}

  async loadWorking(file: vscode.Uri, options: LoadOptions): Promise<{ plaintext: Buffer; state: WorkingState }> {
    const kms = options.previous?.kms ?? (await this.kmsFor(options));
    const inspection = await inspectFile(file.fsPath).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        throw new KmsError('FileNotFound', `${basename(file.fsPath)} does not exist (any more).`);
      throw error;
    });
    const blob = inspection.format.kind === 'blob';
    // Before any KMS call: data keys only under keys of trusted accounts.
    await kms.guard.checkDataKeys(
      basename(file.fsPath),
      visibleKeyArns({ header: inspection.header, blob: inspection.format.kind === 'blob' ? inspection.format.blob : undefined }),
    );
    const previousContext = options.previous?.target.format === 'blob' ? options.previous.target.encryptionContext : undefined;
    const content = await this.withBlobContext(
      file,
      blob,
      { ...options, encryptionContext: options.encryptionContext ?? previousContext },
      (blobContext) => decryptFileToMemory(file.fsPath, { blobContext }, kms),
    );
    checkGivenContext(content, blob, options.encryptionContext, basename(file.fsPath));
    return {
      plaintext: content.plaintext,
      state: { kms, target: content.target, ciphertextHash: content.ciphertextHash, mtimeMs: content.mtimeMs },
    };
  }

  async loadRevision(file: vscode.Uri, ref: string, options: LoadOptions): Promise<Buffer> {
    const kms = await this.kmsFor(options);
    const name = `${basename(file.fsPath)} at ${ref}`;
    const bytes = await this.git.revision(file, ref);
    const format = detectFileFormat(bytes, bytes.length);
    const blob = format.kind === 'blob';
    await kms.guard.checkDataKeys(
      name,
      visibleKeyArns({
        header: format.kind === 'message' ? format.header : undefined,
        blob: format.kind === 'blob' ? format.blob : undefined,
      }),
    );
    const content = await this.withBlobContext(file, blob, options, (blobContext) =>
      decryptBytesToMemory(bytes, name, { blobContext }, kms),
    );
    return content.plaintext;
  }

  private kmsFor(options: LoadOptions): Promise<EditorKms> {
    return editorKms(
      this.deps.services,
      Args.from('kmsWorkbench.openDecrypted', options.connection === undefined ? undefined : { connection: options.connection }, [
        'connection',
      ]),
    );
  }

  /** Runs `decrypt` with the right blob context (asking for it when KMS refuses the one tried). */
  private async withBlobContext<T>(
    file: vscode.Uri,
    blob: boolean,
    options: LoadOptions,
    decrypt: (blobContext: EncryptionContext | undefined) => Promise<T>,
  ): Promise<T> {
    if (!blob) return decrypt(undefined);
    const key = file.toString();
    const tried = options.encryptionContext ?? this.deps.memory.contextFor(key);
    try {
      return await decrypt(tried ?? {});
    } catch (error) {
      if (!(options.interactive && options.encryptionContext === undefined && isContextProblem(error))) throw error;
      const name = basename(file.fsPath);
      const context = await askEncryptionContext(this.deps, Args.from('', undefined, []), {
        interactive: true,
        title: `Encryption context of ${name}`,
        prompt:
          `KMS could not decrypt ${name} with ${tried ? `the remembered encryption context (${formatEncryptionContext(tried)})` : 'no encryption context'}. ` +
          'Enter the encryption context it was encrypted with (key=value, …):',
        initial: tried,
      });
      const out = await decrypt(context);
      await this.deps.memory.rememberContext(key, context);
      return out;
    }
  }
}

/** A message carries its context: a given one must be part of it (as for Decrypt File). */
function checkGivenContext(content: DecryptedContent, blob: boolean, given: EncryptionContext | undefined, name: string): void {
  if (blob || !given) return;
  const wrong = contextMismatches(content.target.encryptionContext, given);
  if (!wrong.length) return;
  content.plaintext.fill(0);
  throw new KmsError(
    'EncryptionContextMismatch',
    `${name}'s encryption context does not match: expected ${wrong.join(', ')}. ` +
      `Its context is ${formatEncryptionContext(content.target.encryptionContext) || 'empty'}.`,
  );
}
