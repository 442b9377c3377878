import * as assert from 'node:assert/strict';
import { KmsError } from '../../../src/core/kms/errors';
import type { KmsGateway } from '../../../src/core/kms/gateway';
import { KeyDirectory, type KeyDirectorySource } from '../../../src/core/tree/keyDirectory';
import { KeyFilter } from '../../../src/core/tree/keyFilter';
import { KeySearch } from '../../../src/core/tree/keySearch';
import type { SeedKey } from '../../emulator/seed';
import { FIXTURE_REGION, type KmsFixture, startKmsFixture } from '../../support/kmsFixture';

/**
 * The directory's logic (what it calls, when, how many at once) against the emulator through
 * the real SDK; KMS answers and fails as the emulator's faults say. The order of calls (which
 * the emulator does not keep) is read from a recorder around the real gateway.
 */
function recorded(gateway: KmsGateway): { source: KeyDirectorySource; calls: string[] } {
  const calls: string[] = [];
  const source: KeyDirectorySource = {
    listKeysPage: (...args) => gateway.listKeysPage(...args),
    listAliasesPage: (...args) => gateway.listAliasesPage(...args),
    describeKey: (...args) => {
      calls.push(`DescribeKey:${args[0]}`);
      return gateway.describeKey(...args);
    },
    listResourceTagsPage: (...args) => gateway.listResourceTagsPage(...args),
    describeCustomKeyStoresPage: (...args) => gateway.describeCustomKeyStoresPage(...args),
  };
  return { source, calls };
}

let kms: KmsFixture;

/** A fresh account of `keys` keys (the first `aliases` with an alias each); their ids in order. */
function seeded(
  keys: number,
  over: (i: number) => Partial<SeedKey> = (i) => ({ aliases: [`alias/app-${String(i).padStart(4, '0')}`] }),
): string[] {
  kms.emulator.reset();
  const result = kms.emulator.seed({ keys: Array.from({ length: keys }, (_, i) => ({ region: FIXTURE_REGION, ...over(i) })) });
  kms.emulator.resetCalls();
  return result.keys.map((k) => k.keyId);
}

function calls(operation: string): number {
  return kms.emulator.callCount(operation);
}

before(async () => {
  kms = await startKmsFixture({ prefix: 'kmswb-directory-' });
});
after(() => kms.close());

