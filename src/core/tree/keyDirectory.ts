import type { AliasListEntry, CustomKeyStoresListEntry, KeyListEntry, KeyMetadata, Tag } from '@aws-sdk/client-kms';
import { KmsError } from '../kms/errors';
import type { CallOptions, Page } from '../kms/gateway';
import { AliasIndex } from './aliasIndex';
import { ConcurrencyLimiter } from './concurrencyLimiter';
import { PagedList } from './pagedList';

/** The KMS calls the directory makes (KmsGateway has them all). */
/** `options.abortSignal` is aborted by reset(): calls still in flight then are cancelled. */
export interface KeyDirectorySource {
  listKeysPage(marker?: string, limit?: number, options?: CallOptions): Promise<Page<KeyListEntry>>;
  listAliasesPage(marker?: string, keyId?: string, limit?: number, options?: CallOptions): Promise<Page<AliasListEntry>>;
  describeKey(keyId: string, options?: CallOptions): Promise<KeyMetadata>;
  listResourceTagsPage(keyId: string, marker?: string, limit?: number, options?: CallOptions): Promise<Page<Tag>>;
  describeCustomKeyStoresPage(marker?: string, options?: CallOptions): Promise<Page<CustomKeyStoresListEntry>>;
}

export interface KeyDirectoryOptions {
  /** Keys per ListKeys page (the "Load more" step); default 100. */
  readonly pageSize?: number;
  /** Most calls in flight for describing keys and listing their tags; default 8. */
  readonly concurrency?: number;
}

export const KEY_PAGE_SIZE = 100;
export const DESCRIBE_CONCURRENCY = 8;
/** ListAliases takes at most 100 per page. */
const ALIAS_PAGE_SIZE = 100;

export interface CustomKeyStoresResult {
  readonly stores: readonly CustomKeyStoresListEntry[];
  /** The endpoint does not implement DescribeCustomKeyStores. */
  readonly notSupported: boolean;
}

/** What happened to a key: described, or failed to describe. */
export type KeyEvent = { readonly keyId: string; readonly kind: 'described' | 'failed' };

/**
 * What the tree knows about one connection's keys, loaded as little as possible:
 *
 * - First paint needs only ListAliases (every page: aliases name the keys and tell AWS
 *   managed keys apart) and the first ListKeys page; both start at once.
 * - DescribeKey runs only for keys someone asked about (the tree asks for the keys it
 *   shows), at most `concurrency` calls in flight, and is cached until the key is
 *   invalidated (a refresh, or a change the extension made).
 * - Everything else about a key (tags, grants, rotation…) is loaded on demand and cached
 *   through `detail()`.
 *
 * `reset()` forgets everything; results of calls made before it are dropped.
 */
export class KeyDirectory {
  readonly pageSize: number;
  readonly limiter: ConcurrencyLimiter;
  private state = new DirectoryState();
  private readonly listeners = new Set<(event: KeyEvent) => void>();

  constructor(
    private readonly source: () => KeyDirectorySource,
    options: KeyDirectoryOptions = {},
  ) {
    this.pageSize = options.pageSize ?? KEY_PAGE_SIZE;
    this.limiter = new ConcurrencyLimiter(options.concurrency ?? DESCRIBE_CONCURRENCY);
  }

  // ---- aliases ----------------------------------------------------------------------

  /** Every alias of the region (all ListAliases pages, loaded once). */
  aliases(): Promise<AliasIndex> {
    const state = this.state;
    if (state.aliases) return Promise.resolve(state.aliases);
    state.aliasesLoading ??= (async () => {
      try {
        const entries: AliasListEntry[] = [];
        let marker: string | undefined;
        do {
          const page = await this.source().listAliasesPage(marker, undefined, ALIAS_PAGE_SIZE, state.call);
          entries.push(...page.items);
          marker = page.nextMarker;
        } while (marker);
        const index = new AliasIndex(entries);
        state.aliases = index;
        state.noteArn(entries.find((e) => e.AliasArn)?.AliasArn);
        return index;
      } finally {
        state.aliasesLoading = undefined;
      }
    })();
    return state.aliasesLoading;
  }

  /** The alias index if it has been loaded. */
  peekAliases(): AliasIndex | undefined {
    return this.state.aliases;
  }

  // ---- keys -------------------------------------------------------------------------

  /** Every key of the region, page by page (customer and AWS managed alike, as ListKeys gives them). */
  get keys(): PagedList<KeyListEntry> {
    const state = this.state;
    return state.keys(
      () => (marker) =>
        this.source()
          .listKeysPage(marker, this.pageSize, state.call)
          .then((page) => {
            state.noteArn(page.items.find((k) => k.KeyArn)?.KeyArn);
            return page;
          }),
    );
  }

  /** What first paint needs: the alias index and the first page of keys, fetched in parallel. */
  async firstPaint(): Promise<{ aliases: AliasIndex; keys: PagedList<KeyListEntry> }> {
    const keys = this.keys;
    const [aliases] = await Promise.all([this.aliases(), keys.first()]);
    return { aliases, keys };
  }

