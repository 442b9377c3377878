import * as vscode from 'vscode';

/** The scheme of the key-policy documents ("Edit as JSON" tabs and the server side of diffs). */
export const POLICY_SCHEME = 'kms-policy';

/** What a policy document reads from and writes to: the editor session of one key. */
export interface PolicyDocumentSource {
  /** The policy being edited. */
  workingText(): string;
  /** The policy on the server, as last read (the left side of diffs). */
  serverText(): string;
  /** The JSON tab was saved (by the person or by the sync): take its text. */
  acceptDocumentText(text: string): void;
  /** Why the policy cannot be changed (an AWS managed key): its working document is read-only too. */
  readOnlyReason(): string | undefined;
}

/** FNV-1a: a short stable token for a connection id (which may hold "/" and ":"). */
function shortHash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36);
}

export function sessionKeyOf(connectionId: string, keyId: string): string {
  return `c${shortHash(connectionId)}/${keyId}`;
}

/** A file name people recognise in the tab: the alias (or key id) and what it is. */
function fileName(label: string): string {
  return `${label.replace(/^alias\//, '').replace(/[^\w.-]+/g, '-')}.key-policy.json`;
}

/**
 * `kms-policy:/<name>.key-policy.json?session=<session>`: the policy being edited. The session
 * is in the query, so the breadcrumb and tooltip show only the name people recognise.
 */
export function workingUri(sessionKey: string, label: string): vscode.Uri {
  return vscode.Uri.from({
    scheme: POLICY_SCHEME,
    path: `/${fileName(label)}`,
    query: new URLSearchParams({ session: sessionKey }).toString(),
  });
}

/** `kms-policy:/on-server/<name>.key-policy.json?session=<session>`: the server's policy, read-only. */
export function serverUri(sessionKey: string, label: string): vscode.Uri {
  return vscode.Uri.from({
    scheme: POLICY_SCHEME,
    path: `/on-server/${fileName(label)}`,
    query: new URLSearchParams({ session: sessionKey }).toString(),
  });
}

/**
 * Serves the key-policy documents from the editor sessions. The working document is
 * writable (saving it hands the text to the session, which keeps the form in sync); the
 * server one is read-only. There are no folders to list.
 */
export class PolicyFileSystem implements vscode.FileSystemProvider, vscode.Disposable {
  private readonly changes = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changes.event;
  private readonly sources = new Map<string, PolicyDocumentSource>();
  private readonly mtimes = new Map<string, number>();
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });

  /** Makes a session's documents available; dispose to withdraw them. */
  attach(sessionKey: string, source: PolicyDocumentSource): vscode.Disposable {
    this.sources.set(sessionKey, source);
    return { dispose: () => this.sources.delete(sessionKey) };
  }

  /** Tells VS Code that a document's content changed (re-read when it is open and clean). */
  changed(uri: vscode.Uri): void {
    this.mtimes.set(uri.toString(), Date.now());
    this.changes.fire([{ type: vscode.FileChangeType.Changed, uri }]);
  }

  private resolve(uri: vscode.Uri): { source: PolicyDocumentSource; server: boolean } {
    const session = new URLSearchParams(uri.query).get('session');
    const source = session ? this.sources.get(session) : undefined;
    const [, ...parts] = uri.path.split('/');
    const server = parts[0] === 'on-server';
    if (!source || parts.length !== (server ? 2 : 1) || !parts[parts.length - 1].endsWith('.key-policy.json'))
      throw vscode.FileSystemError.FileNotFound(uri);
    return { source, server };
  }

  private content(uri: vscode.Uri): { bytes: Uint8Array; server: boolean } {
    const { source, server } = this.resolve(uri);
    return { bytes: this.encoder.encode(server ? source.serverText() : source.workingText()), server };
  }

  stat(uri: vscode.Uri): vscode.FileStat {
    const { bytes, server } = this.content(uri);
    const mtime = this.mtimes.get(uri.toString()) ?? 0;
    const readOnly = server || this.resolve(uri).source.readOnlyReason() !== undefined;
    return {
      type: vscode.FileType.File,
      ctime: 0,
      mtime,
      size: bytes.byteLength,
      permissions: readOnly ? vscode.FilePermission.Readonly : undefined,
    };
  }

  readFile(uri: vscode.Uri): Uint8Array {
    return this.content(uri).bytes;
  }

  writeFile(uri: vscode.Uri, content: Uint8Array): void {
    const { source, server } = this.resolve(uri);
    if (server)
      throw vscode.FileSystemError.NoPermissions(
        'The policy on the server is read-only here: edit the policy in its editor and save it from there.',
      );
    const readOnly = source.readOnlyReason();
    if (readOnly) throw vscode.FileSystemError.NoPermissions(readOnly);
    source.acceptDocumentText(this.decoder.decode(content));
    this.mtimes.set(uri.toString(), Date.now());
  }

  watch(): vscode.Disposable {
    return { dispose: () => undefined };
  }

  readDirectory(): [string, vscode.FileType][] {
    return [];
  }

  createDirectory(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  delete(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  rename(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  dispose(): void {
    this.changes.dispose();
    this.sources.clear();
  }
}
