// A refresh of the KMS view cancels the tree's loads still in flight: the requests are
// aborted at once (the emulator is made slow), not left to finish or time out.
import * as assert from 'node:assert/strict';
import { KeyDirectory } from '../../../src/core/tree/keyDirectory';
import { type KmsFixture, startKmsFixture } from '../../support/kmsFixture';

describe('KeyDirectory: reset cancels the loads in flight', function () {
  this.timeout(30_000);
  let kms: KmsFixture;
  before(async () => {
    kms = await startKmsFixture();
    await kms.createKey();
  });
  after(() => kms.close());
  afterEach(() => kms.emulator.faults.clear());

  async function reached(operation: string, before: number): Promise<void> {
    for (let i = 0; i < 1000 && (kms.emulator.calls()[operation] ?? 0) <= before; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok((kms.emulator.calls()[operation] ?? 0) > before, `${operation} reached the emulator`);
  }

  it('aborts ListAliases, ListKeys and DescribeKey in flight, and loads afresh afterwards', async () => {
    const directory = new KeyDirectory(() => kms.gateway);
    for (const operation of ['ListAliases', 'ListKeys']) kms.emulator.faults.set(operation, { latencyMs: 20_000 });
    const calls = kms.emulator.calls();
    const started = Date.now();
    const paint = directory.firstPaint();
    await reached('ListAliases', calls.ListAliases ?? 0);
    await reached('ListKeys', calls.ListKeys ?? 0);
    directory.reset();
    await assert.rejects(paint, (e: Error) => e.name === 'AbortError');
    assert.ok(Date.now() - started < 15_000, 'ended by the cancel, not by the slow answer');

    kms.emulator.faults.clear();
    const { keys } = await directory.firstPaint();
    const [first] = await keys.all();
    kms.emulator.faults.set('DescribeKey', { latencyMs: 20_000 });
    const before = kms.emulator.calls().DescribeKey ?? 0;
    const describing = directory.describe(first.KeyId!);
    await reached('DescribeKey', before);
    directory.reset();
    await assert.rejects(describing, (e: Error) => e.name === 'AbortError');
  });
});
