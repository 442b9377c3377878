import * as vscode from 'vscode';
import { type DecryptedLocation, fromDecryptedUriParts, toDecryptedUriParts } from '../../core/decrypted/names';

/** The scheme of decrypted editors: plaintext served from memory, never from disk. */
export const DECRYPTED_SCHEME = 'kms-decrypted';

export interface DecryptedView {
  /** The encrypted file on disk. */
  readonly file: vscode.Uri;
  /** A Git revision (read-only view); undefined: the file as it is on disk (editable). */
  readonly ref?: string;
}

/** `kms-decrypted:/dir/app.json?file=app.json.kms` for /dir/app.json.kms (and `&ref=HEAD` for a revision). */
export function decryptedUri(view: DecryptedView): vscode.Uri {
  if (view.file.scheme !== 'file') throw new Error(`Only files on disk can be opened decrypted, not ${view.file.toString()}`);
  const parts = toDecryptedUriParts({ realPath: view.file.path, ref: view.ref });
  return vscode.Uri.from({ scheme: DECRYPTED_SCHEME, path: parts.path, query: parts.query });
}

/** The encrypted file (and revision) behind a decrypted editor's URI; undefined for any other URI. */
export function viewOf(uri: vscode.Uri): DecryptedView | undefined {
  if (uri.scheme !== DECRYPTED_SCHEME) return undefined;
  const location: DecryptedLocation | undefined = fromDecryptedUriParts({ path: uri.path, query: uri.query });
  if (!location) return undefined;
  return { file: vscode.Uri.from({ scheme: 'file', path: location.realPath }), ref: location.ref };
}
