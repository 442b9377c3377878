import * as vscode from 'vscode';
import {
  type DecryptedLocation,
  type DecryptedRoot,
  fromDecryptedUriParts,
  realFolderOf,
  toDecryptedUriParts,
} from '../../core/decrypted/names';

/** The scheme of decrypted editors: plaintext served from memory, never from disk. */
export const DECRYPTED_SCHEME = 'kms-decrypted';

export interface DecryptedView {
  /** The encrypted file on disk. */
  readonly file: vscode.Uri;
  /** A Git revision (read-only view); undefined: the file as it is on disk (editable). */
  readonly ref?: string;
}

/** The workspace folders on disk, which decrypted editors' paths are relative to. */
function roots(): DecryptedRoot[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => ({ name: f.name, path: f.uri.path }));
}

/**
 * `kms-decrypted:/config/app.json?real=/ws/config/app.json.kms` for /ws/config/app.json.kms in the
 * workspace folder /ws (workspace-relative, as breadcrumbs and tooltips show it); outside the
 * workspace `kms-decrypted:/dir/app.json?file=app.json.kms`; `&ref=HEAD` for a revision.
 */
export function decryptedUri(view: DecryptedView): vscode.Uri {
  if (view.file.scheme !== 'file') throw new Error(`Only files on disk can be opened decrypted, not ${view.file.toString()}`);
  const parts = toDecryptedUriParts({ realPath: view.file.path, ref: view.ref }, roots());
  return vscode.Uri.from({ scheme: DECRYPTED_SCHEME, path: parts.path, query: parts.query });
}

/** The encrypted file (and revision) behind a decrypted editor's URI; undefined for any other URI. */
export function viewOf(uri: vscode.Uri): DecryptedView | undefined {
  if (uri.scheme !== DECRYPTED_SCHEME) return undefined;
  const location: DecryptedLocation | undefined = fromDecryptedUriParts({ path: uri.path, query: uri.query });
  if (!location) return undefined;
  return { file: vscode.Uri.from({ scheme: 'file', path: location.realPath }), ref: location.ref };
}

/** The folder on disk behind a parent folder of a decrypted view (breadcrumbs ask about them); undefined for any other URI. */
export function realFolderOfDecrypted(uri: vscode.Uri): vscode.Uri | undefined {
  if (uri.scheme !== DECRYPTED_SCHEME) return undefined;
  const folder = realFolderOf(uri.path, uri.query, (realPath) => toDecryptedUriParts({ realPath }, roots()).path);
  return folder ? vscode.Uri.from({ scheme: 'file', path: folder }) : undefined;
}