  /** The account id, once any ARN has been seen. */
  get accountId(): string | undefined {
    return this.state.accountId;
  }

  // ---- DescribeKey ------------------------------------------------------------------

  /**
   * The key's metadata: from the cache, or DescribeKey through the limiter. `urgent`
   * (a key a person expanded or hovers) goes ahead of queued background work.
   */
  describe(keyId: string, options: { urgent?: boolean } = {}): Promise<KeyMetadata> {
    const state = this.state;
    const known = state.metadata.get(keyId);
    if (known) return Promise.resolve(known);
    const pending = state.describing.get(keyId);
    if (pending) {
      if (options.urgent) this.limiter.promote(describeTaskKey(keyId));
      return pending;
    }
    const version = state.version(keyId);
    const current = (): boolean => this.state === state && state.version(keyId) === version;
    const promise = this.limiter
      .run(() => this.source().describeKey(keyId, state.call), { urgent: options.urgent, key: describeTaskKey(keyId) })
      .then(
        (metadata) => {
          if (!current()) return metadata;
          state.describing.delete(keyId);
          state.failures.delete(keyId);
          state.metadata.set(keyId, metadata);
          state.noteArn(metadata.Arn);
          this.emit({ keyId, kind: 'described' });
          return metadata;
        },
        (error: unknown) => {
          if (current()) {
            state.describing.delete(keyId);
            state.failures.set(keyId, error);
            this.emit({ keyId, kind: 'failed' });
          }
          throw error;
        },
      );
    state.describing.set(keyId, promise);
    return promise;
  }

  /**
   * Starts describing keys that are neither described, being described nor failed
   * (the tree calls this for what it shows). Failures are kept, not retried, until the
   * key is invalidated.
   */
  prefetch(keyIds: Iterable<string>): void {
    for (const keyId of keyIds) {
      if (this.state.metadata.has(keyId) || this.state.describing.has(keyId) || this.state.failures.has(keyId)) continue;
      this.describe(keyId).catch(() => undefined);
    }
  }

  peekMetadata(keyId: string): KeyMetadata | undefined {
    return this.state.metadata.get(keyId);
  }

  /** Why the key could not be described, if it could not. */
  describeFailure(keyId: string): unknown {
    return this.state.failures.get(keyId);
  }

  isDescribing(keyId: string): boolean {
    return this.state.describing.has(keyId);
  }

