import * as assert from 'node:assert/strict';
import { KmsError } from '../../../src/core/kms/errors';
import { describeLastUse, lastUseOf, lastUseWarning, loadLastUse } from '../../../src/core/usage/lastUse';
import { startKmsFixture, type KmsFixture } from '../../support/kmsFixture';

describe('key last use', () => {
  const now = new Date('2026-12-05T12:00:00Z');

  it('reads a use, no use since the key was made, and no use since tracking began on an older key', () => {
    const used = lastUseOf({
      KeyLastUsage: { Operation: 'Decrypt', Timestamp: new Date('2026-12-05T09:00:00Z') },
      TrackingStartDate: new Date('2025-11-01Z'),
      KeyCreationDate: new Date('2024-01-01Z'),
    });
    assert.deepEqual(used, {
      tracked: true,
      operation: 'Decrypt',
      time: '2026-12-05T09:00:00.000Z',
      trackingStartDate: '2025-11-01T00:00:00.000Z',
      mayHaveBeenUsedBefore: true,
    });
    assert.equal(describeLastUse(used, now), 'Decrypt, 3 hours ago (2026-12-05 09:00 UTC)');

    const fresh = lastUseOf({ KeyLastUsage: {}, TrackingStartDate: new Date('2026-12-01Z'), KeyCreationDate: new Date('2026-12-01Z') });
    assert.deepEqual(fresh, { tracked: true, trackingStartDate: '2026-12-01T00:00:00.000Z' });
    assert.equal(describeLastUse(fresh, now), 'not used since tracking began (2026-12-01)');

    const old = lastUseOf({ KeyLastUsage: {}, TrackingStartDate: new Date('2025-11-01Z'), KeyCreationDate: new Date('2024-01-01Z') });
    assert.match(
      lastUseWarning(old, 'delete', now),
      /not used since tracking began \(2025-11-01\)\. The key is older than the tracking.*Safer: disable the key first/,
    );
    assert.equal(describeLastUse({ tracked: false }), undefined);
    assert.doesNotMatch(lastUseWarning({ tracked: false }, 'disable'), /Last use/);
    assert.match(lastUseWarning({ tracked: false }, 'disable'), /^While it is disabled, watch for failed calls/);
    assert.match(lastUseWarning({ problem: 'access denied' }, 'delete'), /Last use: unknown \(access denied\)/);
  });

  it('says "not tracked" for an endpoint without GetKeyLastUsage, and passes other failures on', async () => {
    const unsupported = {
      getKeyLastUsage: () => Promise.reject(new KmsError('NotSupportedByEndpoint', 'GetKeyLastUsage is not supported by this endpoint.')),
    };
    assert.deepEqual(await loadLastUse(unsupported, 'k'), { tracked: false });
    const denied = { getKeyLastUsage: () => Promise.reject(new KmsError('AccessDeniedException', 'no')) };
    await assert.rejects(loadLastUse(denied, 'k'), /no/);
  });

  describe('against the emulator', () => {
    let kms: KmsFixture;
    before(async () => (kms = await startKmsFixture()));
    after(() => kms.close());

    it('reports the Encrypt made just before', async () => {
      const arn = await kms.createKey();
      assert.deepEqual(Object.keys(await loadLastUse(kms.gateway, arn)).sort(), ['tracked', 'trackingStartDate']);
      await kms.gateway.encrypt({ keyId: arn, plaintext: Buffer.from('x') });
      const use = await loadLastUse(kms.gateway, arn);
      assert.equal(use.operation, 'Encrypt');
      assert.ok(Date.now() - Date.parse(use.time!) < 60_000);
    });
  });
});
