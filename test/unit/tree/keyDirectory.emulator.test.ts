import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsConfigFiles } from '../../../src/core/aws/awsConfigFiles';
import { resolveConnection } from '../../../src/core/aws/connection';
import { KmsClientFactory } from '../../../src/core/kms/client';
import type { KmsGateway } from '../../../src/core/kms/gateway';
import { loadRotation } from '../../../src/core/tree/keyDetails';
import { KeyDirectory } from '../../../src/core/tree/keyDirectory';
import { KeyFilter } from '../../../src/core/tree/keyFilter';
import { KeySearch } from '../../../src/core/tree/keySearch';
import { type Emulator, startEmulator } from '../../emulator/server';
import { BULK_REGION, bulkSeed, ids, RICH_REGION, richSeed } from '../../integration/tree/treeSeeds';

/** The directory over the real SDK and gateway, against the emulator over HTTP. */
describe('KeyDirectory against the emulator', function () {
  this.timeout(60_000);
  let kms: Emulator;
  let dir: string;
  let factory: KmsClientFactory;

  before(async () => {
    kms = await startEmulator({ port: 0 });
    kms.seed(bulkSeed(BULK_REGION, 1000));
    kms.seed(richSeed());
    dir = mkdtempSync(join(tmpdir(), 'kmswb-tree-'));
    writeFileSync(join(dir, 'credentials'), '[default]\naws_access_key_id = test\naws_secret_access_key = test\n');
    writeFileSync(join(dir, 'config'), '');
  });
  after(async () => {
    await kms.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function gateway(region: string): Promise<KmsGateway> {
    const env = { AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'), HOME: dir, AWS_EC2_METADATA_DISABLED: 'true' };
    factory = new KmsClientFactory({ env, maxAttempts: 1 });
    return factory.gateway(resolveConnection({ region, endpoint: kms.url }, env, await AwsConfigFiles.load(env)));
  }

  it('paints 1,000 keys and 1,000 aliases with 1 ListKeys and 10 ListAliases calls, then describes only the first page', async () => {
    const gw = await gateway(BULK_REGION);
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
    const gw = await gateway(RICH_REGION);
    const full = await loadRotation(gw, ids.payments);
    assert.equal(full.status.KeyRotationEnabled, true);
    assert.equal(full.status.RotationPeriodInDays, 180);
    assert.equal(full.history.kind, 'ok');
    assert.deepEqual(full.history.kind === 'ok' ? full.history.value.map((r) => r.RotationType).sort() : [], ['AUTOMATIC', 'ON_DEMAND']);
    kms.faults.set('ListKeyRotations', { failOnCall: 1, error: { name: 'UnknownOperationException', message: 'Operation not implemented', status: 501 } });
    const partial = await loadRotation(gw, ids.payments);
    kms.faults.clear();
    assert.equal(partial.status.KeyRotationEnabled, true);
    assert.equal(partial.history.kind, 'notSupported');
  });

  it('finds keys by tag through the filter search, describing and listing tags only where needed', async () => {
    const gw = await gateway(RICH_REGION);
    const directory = new KeyDirectory(() => gw);
    kms.resetCalls();
    const search = new KeySearch(directory, KeyFilter.parse('team=payments')!);
    await search.done;
    assert.equal(search.matches(ids.payments), true);
    assert.equal(search.matchCount, 1);
    assert.equal(kms.callCount('ListResourceTags'), search.progress.total, 'every key needed its tags: nothing else could match "team=payments"');
  });

  it('lists the custom key stores', async () => {
    const gw = await gateway(RICH_REGION);
    const directory = new KeyDirectory(() => gw);
    const { stores, notSupported } = await directory.customKeyStores();
    assert.equal(notSupported, false);
    assert.deepEqual(stores.map((s) => s.CustomKeyStoreName), ['hsm-store']);
  });
});
