import * as assert from 'node:assert/strict';
import type { KeyMetadata } from '@aws-sdk/client-kms';
import { isSameKey, keyChoices } from '../../../src/core/tree/keyChoices';

const K1 = '11111111-1111-1111-1111-111111111111';
const K2 = '22222222-2222-2222-2222-222222222222';
const K3 = '33333333-3333-3333-3333-333333333333';
const arn = (id: string): string => `arn:aws:kms:us-east-1:111122223333:key/${id}`;
const meta = (id: string, over: Partial<KeyMetadata> = {}): KeyMetadata => ({
  KeyId: id,
  Arn: arn(id),
  KeyState: 'Enabled',
  KeySpec: 'SYMMETRIC_DEFAULT',
  KeyManager: 'CUSTOMER',
  ...over,
});

describe('key picker choices', () => {
  const aliases = new Map<string, string[]>([
    [K1, ['alias/payments/legacy', 'alias/payments/api']],
    [K2, ['alias/orders']],
  ]);

  it('lists each key once with all its aliases: named by the first alias, the others and the key id beside it', () => {
    const choices = keyChoices([meta(K1, { Description: 'Payments' }), meta(K2), meta(K3), meta(K1)], aliases);
    assert.deepEqual(
      choices.map((c) => [c.label, c.description, c.detail, c.ref]),
      [
        ['alias/orders', K2, 'Enabled · symmetric', 'alias/orders'],
        ['alias/payments/api', `also payments/legacy · ${K1}`, 'Enabled · symmetric · Payments', 'alias/payments/api'],
        [K3, '', 'Enabled · symmetric', K3],
      ],
    );
    assert.deepEqual(choices[1].aliases, ['alias/payments/api', 'alias/payments/legacy']);
  });

  it('names a key by the alias picked last and lists recently used keys first', () => {
    const choices = keyChoices([meta(K1), meta(K2), meta(K3)], aliases, { recent: [K3, 'alias/payments/legacy'] });
    assert.deepEqual(
      choices.map((c) => [c.label, c.recentRank]),
      [
        [K3, 0],
        ['alias/payments/legacy', 1],
        ['alias/orders', Number.POSITIVE_INFINITY],
      ],
    );
    assert.equal(choices[1].description, `also payments/api · ${K1}`);
    assert.equal(choices[1].ref, 'alias/payments/legacy', 'picking it chooses the alias shown');
  });

  it('marks the keys the data is under now, by key ARN or key id, without moving them', () => {
    const choices = keyChoices([meta(K1), meta(K2), meta(K3)], aliases, { current: [arn(K2), K3] });
    assert.deepEqual(
      choices.map((c) => [c.label, c.current]),
      [
        ['alias/orders', true],
        ['alias/payments/api', false],
        [K3, true],
      ],
    );
    assert.ok(isSameKey(`arn:aws:kms:eu-west-1:111122223333:key/${K1}`, K1), 'a key ARN names its key id');
    assert.ok(!isSameKey(arn(K2), K1));
  });
});
