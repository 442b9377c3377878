import * as assert from 'node:assert/strict';
import { keyName, keyNames, preferredAlias } from '../../../src/core/kms/keyNames';
import { toKmsError } from '../../../src/core/kms/errors';

const ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const OTHER = '0987dcba-09fe-87dc-65ba-ab0987654321';
const ARN = `arn:aws:kms:eu-west-1:111122223333:key/${ID}`;
const aliases: Record<string, string[]> = { [ID]: ['alias/payments', 'alias/aaa-old'], [OTHER]: ['alias/aws/s3'] };
const here = { account: '111122223333', region: 'eu-west-1', aliasesOf: (id: string) => aliases[id] };

describe('key names: an alias, the account only where it is not the connection’s', () => {
  it('names a key ARN or id by its first alias', () => {
    assert.equal(keyName(ARN, here), 'alias/aaa-old');
    assert.equal(keyName(ID, here), 'alias/aaa-old');
    assert.equal(keyName(`arn:aws:kms:eu-west-1:111122223333:key/${OTHER}`, here), 'alias/aws/s3');
  });

  it('prefers a customer alias to an AWS one', () => {
    assert.equal(preferredAlias(['alias/aws/ebs', 'alias/zeta']), 'alias/zeta');
    assert.equal(preferredAlias([]), undefined);
  });

  it('keeps the key id when no alias is known, and alias references as they are', () => {
    assert.equal(
      keyName(`arn:aws:kms:eu-west-1:111122223333:key/${'f'.repeat(8)}-0000-0000-0000-000000000000`, here),
      `${'f'.repeat(8)}-0000-0000-0000-000000000000`,
    );
    assert.equal(keyName('alias/app', here), 'alias/app');
    assert.equal(keyName('arn:aws:kms:eu-west-1:111122223333:alias/app', here), 'alias/app');
    assert.equal(keyName(ARN), ID);
  });

  it('adds the account and Region only where they differ, and never takes another account’s key for a local alias', () => {
    const elsewhere = `arn:aws:kms:eu-west-1:444455556666:key/${ID}`;
    assert.equal(keyName(elsewhere, here), `${ID} (account 444455556666)`);
    assert.equal(keyName(`arn:aws:kms:us-east-1:111122223333:key/${ID}`, here), `${ID} (us-east-1)`);
    assert.equal(keyName('arn:aws:kms:us-east-1:444455556666:alias/app', here), 'alias/app (account 444455556666, us-east-1)');
  });

  it('joins several names for a sentence, once each', () => {
    assert.equal(keyNames([ARN, ID], here), 'alias/aaa-old');
    assert.equal(keyNames([ARN, 'alias/b'], here), 'alias/aaa-old and alias/b');
    assert.equal(keyNames(['alias/a', 'alias/b', 'alias/c', 'alias/d', 'alias/e'], here), 'alias/a, alias/b, alias/c and 2 more');
  });
});

describe('KmsError: the fix of a key state travels with the error', () => {
  const sdkError = (name: string, message: string): Error =>
    Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });
  it('a disabled key offers Enable Key on the key KMS named, else the requested key', () => {
    const e = toKmsError(sdkError('DisabledException', `${ARN} is disabled.`), {
      operation: 'Encrypt',
      keyId: 'alias/app',
      connectionId: 'c1',
    });
    assert.deepEqual(e.details.fix, { action: 'enableKey', keyId: ARN, connectionId: 'c1' });
    const bare = toKmsError(sdkError('DisabledException', 'disabled'), { operation: 'Encrypt', keyId: 'alias/app' });
    assert.equal(bare.details.fix?.keyId, 'alias/app');
    assert.match(bare.message, /cannot be used for Encrypt/);
  });

  it('a key pending deletion offers Cancel Deletion; other states nothing', () => {
    const e = toKmsError(sdkError('KMSInvalidStateException', `${ARN} is pending deletion.`), { operation: 'Decrypt' });
    assert.equal(e.details.fix?.action, 'cancelKeyDeletion');
    assert.equal(
      toKmsError(sdkError('KMSInvalidStateException', `${ARN} is pending import.`), { operation: 'Decrypt' }).details.fix,
      undefined,
    );
    assert.equal(
      toKmsError(sdkError('KMSInvalidStateException', `${ARN} is pending replica deletion.`), { operation: 'Decrypt' }).details.fix,
      undefined,
    );
  });
});