describe('KeyDirectory', function () {
  this.timeout(60_000);
  const directoryOf = (options?: { pageSize?: number }): KeyDirectory => new KeyDirectory(() => kms.gateway, options);

  it('first paint costs one ListKeys page and the ListAliases pages, nothing else', async () => {
    seeded(1000);
    const directory = directoryOf();
    const { aliases, keys } = await directory.firstPaint();
    assert.deepEqual(kms.emulator.calls(), { ListKeys: 1, ListAliases: 10 }, '1,000 aliases are 10 pages of 100');
    assert.equal(keys.items.length, 100);
    assert.equal(keys.hasMore, true);
    assert.equal(aliases.size, 1000);
    assert.equal(directory.accountId, '111122223333');
  });

  it('describes only what it is asked for, at most 8 at a time, once', async () => {
    const ids = seeded(300);
    kms.emulator.faults.set('DescribeKey', { latencyMs: 5 });
    const directory = directoryOf();
    await directory.firstPaint();
    const shown = directory.keys.items.map((k) => k.KeyId!);
    directory.prefetch(shown);
    directory.prefetch(shown);
    await directory.settled();
    assert.equal(calls('DescribeKey'), 100);
    assert.equal(directory.limiter.maxInFlight, 8);
    const first = shown[0];
    assert.ok(ids.includes(first));
    assert.equal(directory.peekMetadata(first)?.KeyState, 'Enabled');
    await directory.describe(first);
    assert.equal(calls('DescribeKey'), 100, 'cached');
  });

  it('tells listeners when keys are described or fail, and keeps failures until invalidated', async () => {
    const ids = seeded(3);
    const directory = directoryOf();
    const events: string[] = [];
    directory.onKeyEvent((e) => events.push(`${e.kind}:${e.keyId}`));
    kms.emulator.faults.set('DescribeKey', {
      failOnCall: 1,
      error: { name: 'AccessDeniedException', message: 'not authorized to perform: kms:DescribeKey' },
    });
    directory.prefetch([ids[1]]);
    await directory.settled();
    directory.prefetch(ids);
    await directory.settled();
    assert.deepEqual(events.sort(), [`described:${ids[0]}`, `described:${ids[2]}`, `failed:${ids[1]}`].sort());
    assert.ok(directory.describeFailure(ids[1]) instanceof KmsError);
    directory.prefetch(ids);
    await directory.settled();
    assert.equal(calls('DescribeKey'), 3, 'a failed key is not retried by prefetch');
    directory.invalidateKey(ids[1]);
    assert.equal((await directory.describe(ids[1])).KeyId, ids[1]);
  });

  it('drops a DescribeKey answer that was in flight when the key was invalidated', async () => {
    const ids = seeded(1);
    kms.emulator.faults.set('DescribeKey', { latencyMs: 200 });
    const directory = directoryOf();
    const stale = directory.describe(ids[0]);
    await kms.gateway.disableKey(ids[0]);
    directory.invalidateKey(ids[0]);
    await stale;
    assert.equal(directory.peekMetadata(ids[0]), undefined);
    assert.equal((await directory.describe(ids[0])).KeyState, 'Disabled');
  });

  it('lets an urgent describe overtake queued background ones', async () => {
    const ids = seeded(40);
    kms.emulator.faults.set('DescribeKey', { latencyMs: 5 });
    const { source, calls: order } = recorded(kms.gateway);
    const directory = new KeyDirectory(() => source);
    directory.prefetch(ids.slice(0, 39));
    await directory.describe(ids[39], { urgent: true });
    const position = order.indexOf(`DescribeKey:${ids[39]}`);
    assert.ok(position >= 0 && position < 20, `urgent describe ran late: position ${position}`);
    await directory.settled();
  });

  it('refreshKey re-reads one key’s aliases with a single ListAliases', async () => {
    const ids = seeded(5);
    const directory = directoryOf();
    await directory.firstPaint();
    await directory.describe(ids[2]);
    await kms.gateway.createAlias('alias/0-new-name', ids[2]);
    kms.emulator.resetCalls();
    await directory.refreshKey(ids[2]);
    assert.deepEqual(kms.emulator.calls(), { ListAliases: 1 });
    assert.equal(directory.peekAliases()!.firstAlias(ids[2]), 'alias/0-new-name');
    assert.equal(directory.peekMetadata(ids[2]), undefined, 'metadata forgotten, so the tree describes it again');
  });

  it('pages keys 100 at a time and forgets listings on invalidateListings, keeping descriptions', async () => {
    const ids = seeded(250);
    const directory = directoryOf();
    await directory.firstPaint();
    await directory.keys.loadMore();
    await directory.keys.loadMore();
    assert.deepEqual(
      directory.keys.pageItems.map((p) => p.length),
      [100, 100, 50],
    );
    assert.equal(directory.keys.hasMore, false);
    await directory.describe(ids[0]);
    directory.invalidateListings();
    assert.equal(directory.keys.started, false);
    assert.equal(directory.peekAliases(), undefined);
    assert.ok(directory.peekMetadata(ids[0]));
  });

  it('reset() forgets everything and cancels or ignores calls from before', async () => {
    const ids = seeded(2);
    kms.emulator.faults.set('DescribeKey', { latencyMs: 50 });
    const directory = directoryOf();
    const before = directory.describe(ids[0]);
    directory.reset();
    await before.catch(() => undefined); // aborted
    assert.equal(directory.peekMetadata(ids[0]), undefined);
  });

  it('does not cache a failed listing: the next call tries again', async () => {
    seeded(2);
    kms.emulator.faults.set('ListKeys', {
      failOnCall: 1,
      error: { name: 'AccessDeniedException', message: 'User is not authorized to perform: kms:ListKeys' },
    });
    const directory = directoryOf();
    await assert.rejects(directory.firstPaint(), /kms:ListKeys/);
    const { keys } = await directory.firstPaint();
    assert.equal(keys.items.length, 2);
  });

  it('custom key stores: an endpoint without the operation has none', async () => {
    seeded(1);
    kms.emulator.faults.set('DescribeCustomKeyStores', {
      failOnCall: 1,
      error: { name: 'UnknownOperationException', message: 'Operation not implemented', status: 501 },
    });
    const directory = directoryOf();
    assert.deepEqual(await directory.customKeyStores(), { stores: [], notSupported: true });
    assert.deepEqual(directory.peekCustomKeyStores(), { stores: [], notSupported: true });
  });
});

