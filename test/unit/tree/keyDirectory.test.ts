import * as assert from 'node:assert/strict';
import type { AliasListEntry, CustomKeyStoresListEntry, KeyListEntry, KeyMetadata, Tag } from '@aws-sdk/client-kms';
import { KmsError } from '../../../src/core/kms/errors';
import type { Page } from '../../../src/core/kms/gateway';
import { KeyDirectory, type KeyDirectorySource } from '../../../src/core/tree/keyDirectory';
import { KeyFilter } from '../../../src/core/tree/keyFilter';
import { KeySearch } from '../../../src/core/tree/keySearch';

/**
 * The directory's logic (what it calls, when, how many at once) against an in-memory
 * account behind the directory's own narrow interface. The same directory over the real
 * SDK and the emulator is covered by keyDirectory.emulator.test.ts and the integration tests.
 */
class MemoryAccount implements KeyDirectorySource {
  readonly calls: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  failDescribe = new Set<string>();
  failListKeys: Error | undefined;
  customKeyStoresUnsupported = false;
  readonly keys: KeyMetadata[] = [];
  aliases: AliasListEntry[] = [];
  readonly tags = new Map<string, Tag[]>();

  constructor(private readonly latencyMs = 1) {}

  addKeys(count: number, over: (i: number) => Partial<KeyMetadata> = () => ({})): string[] {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = `00000000-0000-0000-0000-${String(this.keys.length).padStart(12, '0')}`;
      this.keys.push({ KeyId: id, Arn: `arn:aws:kms:us-east-1:111122223333:key/${id}`, KeyState: 'Enabled', KeyManager: 'CUSTOMER', KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT', ...over(i) });
      ids.push(id);
    }
    return ids;
  }

  private async call<T>(name: string, answer: () => T): Promise<T> {
    this.calls.push(name);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((r) => setTimeout(r, this.latencyMs));
      return answer();
    } finally {
      this.inFlight--;
    }
  }

  private page<T>(items: T[], marker: string | undefined, limit: number): Page<T> {
    const start = marker ? Number(marker) : 0;
    const end = start + limit;
    return { items: items.slice(start, end), nextMarker: end < items.length ? String(end) : undefined };
  }

  listKeysPage(marker?: string, limit = 100): Promise<Page<KeyListEntry>> {
    return this.call('ListKeys', () => {
      if (this.failListKeys) throw this.failListKeys;
      return this.page(
        this.keys.map((k) => ({ KeyId: k.KeyId, KeyArn: k.Arn })),
        marker,
        limit,
      );
    });
  }

  listAliasesPage(marker?: string, keyId?: string, limit = 100): Promise<Page<AliasListEntry>> {
    return this.call(keyId ? `ListAliases:${keyId}` : 'ListAliases', () => this.page(keyId ? this.aliases.filter((a) => a.TargetKeyId === keyId) : this.aliases, marker, limit));
  }

  describeKey(keyId: string): Promise<KeyMetadata> {
    return this.call(`DescribeKey:${keyId}`, () => {
      if (this.failDescribe.has(keyId)) throw new KmsError('AccessDeniedException', 'Access denied: you need the kms:DescribeKey permission.');
      const key = this.keys.find((k) => k.KeyId === keyId);
      if (!key) throw new KmsError('NotFoundException', `Key ${keyId} not found`);
      return { ...key };
    });
  }

  listResourceTagsPage(keyId: string, marker?: string, limit = 50): Promise<Page<Tag>> {
    return this.call(`ListResourceTags:${keyId}`, () => this.page(this.tags.get(keyId) ?? [], marker, limit));
  }

  describeCustomKeyStoresPage(): Promise<Page<CustomKeyStoresListEntry>> {
    return this.call('DescribeCustomKeyStores', () => {
      if (this.customKeyStoresUnsupported) throw new KmsError('NotSupportedByEndpoint', 'DescribeCustomKeyStores is not supported by this endpoint.');
      return { items: [] };
    });
  }

  count(prefix: string): number {
    return this.calls.filter((c) => c === prefix || c.startsWith(`${prefix}:`)).length;
  }
}

