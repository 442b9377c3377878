import type { Page } from '../kms/gateway';

/**
 * A KMS listing read page by page, for trees with a "Load more" node: `first()` loads the
 * first page once (concurrent callers share the call), `loadMore()` the next one.
 * A failed load is not remembered: calling again retries it.
 */
export class PagedList<T> {
  private readonly loaded: T[] = [];
  private readonly ends: number[] = [];
  private marker: string | undefined;
  private pages = 0;
  private complete = false;
  private pending: Promise<void> | undefined;
  private lastError: unknown;

  constructor(private readonly fetchPage: (marker: string | undefined) => Promise<Page<T>>) {}

  /** What has been loaded so far, in the order the service returned it. */
  get items(): readonly T[] {
    return this.loaded;
  }

  /** Whether at least one page has been loaded. */
  get started(): boolean {
    return this.pages > 0;
  }

  /** Whether the service has more pages than were loaded. */
  get hasMore(): boolean {
    return !this.complete;
  }

  get pagesLoaded(): number {
    return this.pages;
  }

  /** The loaded items page by page (a view sorts within a page, so "Load more" only appends). */
  get pageItems(): readonly (readonly T[])[] {
    return this.ends.map((end, i) => this.loaded.slice(i === 0 ? 0 : this.ends[i - 1], end));
  }

  get loading(): boolean {
    return this.pending !== undefined;
  }

  /** The error of the last failed load (cleared by the next successful one). */
  get error(): unknown {
    return this.lastError;
  }

  /** Loads the first page unless it is loaded already. */
  first(): Promise<void> {
    if (this.pages > 0) return Promise.resolve();
    return this.loadNext();
  }

  /** Loads the next page (nothing when the listing is complete). */
  loadMore(): Promise<void> {
    if (this.complete && this.pages > 0) return Promise.resolve();
    return this.loadNext();
  }

  /** Loads pages until at least `count` are loaded or the listing ends. */
  async ensurePages(count: number): Promise<void> {
    while (this.pages < count && !(this.complete && this.pages > 0)) await this.loadNext();
  }

  /** Loads every remaining page. */
  async all(): Promise<readonly T[]> {
    await this.first();
    while (!this.complete) await this.loadNext();
    return this.loaded;
  }

  private loadNext(): Promise<void> {
    this.pending ??= (async () => {
      try {
        const page = await this.fetchPage(this.pages === 0 ? undefined : this.marker);
        this.loaded.push(...page.items);
        this.ends.push(this.loaded.length);
        this.marker = page.nextMarker;
        this.complete = page.nextMarker === undefined;
        this.pages++;
        this.lastError = undefined;
      } catch (error) {
        this.lastError = error;
        throw error;
      } finally {
        this.pending = undefined;
      }
    })();
    return this.pending;
  }
}
