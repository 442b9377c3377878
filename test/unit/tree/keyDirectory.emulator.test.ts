import * as assert from 'node:assert/strict';
import type { KmsGateway } from '../../../src/core/kms/gateway';
import { loadRotation } from '../../../src/core/tree/keyDetails';
import { KeyDirectory } from '../../../src/core/tree/keyDirectory';
import { KeyFilter } from '../../../src/core/tree/keyFilter';
import { KeySearch } from '../../../src/core/tree/keySearch';
import type { Emulator } from '../../emulator/server';
import { type KmsFixture, startKmsFixture } from '../../support/kmsFixture';
import { BULK_REGION, bulkSeed, ids, RICH_REGION, richSeed } from '../../integration/tree/treeSeeds';

/** The directory over the real SDK and gateway, against the emulator over HTTP. */
describe('KeyDirectory against the emulator', function () {
  this.timeout(60_000);
  let fixture: KmsFixture;
  let kms: Emulator;

  before(async () => {
    fixture = await startKmsFixture({ prefix: 'kmswb-tree-' });
    kms = fixture.emulator;
    kms.seed(bulkSeed(BULK_REGION, 1000));
    kms.seed(richSeed());
  });
  after(() => fixture.close());

  const gateway = (region: string): KmsGateway => fixture.gatewayFor(region);

  it('paints 1,000 keys and 1,000 aliases with 1 ListKeys and 10 ListAliases calls, then describes only the first page', async () => {
    const gw = gateway(BULK_REGION);
    const directory = new KeyDirectory(() => gw);
    kms.resetCalls();
    const { aliases, keys } = await directory.firstPaint();
    assert.deepEqual(kms.calls(), { ListKeys: 1, ListAliases: 10 });
    assert.equal(aliases.size, 1000);
    assert.equal(keys.items.length, 100);
    assert.equal(aliases.firstAlias(keys.items[0].KeyId!), 'alias/bulk/key-0000');
    directory.prefetch(keys.items.map((k) => k.KeyId!));
    await directory.settled();
    assert.equal(kms.callCount('DescribeKey'), 100);
    assert.ok(directory.limiter.maxInFlight <= 8, `max in flight ${directory.limiter.maxInFlight}`);
    assert.equal(directory.accountId, '111122223333');
  });

  it('reads rotation status and history; a missing ListKeyRotations leaves the status', async () => {
    const gw = gateway(RICH_REGION);
    const full = await loadRotation(gw, ids.payments);
    assert.equal(full.status.KeyRotationEnabled, true);
    assert.equal(full.status.RotationPeriodInDays, 180);
    assert.equal(full.history.kind, 'ok');
    assert.deepEqual(full.history.kind === 'ok' ? full.history.value.map((r) => r.RotationType).sort() : [], ['AUTOMATIC', 'ON_DEMAND']);
    kms.faults.set('ListKeyRotations', {
      failOnCall: 1,
      error: { name: 'UnknownOperationException', message: 'Operation not implemented', status: 501 },
    });
    const partial = await loadRotation(gw, ids.payments);
    kms.faults.clear();
    assert.equal(partial.status.KeyRotationEnabled, true);
    assert.equal(partial.history.kind, 'notSupported');
  });

  it('finds keys by tag through the filter search, describing and listing tags only where needed', async () => {
    const gw = gateway(RICH_REGION);
    const directory = new KeyDirectory(() => gw);
    kms.resetCalls();
    const search = new KeySearch(directory, KeyFilter.parse('team=payments')!);
    await search.done;
    assert.equal(search.matches(ids.payments), true);
    assert.equal(search.matchCount, 1);
    assert.equal(
      kms.callCount('ListResourceTags'),
      search.progress.total,
      'every key needed its tags: nothing else could match "team=payments"',
    );
  });

  it('lists the custom key stores', async () => {
    const gw = gateway(RICH_REGION);
    const directory = new KeyDirectory(() => gw);
    const { stores, notSupported } = await directory.customKeyStores();
    assert.equal(notSupported, false);
    assert.deepEqual(
      stores.map((s) => s.CustomKeyStoreName),
      ['hsm-store'],
    );
  });
});