function seeded(keys: number, aliasEvery = 1): { account: MemoryAccount; ids: string[] } {
  const account = new MemoryAccount();
  const ids = account.addKeys(keys);
  account.aliases = ids.flatMap((id, i) => (i % aliasEvery === 0 ? [{ AliasName: `alias/app-${String(i).padStart(4, '0')}`, TargetKeyId: id, AliasArn: `arn:aws:kms:us-east-1:111122223333:alias/app-${i}` }] : []));
  return { account, ids };
}

describe('KeyDirectory', () => {
  it('first paint costs one ListKeys page and the ListAliases pages, nothing else', async () => {
    const { account } = seeded(1000);
    const directory = new KeyDirectory(() => account);
    const { aliases, keys } = await directory.firstPaint();
    assert.equal(account.count('ListKeys'), 1);
    assert.equal(account.count('ListAliases'), 10, '1,000 aliases are 10 pages of 100');
    assert.equal(account.calls.length, 11);
    assert.equal(keys.items.length, 100);
    assert.equal(keys.hasMore, true);
    assert.equal(aliases.size, 1000);
    assert.equal(directory.accountId, '111122223333');
  });

  it('describes only what it is asked for, at most 8 at a time, once', async () => {
    const { account, ids } = seeded(300);
    const directory = new KeyDirectory(() => account);
    await directory.firstPaint();
    const shown = directory.keys.items.map((k) => k.KeyId!);
    directory.prefetch(shown);
    directory.prefetch(shown);
    await directory.settled();
    assert.equal(account.count('DescribeKey'), 100);
    assert.equal(account.maxInFlight, 8);
    assert.equal(directory.limiter.maxInFlight, 8);
    assert.equal(directory.peekMetadata(ids[0])?.KeyState, 'Enabled');
    await directory.describe(ids[0]);
    assert.equal(account.count('DescribeKey'), 100, 'cached');
  });

  it('tells listeners when keys are described or fail, and keeps failures until invalidated', async () => {
    const { account, ids } = seeded(3);
    account.failDescribe.add(ids[1]);
    const directory = new KeyDirectory(() => account);
    const events: string[] = [];
    directory.onKeyEvent((e) => events.push(`${e.kind}:${e.keyId}`));
    directory.prefetch(ids);
    await directory.settled();
    assert.deepEqual(events.sort(), [`described:${ids[0]}`, `described:${ids[2]}`, `failed:${ids[1]}`].sort());
    assert.ok(directory.describeFailure(ids[1]) instanceof KmsError);
    directory.prefetch(ids);
    await directory.settled();
    assert.equal(account.count('DescribeKey'), 3, 'a failed key is not retried by prefetch');
    account.failDescribe.clear();
    directory.invalidateKey(ids[1]);
    assert.equal((await directory.describe(ids[1])).KeyId, ids[1]);
  });

  it('drops a DescribeKey answer that was in flight when the key was invalidated', async () => {
    const { account, ids } = seeded(1);
    const directory = new KeyDirectory(() => account);
    const stale = directory.describe(ids[0]);
    account.keys[0].KeyState = 'Disabled';
    directory.invalidateKey(ids[0]);
    await stale;
    assert.equal(directory.peekMetadata(ids[0]), undefined);
    assert.equal((await directory.describe(ids[0])).KeyState, 'Disabled');
  });

  it('lets an urgent describe overtake queued background ones', async () => {
    const { account, ids } = seeded(40);
    const directory = new KeyDirectory(() => account);
    directory.prefetch(ids.slice(0, 39));
    await directory.describe(ids[39], { urgent: true });
    assert.ok(account.calls.indexOf(`DescribeKey:${ids[39]}`) < 20, `urgent describe ran late: position ${account.calls.indexOf(`DescribeKey:${ids[39]}`)}`);
    await directory.settled();
  });

  it('refreshKey re-reads one key’s aliases with a single ListAliases', async () => {
    const { account, ids } = seeded(5);
    const directory = new KeyDirectory(() => account);
    await directory.firstPaint();
    await directory.describe(ids[2]);
    account.aliases.push({ AliasName: 'alias/0-new-name', TargetKeyId: ids[2] });
    account.calls.length = 0;
    await directory.refreshKey(ids[2]);
    assert.deepEqual(account.calls, [`ListAliases:${ids[2]}`]);
    assert.equal(directory.peekAliases()!.firstAlias(ids[2]), 'alias/0-new-name');
    assert.equal(directory.peekMetadata(ids[2]), undefined, 'metadata forgotten, so the tree describes it again');
  });

  it('pages keys 100 at a time and forgets listings on invalidateListings, keeping descriptions', async () => {
    const { account, ids } = seeded(250);
    const directory = new KeyDirectory(() => account);
    await directory.firstPaint();
    await directory.keys.loadMore();
    await directory.keys.loadMore();
    assert.deepEqual(directory.keys.pageItems.map((p) => p.length), [100, 100, 50]);
    assert.equal(directory.keys.hasMore, false);
    await directory.describe(ids[0]);
    directory.invalidateListings();
    assert.equal(directory.keys.started, false);
    assert.equal(directory.peekAliases(), undefined);
    assert.ok(directory.peekMetadata(ids[0]));
  });

  it('reset() forgets everything and ignores answers from before', async () => {
    const { account, ids } = seeded(2);
    const directory = new KeyDirectory(() => account);
    const before = directory.describe(ids[0]);
    directory.reset();
    await before;
    assert.equal(directory.peekMetadata(ids[0]), undefined);
  });

  it('does not cache a failed listing: the next call tries again', async () => {
    const { account } = seeded(2);
    account.failListKeys = new KmsError('AccessDeniedException', 'Access denied: you need the kms:ListKeys permission.');
    const directory = new KeyDirectory(() => account);
    await assert.rejects(directory.firstPaint(), /kms:ListKeys/);
    account.failListKeys = undefined;
    const { keys } = await directory.firstPaint();
    assert.equal(keys.items.length, 2);
  });

  it('custom key stores: an endpoint without the operation has none', async () => {
    const { account } = seeded(1);
    account.customKeyStoresUnsupported = true;
    const directory = new KeyDirectory(() => account);
    assert.deepEqual(await directory.customKeyStores(), { stores: [], notSupported: true });
    assert.deepEqual(directory.peekCustomKeyStores(), { stores: [], notSupported: true });
  });
});