  /** Calls `listener` when a key has been described or failed to be. Returns an unsubscribe function. */
  onKeyEvent(listener: (event: KeyEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- other facts, on demand -------------------------------------------------------

  /** The key's tags (all pages), through the limiter, cached like `detail`. */
  tags(keyId: string): Promise<readonly Tag[]> {
    return this.detail(keyId, 'tags', () =>
      this.limiter.run(async () => {
        const source = this.source();
        const tags: Tag[] = [];
        let marker: string | undefined;
        do {
          const page = await source.listResourceTagsPage(keyId, marker, 50, this.state.call);
          tags.push(...page.items);
          marker = page.nextMarker;
        } while (marker);
        return tags;
      }),
    );
  }

  peekTags(keyId: string): readonly Tag[] | undefined {
    return this.state.settledDetails.get(`${keyId}\u0000tags`) as readonly Tag[] | undefined;
  }

  /**
   * Something about a key loaded once and cached until the key is invalidated: `part`
   * names it ("grants", "rotation"…). A failure is not cached.
   */
  detail<T>(keyId: string, part: string, load: () => Promise<T>): Promise<T> {
    const state = this.state;
    const id = `${keyId}\u0000${part}`;
    let promise = state.details.get(id) as Promise<T> | undefined;
    if (!promise) {
      const version = state.version(keyId);
      const current = (): boolean => this.state === state && state.version(keyId) === version;
      promise = load().then(
        (value) => {
          if (current()) state.settledDetails.set(id, value);
          return value;
        },
        (error: unknown) => {
          if (current()) state.details.delete(id);
          throw error;
        },
      );
      state.details.set(id, promise);
    }
    return promise;
  }

  /** A paged listing about one key ("Load more" under it), kept until the key is invalidated. */
  pagedDetail<T>(keyId: string, part: string, fetchPage: (marker: string | undefined) => Promise<Page<T>>): PagedList<T> {
    const id = `${keyId}\u0000${part}`;
    let list = this.state.pagedDetails.get(id) as PagedList<T> | undefined;
    if (!list) {
      list = new PagedList<T>(fetchPage);
      this.state.pagedDetails.set(id, list);
    }
    return list;
  }

  /** The custom key stores (all pages); an endpoint without the operation has none. */
  customKeyStores(): Promise<CustomKeyStoresResult> {
    const state = this.state;
    state.customKeyStores ??= (async (): Promise<CustomKeyStoresResult> => {
      const stores: CustomKeyStoresListEntry[] = [];
      let marker: string | undefined;
      try {
        do {
          const page = await this.source().describeCustomKeyStoresPage(marker, state.call);
          stores.push(...page.items);
          marker = page.nextMarker;
        } while (marker);
      } catch (error) {
        if (error instanceof KmsError && error.notSupported) {
          state.customKeyStoresResult = { stores: [], notSupported: true };
          return state.customKeyStoresResult;
        }
        if (this.state === state) state.customKeyStores = undefined;
        throw error;
      }
      state.customKeyStoresResult = { stores, notSupported: false };
      return state.customKeyStoresResult;
    })();
    return state.customKeyStores;
  }

  /** The custom key stores, if the probe has answered. */
  peekCustomKeyStores(): CustomKeyStoresResult | undefined {
    return this.state.customKeyStoresResult;
  }

  // ---- forgetting -------------------------------------------------------------------

  /**
   * After the extension changed a key: forgets what is known about it and, when the
   * aliases are loaded, re-reads that key's aliases (one ListAliases call with KeyId)
   * so its name follows a new, moved or deleted alias without reloading every alias.
   */
  async refreshKey(keyId: string): Promise<void> {
    this.invalidateKey(keyId);
    const state = this.state;
    if (!state.aliases) return;
    const fresh: AliasListEntry[] = [];
    let marker: string | undefined;
    do {
      const page = await this.source().listAliasesPage(marker, keyId, ALIAS_PAGE_SIZE, this.state.call);
      fresh.push(...page.items);
      marker = page.nextMarker;
    } while (marker);
    if (this.state === state && state.aliases) state.aliases = state.aliases.withKeyAliases(keyId, fresh);
  }

  /** Forgets one cached part about a key (`detail`/`pagedDetail`), e.g. to reload its grants. */
  forgetDetail(keyId: string, part: string): void {
    const id = `${keyId}\u0000${part}`;
    this.state.details.delete(id);
    this.state.settledDetails.delete(id);
    this.state.pagedDetails.delete(id);
  }

  /** Forgets one key's metadata and details (it changed); the next look describes it again. */
  invalidateKey(keyId: string): void {
    const state = this.state;
    state.versions.set(keyId, state.version(keyId) + 1);
    state.metadata.delete(keyId);
    state.failures.delete(keyId);
    state.describing.delete(keyId);
    const prefix = `${keyId}\u0000`;
    for (const map of [state.details, state.settledDetails, state.pagedDetails] as Map<string, unknown>[]) {
      for (const id of [...map.keys()]) if (id.startsWith(prefix)) map.delete(id);
    }
  }

  /** Forgets which keys could not be described (credentials or settings changed), so they are tried again. */
  forgetFailures(): void {
    this.state.failures.clear();
  }

  /** Forgets the aliases and the key listing (keys were added or aliases moved), keeping descriptions. */
  invalidateListings(): void {
    const state = this.state;
    state.aliases = undefined;
    state.aliasesLoading = undefined;
    state.resetKeys();
    state.customKeyStores = undefined;
    state.customKeyStoresResult = undefined;
  }

  /** Forgets everything, and cancels the calls still in flight (a refresh does not wait for them). */
  reset(): void {
    this.state.abort();
    this.state = new DirectoryState();
  }

  /** Resolves once no describe or tag call runs or waits (tests and the bench). */
  settled(): Promise<void> {
    return this.limiter.idle();
  }

  private emit(event: KeyEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // a listener's failure is its own business
      }
    }
  }
}

function describeTaskKey(keyId: string): string {
  return `describe:${keyId}`;
}

/** Everything `reset()` forgets, in one object so calls in flight can tell they are stale. */
class DirectoryState {
  private readonly controller = new AbortController();
  /** Options of every call made for this state: reset() aborts them. */
  readonly call: CallOptions = { abortSignal: this.controller.signal };
  aliases: AliasIndex | undefined;
  aliasesLoading: Promise<AliasIndex> | undefined;
  private keyList: PagedList<KeyListEntry> | undefined;
  readonly metadata = new Map<string, KeyMetadata>();
  readonly describing = new Map<string, Promise<KeyMetadata>>();
  readonly failures = new Map<string, unknown>();
  readonly details = new Map<string, Promise<unknown>>();
  readonly settledDetails = new Map<string, unknown>();
  readonly pagedDetails = new Map<string, PagedList<unknown>>();
  /** Bumped when a key is invalidated, so a DescribeKey answer from before is dropped. */
  readonly versions = new Map<string, number>();
  customKeyStores: Promise<CustomKeyStoresResult> | undefined;
  customKeyStoresResult: CustomKeyStoresResult | undefined;
  accountId: string | undefined;

  abort(): void {
    this.controller.abort();
  }

  version(keyId: string): number {
    return this.versions.get(keyId) ?? 0;
  }

  keys(make: () => (marker: string | undefined) => Promise<Page<KeyListEntry>>): PagedList<KeyListEntry> {
    this.keyList ??= new PagedList(make());
    return this.keyList;
  }

  resetKeys(): void {
    this.keyList = undefined;
  }

  noteArn(arn: string | undefined): void {
    if (this.accountId || !arn) return;
    const account = arn.split(':')[4];
    if (account && /^\d{12}$/.test(account)) this.accountId = account;
  }
}
