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

/** A workspace folder, as the decrypted editors' paths are made relative to it. */
export interface DecryptedRoot {
  /** The folder's name (shown first in multi-root workspaces, as VS Code shows it). */
  readonly name: string;
  /** Its URI path, e.g. /work/app. */
  readonly path: string;
}

function segments(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

/**
 * The path and query of the decrypted view of `location`. Inside a workspace folder the path is
 * workspace-relative (`/config/app.json`; `/<folder name>/config/app.json` with several folders),
 * so breadcrumbs, tooltips and tab labels read as they do for the file itself, and the query's
 * `real` names the encrypted file. Outside every folder the path is the file's own path, and
 * `file` names the real file when its name differs.
 */
export function toDecryptedUriParts(location: DecryptedLocation, roots: readonly DecryptedRoot[] = []): DecryptedUriParts {
  if (!location.realPath.startsWith('/')) throw new Error(`Not an absolute path: ${location.realPath}`);
  const { dir, name } = split(location.realPath);
  const shown = plaintextNameOf(name);
  const params = new URLSearchParams();
  const root = roots
    .filter((r) => r.path !== '/' && location.realPath.startsWith(`${r.path.replace(/\/+$/, '')}/`))
    .sort((a, b) => b.path.length - a.path.length)[0];
  let path: string;
  if (root) {
    const relativeDir = dir.slice(root.path.replace(/\/+$/, '').length);
    const folder = roots.length > 1 ? root.name.replace(/\//g, '-') || 'folder' : undefined;
    path = `${folder !== undefined ? `/${folder}` : ''}${relativeDir}/${shown}`;
    params.set('real', location.realPath);
    if (folder !== undefined) params.set('in', folder);
  } else {
    path = `${dir}/${shown}`;
    if (shown !== name) params.set('file', name);
  }
  if (location.ref !== undefined) {
    if (!isValidRef(location.ref)) throw new Error(`Not a Git revision: ${location.ref}`);
    params.set('ref', location.ref);
  }
  return { path, query: params.toString() };
}

/** The encrypted file (and revision) a decrypted view's path and query stand for; undefined when they are not ours. */
export function fromDecryptedUriParts(parts: DecryptedUriParts): DecryptedLocation | undefined {
  if (!parts.path.startsWith('/') || parts.path.endsWith('/')) return undefined;
  const params = new URLSearchParams(parts.query);
  for (const key of params.keys()) if (key !== 'file' && key !== 'ref' && key !== 'real' && key !== 'in') return undefined;
  const { dir, name } = split(parts.path);
  const ref = params.get('ref');
  if (ref !== null && !isValidRef(ref)) return undefined;
  const real = params.get('real');
  if (real !== null) {
    // The real file must be what the path shows: the same name (plus a suffix) in the same folders.
    if (params.has('file') || !real.startsWith('/') || real.endsWith('/')) return undefined;
    const realParts = segments(real);
    if (realParts.some((s) => s === '.' || s === '..')) return undefined;
    let shownParts = segments(dir);
    // With several folders (`in`) the first segment is the folder's name, which need not be its directory's.
    const folder = params.get('in');
    if (folder !== null) {
      if (shownParts[0] !== folder) return undefined;
      shownParts = shownParts.slice(1);
    }
    const realDir = realParts.slice(0, -1);
    if (shownParts.length > realDir.length || realDir.slice(realDir.length - shownParts.length).join('/') !== shownParts.join('/'))
      return undefined;
    if (plaintextNameOf(realParts[realParts.length - 1]) !== name) return undefined;
    return { realPath: real, ...(ref !== null ? { ref } : {}) };
  }
  if (params.has('in')) return undefined;
  const file = params.get('file');
  if (file !== null && (file === '' || file.includes('/') || file === '.' || file === '..' || plaintextNameOf(file) !== name))
    return undefined;
  return { realPath: `${dir}/${file ?? name}`, ...(ref !== null ? { ref } : {}) };
}

/**
 * The real folder behind a folder of a decrypted view's path (VS Code asks about the parents
 * of an open view for breadcrumbs): `folderPath` is an ancestor of the view's path, with the
 * view's query. Undefined when it is not one.
 */
export function realFolderOf(folderPath: string, query: string, viewPath: (realPath: string) => string | undefined): string | undefined {
  const real = new URLSearchParams(query).get('real');
  if (real === null) return undefined;
  const shown = viewPath(real);
  if (!shown) return undefined;
  const shownParts = segments(shown);
  const folderParts = segments(folderPath);
  if (folderParts.length >= shownParts.length || folderParts.join('/') !== shownParts.slice(0, folderParts.length).join('/'))
    return undefined;
  const realParts = segments(real);
  const up = shownParts.length - folderParts.length;
  if (realParts.length - up < 0) return undefined;
  return `/${realParts.slice(0, realParts.length - up).join('/')}`;
}
