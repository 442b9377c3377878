// The workspace's encrypted files, keyed by path, kept current one file at a time: a change
// re-reads only the file that changed (and only when its size or modification time moved).
// Only what classifyFile reports is kept (no file contents), so memory grows with the number
// of encrypted files, not with their size.
import { stat } from 'node:fs/promises';
import { classifyFile, type InventoryEntry } from './classify';
import { keyIdOf, UNNAMED_KEY } from './keyRefs';

export interface KeyGroupOfFiles {
  /** Key id (UNNAMED_KEY for ciphertexts that name no key). */
  readonly keyId: string;
  /** Every form the files name the key by (ARNs, bare id). */
  readonly refs: readonly string[];
  readonly files: readonly InventoryEntry[];
}

export interface ScanProgress {
  readonly done: number;
  readonly total: number;
}

export type IndexChange = {
  readonly path: string;
  readonly entry: InventoryEntry | undefined;
  readonly previous: InventoryEntry | undefined;
};

interface Stamp {
  readonly size: number;
  readonly mtimeMs: number;
  readonly entry?: InventoryEntry;
}

export class InventoryIndex {
  private readonly stamps = new Map<string, Stamp>();
  private readonly listeners = new Set<(changes: readonly IndexChange[]) => void>();
  /** How many files were read (classified) since the index was made: tests check increments. */
  reads = 0;

  constructor(private readonly classify: (path: string) => Promise<InventoryEntry | undefined> = classifyFile) {}

  /** Listens for files whose entry changed (appeared, changed keys, disappeared). */
  onDidChange(listener: (changes: readonly IndexChange[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The entry of an encrypted file, undefined for others and unknown paths. */
  get(path: string): InventoryEntry | undefined {
    return this.stamps.get(path)?.entry;
  }

  /** Whether the path has been looked at. */
  has(path: string): boolean {
    return this.stamps.has(path);
  }

  /** Every encrypted file. */
  entries(): InventoryEntry[] {
    const out: InventoryEntry[] = [];
    for (const s of this.stamps.values()) if (s.entry) out.push(s.entry);
    return out;
  }

  /** Number of files looked at (encrypted or not). */
  get size(): number {
    return this.stamps.size;
  }

  /**
   * Looks at `paths` (all of a workspace, say), `concurrency` at a time; paths the index knew
   * but `paths` lacks are forgotten when `replace` is set. Reports progress; stops when aborted.
   */
  async scan(
    paths: readonly string[],
    options: { concurrency?: number; signal?: AbortSignal; onProgress?: (p: ScanProgress) => void; replace?: boolean } = {},
  ): Promise<void> {
    const changes: IndexChange[] = [];
    if (options.replace) {
      const keep = new Set(paths);
      for (const [path, s] of this.stamps) {
        if (keep.has(path)) continue;
        this.stamps.delete(path);
        if (s.entry) changes.push({ path, entry: undefined, previous: s.entry });
      }
    }
    let next = 0;
    let done = 0;
    const worker = async (): Promise<void> => {
      while (next < paths.length) {
        options.signal?.throwIfAborted();
        const path = paths[next++];
        const change = await this.look(path);
        if (change) changes.push(change);
        done++;
        if (done % 200 === 0 || done === paths.length) options.onProgress?.({ done, total: paths.length });
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 16) }, worker));
    } finally {
      this.emit(changes);
    }
  }

  /** Looks at one file again (it changed or appeared); returns its entry. */
  async update(path: string): Promise<InventoryEntry | undefined> {
    const change = await this.look(path);
    if (change) this.emit([change]);
    return this.get(path);
  }

  /** Forgets a deleted file. */
  remove(path: string): void {
    const s = this.stamps.get(path);
    if (!s) return;
    this.stamps.delete(path);
    if (s.entry) this.emit([{ path, entry: undefined, previous: s.entry }]);
  }

  /** Forgets every file under `folder` (a folder was deleted or left the workspace). */
  removeUnder(folder: string): void {
    const prefix = folder.endsWith('/') || folder.endsWith('\\') ? folder : `${folder}${folder.includes('\\') ? '\\' : '/'}`;
    const changes: IndexChange[] = [];
    for (const [path, s] of this.stamps) {
      if (!path.startsWith(prefix)) continue;
      this.stamps.delete(path);
      if (s.entry) changes.push({ path, entry: undefined, previous: s.entry });
    }
    this.emit(changes);
  }

  clear(): void {
    this.removeUnder('');
    this.stamps.clear();
  }

  /** Files grouped by key id, groups in order of file count (most used first), "not named" last. */
  groups(): KeyGroupOfFiles[] {
    const byKey = new Map<string, { refs: Set<string>; files: InventoryEntry[] }>();
    for (const entry of this.entries()) {
      for (const ref of entry.keyRefs) {
        const id = ref === UNNAMED_KEY ? UNNAMED_KEY : keyIdOf(ref);
        let g = byKey.get(id);
        if (!g) byKey.set(id, (g = { refs: new Set(), files: [] }));
        if (ref !== UNNAMED_KEY) g.refs.add(ref);
        g.files.push(entry);
      }
    }
    return [...byKey.entries()]
      .map(([keyId, g]) => ({ keyId, refs: [...g.refs].sort(), files: g.files.sort((a, b) => a.path.localeCompare(b.path)) }))
      .sort(
        (a, b) =>
          (a.keyId === UNNAMED_KEY ? 1 : 0) - (b.keyId === UNNAMED_KEY ? 1 : 0) ||
          b.files.length - a.files.length ||
          a.keyId.localeCompare(b.keyId),
      );
  }

  /** The encrypted files that name `keyIdOrArn` (by key id). */
  filesUnder(keyIdOrArn: string): InventoryEntry[] {
    const id = keyIdOf(keyIdOrArn);
    return this.entries().filter((e) => e.keyRefs.some((r) => r !== UNNAMED_KEY && keyIdOf(r) === id));
  }

  /** How many encrypted files name each key id. */
  countsByKey(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const entry of this.entries()) {
      for (const id of new Set(entry.keyRefs.filter((r) => r !== UNNAMED_KEY).map(keyIdOf))) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  }

  private async look(path: string): Promise<IndexChange | undefined> {
    const previous = this.stamps.get(path);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) {
      this.stamps.delete(path);
      return previous?.entry ? { path, entry: undefined, previous: previous.entry } : undefined;
    }
    if (previous && previous.size === info.size && previous.mtimeMs === info.mtimeMs) return undefined;
    this.reads++;
    const entry = await this.classify(path).catch(() => undefined);
    this.stamps.set(path, { size: info.size, mtimeMs: info.mtimeMs, entry });
    if (!previous?.entry && !entry) return undefined;
    return { path, entry, previous: previous?.entry };
  }

  private emit(changes: readonly IndexChange[]): void {
    if (changes.length === 0) return;
    for (const l of this.listeners) l(changes);
  }
}