describe('KeySearch', function () {
  this.timeout(60_000);

  it('matches aliases and ids without describing, then descriptions and tags for the rest', async () => {
    const ids = seeded(30, (i) => ({
      description: i === 7 ? 'Payments ledger' : 'other',
      aliases: i === 3 ? ['alias/payments-api'] : [],
      tags: i === 12 ? { team: 'payments' } : undefined,
    }));
    const directory = new KeyDirectory(() => kms.gateway, { pageSize: 10 });
    const search = new KeySearch(directory, KeyFilter.parse('payments')!);
    const progress: number[] = [];
    search.onProgress(() => progress.push(search.progress.checked));
    await search.done;
    assert.deepEqual(
      ids.filter((id) => search.matches(id)),
      [ids[3], ids[7], ids[12]],
    );
    assert.equal(calls('ListKeys'), 3, 'every page listed');
    assert.equal(calls('DescribeKey'), 29, 'the alias match needed no DescribeKey');
    assert.equal(calls('ListResourceTags'), 28, 'no tags for matches by alias or description');
    assert.ok(directory.limiter.maxInFlight <= 8, `at most 8 in flight, saw ${directory.limiter.maxInFlight}`);
    assert.deepEqual(search.progress, { checked: 30, total: 30, done: true, unreadable: 0 });
    assert.ok(progress.length > 2);
  });

  it('counts keys it cannot read, and stops when cancelled', async () => {
    const ids = seeded(40, () => ({}));
    const directory = new KeyDirectory(() => kms.gateway);
    kms.emulator.faults.set('DescribeKey', { latencyMs: 20 });
    const search = new KeySearch(directory, KeyFilter.parse('nothing-matches')!);
    await new Promise((r) => setTimeout(r, 60));
    search.cancel();
    await search.done;
    assert.ok(calls('DescribeKey') < ids.length, 'cancelled before describing every key');
    // One of the keys left to describe cannot be read.
    kms.emulator.faults.set('DescribeKey', {
      failOnCall: 1,
      error: { name: 'AccessDeniedException', message: 'not authorized to perform: kms:DescribeKey' },
    });
    const full = new KeySearch(directory, KeyFilter.parse('nothing-matches')!);
    await full.done;
    assert.equal(full.progress.unreadable, 1);
    assert.equal(full.matchCount, 0);
  });

  it('reports a failed listing as its error', async () => {
    seeded(1);
    kms.emulator.faults.set('ListKeys', {
      failOnCall: 1,
      error: { name: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' },
    });
    const search = new KeySearch(new KeyDirectory(() => kms.gateway), KeyFilter.parse('x')!);
    await assert.rejects(search.done, /security token|not valid|credentials/i);
    assert.match(String(search.error), /security token|not valid|credentials/i);
    assert.equal(search.progress.done, true);
  });
});
