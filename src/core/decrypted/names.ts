// Where a decrypted editor lives: a URI of its own scheme whose path is the encrypted file's
// path with an encryption suffix (".kms") removed, so VS Code picks the language mode from
// the name as for any file ("app.json.kms" → JSON, ".env" → Properties). The query names
// the real file when its name differs, and the Git revision of read-only views. Everything
// here is in URI path form (posix, absolute); the host converts to and from file paths.
//
// The URI is written by VS Code into its recently-opened list and editor state, so it holds
// nothing but the path and the revision: never a key, a context or any plaintext.

/** Suffixes that mark an encrypted file and are dropped for the decrypted editor's name. */
export const ENCRYPTED_SUFFIXES: readonly string[] = ['.kms', '.enc', '.encrypted'];

/** "app.json.kms" → "app.json"; ".env" stays ".env"; ".kms" stays ".kms" (nothing would be left). */
export function plaintextNameOf(fileName: string): string {
  const lower = fileName.toLowerCase();
  for (const suffix of ENCRYPTED_SUFFIXES) {
    if (lower.endsWith(suffix) && fileName.length > suffix.length && !fileName.slice(0, -suffix.length).endsWith('/')) {
      const rest = fileName.slice(0, -suffix.length);
      if (rest !== '.' && rest !== '') return rest;
    }
  }
  return fileName;
}

/** A decrypted view: the working copy (editable) or a Git revision (read-only). */
export interface DecryptedLocation {
  /** URI path of the encrypted file, e.g. /work/app/config.json.kms. */
  readonly realPath: string;
  /** A Git revision (e.g. HEAD) for a read-only view of that version; undefined: the file on disk. */
  readonly ref?: string;
}

export interface DecryptedUriParts {
  readonly path: string;
  readonly query: string;
}

/** Git revisions we accept in a URI: names, hashes, HEAD~1, tags; no spaces, no option-like text. */
const REF = /^(?!-)[\w./~^@{}-]{1,200}$/;

export function isValidRef(ref: string): boolean {
  return REF.test(ref) && !ref.includes('..');
}

function split(path: string): { dir: string; name: string } {
  const slash = path.lastIndexOf('/');
  return { dir: path.slice(0, slash), name: path.slice(slash + 1) };
}

/** The path and query of the decrypted view of `location`. */
export function toDecryptedUriParts(location: DecryptedLocation): DecryptedUriParts {
  if (!location.realPath.startsWith('/')) throw new Error(`Not an absolute path: ${location.realPath}`);
  const { dir, name } = split(location.realPath);
  const shown = plaintextNameOf(name);
  const params = new URLSearchParams();
  if (shown !== name) params.set('file', name);
  if (location.ref !== undefined) {
    if (!isValidRef(location.ref)) throw new Error(`Not a Git revision: ${location.ref}`);
    params.set('ref', location.ref);
  }
  return { path: `${dir}/${shown}`, query: params.toString() };
}

/** The encrypted file (and revision) a decrypted view's path and query stand for; undefined when they are not ours. */
export function fromDecryptedUriParts(parts: DecryptedUriParts): DecryptedLocation | undefined {
  if (!parts.path.startsWith('/') || parts.path.endsWith('/')) return undefined;
  const params = new URLSearchParams(parts.query);
  for (const key of params.keys()) if (key !== 'file' && key !== 'ref') return undefined;
  const { dir, name } = split(parts.path);
  const file = params.get('file');
  if (file !== null && (file === '' || file.includes('/') || file === '.' || file === '..' || plaintextNameOf(file) !== name)) return undefined;
  const ref = params.get('ref');
  if (ref !== null && !isValidRef(ref)) return undefined;
  return { realPath: `${dir}/${file ?? name}`, ...(ref !== null ? { ref } : {}) };
}