describe('KeySearch', () => {
  it('matches aliases and ids without describing, then descriptions and tags for the rest', async () => {
    const account = new MemoryAccount();
    const ids = account.addKeys(30, (i) => ({ Description: i === 7 ? 'Payments ledger' : 'other' }));
    account.aliases = [{ AliasName: 'alias/payments-api', TargetKeyId: ids[3] }];
    account.tags.set(ids[12], [{ TagKey: 'team', TagValue: 'payments' }]);
    const directory = new KeyDirectory(() => account, { pageSize: 10 });
    const search = new KeySearch(directory, KeyFilter.parse('payments')!);
    const progress: number[] = [];
    search.onProgress(() => progress.push(search.progress.checked));
    await search.done;
    assert.deepEqual(ids.filter((id) => search.matches(id)), [ids[3], ids[7], ids[12]]);
    assert.equal(account.count('ListKeys'), 3, 'every page listed');
    assert.equal(account.count('DescribeKey'), 29, 'the alias match needed no DescribeKey');
    assert.equal(account.count('ListResourceTags'), 28, 'no tags for matches by alias or description');
    assert.ok(account.maxInFlight <= 8, `at most 8 in flight, saw ${account.maxInFlight}`);
    assert.deepEqual(search.progress, { checked: 30, total: 30, done: true, unreadable: 0 });
    assert.ok(progress.length > 2);
  });

  it('counts keys it cannot read, and stops when cancelled', async () => {
    const account = new MemoryAccount(5);
    const ids = account.addKeys(40);
    account.failDescribe.add(ids[0]);
    const directory = new KeyDirectory(() => account);
    const search = new KeySearch(directory, KeyFilter.parse('nothing-matches')!);
    await new Promise((r) => setTimeout(r, 30));
    search.cancel();
    await search.done;
    assert.ok(account.count('DescribeKey') < 40, 'cancelled before describing every key');
    const full = new KeySearch(directory, KeyFilter.parse('nothing-matches')!);
    await full.done;
    assert.equal(full.progress.unreadable, 1);
    assert.equal(full.matchCount, 0);
  });

  it('reports a failed listing as its error', async () => {
    const account = new MemoryAccount();
    account.failListKeys = new KmsError('UnrecognizedClientException', 'bad key');
    const search = new KeySearch(new KeyDirectory(() => account), KeyFilter.parse('x')!);
    await assert.rejects(search.done, /bad key/);
    assert.match(String(search.error), /bad key/);
    assert.equal(search.progress.done, true);
  });
});
