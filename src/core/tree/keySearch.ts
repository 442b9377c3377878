import type { KeyListEntry } from '@aws-sdk/client-kms';
import type { AliasIndex } from './aliasIndex';
import type { KeyDirectory } from './keyDirectory';
import type { KeyFilter } from './keyFilter';

/** How far a search has got. */
export interface KeySearchProgress {
  /** Keys decided (matched or not) so far. */
  readonly checked: number;
  /** Keys in the region (known once every ListKeys page is loaded). */
  readonly total: number | undefined;
  readonly done: boolean;
  /** Keys whose description or tags could not be read (denied, …): left out, counted here. */
  readonly unreadable: number;
}

/** Searches run at most this many keys at a time, so the view's own describes can still get ahead. */
const SEARCH_WORKERS = 8;

/**
 * Applies a filter to every key of a connection. Aliases and key ids are matched at once;
 * only keys they do not decide are described (for the description) and then have their
 * tags listed, a few at a time through the directory's limiter, so the view shows matches
 * as they are found. `cancel()` (a new filter, a refresh) stops it after the calls in flight.
 */
export class KeySearch {
  private readonly matched = new Set<string>();
  private checkedCount = 0;
  private unreadableCount = 0;
  private totalCount: number | undefined;
  private finished = false;
  private cancelled = false;
  private failure: unknown;
  private readonly listeners = new Set<() => void>();
  /** Resolves when every key is decided (or the search was cancelled); rejects when listing failed. */
  readonly done: Promise<void>;

  constructor(
    private readonly directory: KeyDirectory,
    readonly filter: KeyFilter,
  ) {
    this.done = this.run();
    this.done.catch(() => undefined);
  }

  /** Whether the key matched (so far; a key not yet checked is not a match yet). */
  matches(keyId: string): boolean {
    return this.matched.has(keyId);
  }

  get matchCount(): number {
    return this.matched.size;
  }

  get progress(): KeySearchProgress {
    return { checked: this.checkedCount, total: this.totalCount, done: this.finished, unreadable: this.unreadableCount };
  }

  /** The error that stopped the search (listing keys or aliases failed). */
  get error(): unknown {
    return this.failure;
  }

  get isCancelled(): boolean {
    return this.cancelled;
  }

  cancel(): void {
    this.cancelled = true;
  }

  /** Called after each batch of progress. Returns an unsubscribe function. */
  onProgress(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async run(): Promise<void> {
    try {
      const [aliases, keys] = await Promise.all([this.directory.aliases(), this.directory.keys.all()]);
      if (this.cancelled) return;
      this.totalCount = keys.filter((k) => k.KeyId).length;
      const undecided: KeyListEntry[] = [];
      for (const key of keys) {
        if (!key.KeyId) continue;
        const verdict = this.verdict(key, aliases);
        if (verdict === 'match') this.matched.add(key.KeyId);
        if (verdict === 'match' || verdict === 'noMatch') this.checkedCount++;
        else undecided.push(key);
      }
      this.notify();
      let next = 0;
      const worker = async (): Promise<void> => {
        while (!this.cancelled && next < undecided.length) {
          const key = undecided[next++];
          await this.decide(key, aliases);
          this.checkedCount++;
          this.notify();
        }
      };
      await Promise.all(Array.from({ length: Math.min(SEARCH_WORKERS, undecided.length) }, worker));
    } catch (error) {
      this.failure = error;
      throw error;
    } finally {
      this.finished = true;
      this.notify();
    }
  }

  private async decide(key: KeyListEntry, aliases: AliasIndex): Promise<void> {
    const keyId = key.KeyId ?? '';
    try {
      let verdict = this.verdict(key, aliases);
      if (verdict === 'needDescription') {
        await this.directory.describe(keyId);
        verdict = this.verdict(key, aliases);
      }
      if (verdict === 'needTags' && !this.cancelled) {
        await this.directory.tags(keyId);
        verdict = this.verdict(key, aliases);
      }
      if (verdict === 'match') this.matched.add(keyId);
    } catch {
      this.unreadableCount++;
    }
  }

  private verdict(key: KeyListEntry, aliases: AliasIndex): ReturnType<KeyFilter['verdict']> {
    const keyId = key.KeyId ?? '';
    return this.filter.verdict({
      keyId,
      keyArn: key.KeyArn,
      aliases: aliases.aliasesOf(keyId),
      metadata: this.directory.peekMetadata(keyId),
      tags: this.directory.peekTags(keyId),
    });
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}
