import * as assert from 'node:assert/strict';
import {
  accountOfKeyRef,
  accountOfPrincipalArn,
  describeKeyRef,
  formatAccount,
  parseKmsArn,
  parseTrustedAccounts,
  TrustedAccounts,
} from '../../../src/core/trust/accounts';
import { type AccountRef } from '../../../src/core/trust/accounts';
import {
  KeyTrustGuard,
  refuseChosenKey,
  refuseEncryptedData,
  type TrustOracle,
  UntrustedAccountError,
  visibleKeyArns,
} from '../../../src/core/trust/keyTrust';
import { resolveStsEndpoint } from '../../../src/core/trust/callerIdentity';
import { AwsConfigFiles } from '../../../src/core/aws/awsConfigFiles';

const OWN = '111122223333';
const FOREIGN = '999988887777';
const keyArn = (account: string, partition = 'aws', region = 'us-east-1'): string =>
  `arn:${partition}:kms:${region}:${account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

/** An oracle with a fixed own account and trusted set; records what it was asked. */
function oracle(own: AccountRef | undefined, trusted: AccountRef[] = []): TrustOracle & { learned: AccountRef[] } {
  const learned: AccountRef[] = [];
  return {
    learned,
    ownAccount: () => Promise.resolve(own ?? learned[0]),
    learnOwnAccount: (a) => learned.push(a),
    isTrusted: (a) =>
      Promise.resolve([own ?? learned[0], ...trusted].some((t) => t && t.accountId === a.accountId && t.partition === a.partition)),
  };
}

describe('trust: the account of a key, read from its name', () => {
  it('parses key and alias ARNs of every partition, and nothing else', () => {
    assert.deepEqual(parseKmsArn(keyArn(OWN)), {
      partition: 'aws',
      region: 'us-east-1',
      accountId: OWN,
      resource: 'key',
      name: '1234abcd-12ab-34cd-56ef-1234567890ab',
      arn: keyArn(OWN),
    });
    assert.deepEqual(accountOfKeyRef('arn:aws-cn:kms:cn-north-1:123456789012:alias/app'), {
      partition: 'aws-cn',
      accountId: '123456789012',
    });
    assert.equal(parseKmsArn('arn:aws-us-gov:kms:us-gov-west-1:123456789012:alias/a/b')?.name, 'alias/a/b');
    for (const bare of [
      '1234abcd-12ab-34cd-56ef-1234567890ab',
      'alias/app',
      'mrk-1234abcd12ab34cd56ef1234567890ab',
      '',
      'arn:aws:kms:us-east-1:12345:key/x',
      'arn:aws:s3:::bucket',
      'arn:aws:kms:us-east-1:123456789012:grant/x',
    ]) {
      assert.equal(accountOfKeyRef(bare), undefined, bare);
    }
  });

  it('reads the account of the principal GetCallerIdentity answers with', () => {
    assert.deepEqual(accountOfPrincipalArn('arn:aws:iam::123456789012:user/alice'), { partition: 'aws', accountId: '123456789012' });
    assert.deepEqual(accountOfPrincipalArn('arn:aws-cn:sts::123456789012:assumed-role/Admin/session'), {
      partition: 'aws-cn',
      accountId: '123456789012',
    });
    assert.deepEqual(accountOfPrincipalArn('arn:aws:iam::123456789012:root'), { partition: 'aws', accountId: '123456789012' });
    assert.equal(accountOfPrincipalArn('arn:aws:kms:us-east-1:123456789012:key/x'), undefined);
    assert.equal(accountOfPrincipalArn(undefined), undefined);
  });

  it('shows a key as its alias when the reference is one, and the partition only when it is not aws', () => {
    assert.equal(describeKeyRef('arn:aws:kms:eu-west-1:123456789012:alias/app-secrets'), 'alias/app-secrets (eu-west-1)');
    assert.equal(describeKeyRef(keyArn(OWN)), 'key 1234abcd-12ab-34cd-56ef-1234567890ab (us-east-1)');
    assert.equal(describeKeyRef('alias/x'), 'alias/x');
    assert.equal(formatAccount({ partition: 'aws', accountId: OWN }), OWN);
    assert.equal(formatAccount({ partition: 'aws-cn', accountId: OWN }), `${OWN} (partition aws-cn)`);
  });
});

describe('trust: kmsWorkbench.trustedAccounts', () => {
  it('reads ids with or without a partition, and reports every bad entry by name', () => {
    const parsed = parseTrustedAccounts([
      ' 123456789012 ',
      'aws-cn:210987654321',
      '12345',
      'aws:12345678901a',
      42,
      'AWS:123456789012',
      'us-east-1:123456789012x',
    ]);
    assert.deepEqual(parsed.entries, [
      { accountId: '123456789012', partition: undefined },
      { accountId: '210987654321', partition: 'aws-cn' },
    ]);
    assert.equal(parsed.problems.length, 5);
    assert.match(parsed.problems[0], /"12345" is not an AWS account id.*12 digits/);
    assert.match(parsed.problems[2], /42 is not a string/);
    assert.deepEqual(parseTrustedAccounts(undefined), { entries: [], problems: [] });
    assert.match(parseTrustedAccounts('123456789012').problems[0], /must be a list/);
  });

  it('trusts connections, the setting (any or one partition) and workspace approvals, nothing else', () => {
    const trusted = new TrustedAccounts(
      [{ partition: 'aws', accountId: OWN }],
      parseTrustedAccounts(['222233334444', 'aws-cn:555566667777']).entries,
      [{ partition: 'aws', accountId: '888899990000' }],
    );
    assert.equal(trusted.reason({ partition: 'aws', accountId: OWN }), 'connection');
    assert.equal(trusted.reason({ partition: 'aws-cn', accountId: OWN }), undefined, 'the same id in another partition is another account');
    assert.equal(trusted.reason({ partition: 'aws-us-gov', accountId: '222233334444' }), 'setting');
    assert.equal(trusted.reason({ partition: 'aws-cn', accountId: '555566667777' }), 'setting');
    assert.equal(trusted.reason({ partition: 'aws', accountId: '555566667777' }), undefined);
    assert.equal(trusted.reason({ partition: 'aws', accountId: '888899990000' }), 'workspace');
    assert.equal(trusted.has({ partition: 'aws', accountId: FOREIGN }), false);
  });

  it('builds the discovery filter of the trusted data keys in one partition', () => {
    const trusted = new TrustedAccounts([{ partition: 'aws', accountId: OWN }], parseTrustedAccounts(['222233334444']).entries);
    assert.deepEqual(trusted.discoveryFilter([keyArn(FOREIGN), keyArn(OWN), keyArn('222233334444'), keyArn(OWN, 'aws', 'eu-west-1')]), {
      partition: 'aws',
      accountIDs: [OWN, '222233334444'],
    });
    assert.equal(trusted.discoveryFilter([keyArn(FOREIGN)]), undefined);
  });
});

describe('trust: refusals name the account and the setting', () => {
  it('says which account, which key, and what to add where', () => {
    const chosen = refuseChosenKey('The kmsWorkbench.defaultKey setting of this workspace', keyArn(FOREIGN), {
      partition: 'aws',
      accountId: FOREIGN,
    });
    assert.ok(chosen instanceof UntrustedAccountError);
    assert.equal(chosen.code, 'UntrustedAccount');
    assert.match(
      chosen.message,
      new RegExp(`^The kmsWorkbench.defaultKey setting of this workspace names the key ${keyArn(FOREIGN)}, in AWS account ${FOREIGN}`),
    );
    assert.match(chosen.message, new RegExp(`add "${FOREIGN}" to kmsWorkbench.trustedAccounts in your user settings`));
    const data = refuseEncryptedData('secrets.env', [keyArn(FOREIGN), keyArn('444455556666', 'aws-cn', 'cn-north-1')]);
    assert.match(data.message, /^secrets.env is encrypted under keys in AWS accounts 999988887777, 444455556666 \(partition aws-cn\)/);
    assert.match(data.message, /add "999988887777", "aws-cn:444455556666" to kmsWorkbench.trustedAccounts/);
    assert.deepEqual(
      data.accounts.map((a) => a.accountId),
      [FOREIGN, '444455556666'],
    );
  });
});

describe('trust: the guard of KMS calls', () => {
  const own = { partition: 'aws', accountId: OWN };

  it('refuses a call naming a key ARN of an untrusted account before it is sent; bare ids and own ARNs pass', async () => {
    const guard = new KeyTrustGuard(oracle(own));
    await guard.beforeCall('Encrypt', { KeyId: 'alias/app' });
    await guard.beforeCall('Encrypt', { KeyId: keyArn(OWN) });
    await assert.rejects(
      guard.beforeCall('Encrypt', { KeyId: keyArn(FOREIGN) }),
      (e: Error) =>
        e instanceof UntrustedAccountError && /Encrypt with .* was not sent: the key is in AWS account 999988887777/.test(e.message),
    );
    await assert.rejects(
      guard.beforeCall('ReEncrypt', { SourceKeyId: keyArn(OWN), DestinationKeyId: `arn:aws:kms:us-east-1:${FOREIGN}:alias/x` }),
      UntrustedAccountError,
    );
    await assert.rejects(guard.beforeCall('DescribeKey', { KeyId: keyArn(FOREIGN) }), UntrustedAccountError);
    await guard.beforeCall('ListKeys', { Limit: 1 });
  });

  it("lets the person's own choice of key encrypt, but never widens what may be decrypted", async () => {
    const guard = new KeyTrustGuard(oracle(own), [keyArn(FOREIGN)]);
    await guard.beforeCall('Encrypt', { KeyId: keyArn(FOREIGN) });
    await guard.beforeCall('GenerateDataKey', { KeyId: `arn:aws:kms:eu-west-1:${FOREIGN}:alias/theirs` });
    await guard.afterCall('Encrypt', { KeyId: keyArn(FOREIGN) }, { KeyId: keyArn(FOREIGN) });
    await assert.rejects(guard.beforeCall('Decrypt', { KeyId: keyArn(FOREIGN) }), UntrustedAccountError);
  });

  it('wipes and refuses a plaintext KMS answered from a key of an untrusted account', async () => {
    const guard = new KeyTrustGuard(oracle(own));
    const plaintext = Buffer.from('secret value');
    await assert.rejects(
      guard.afterCall('Decrypt', { CiphertextBlob: new Uint8Array(1) }, { KeyId: keyArn(FOREIGN), Plaintext: plaintext }),
      (e: Error) => /result was discarded and nothing was written/.test(e.message),
    );
    assert.ok(
      plaintext.every((b) => b === 0),
      'the plaintext is zeroed',
    );
    const fine = Buffer.from('ok');
    await guard.afterCall('Decrypt', {}, { KeyId: keyArn(OWN), Plaintext: fine });
    await guard.afterCall('Decrypt', {}, { KeyId: '1234abcd-12ab-34cd-56ef-1234567890ab', Plaintext: fine }); // moto: a bare id, its own account
    assert.equal(fine.toString(), 'ok');
  });

  it('learns the connection’s account from an answer to a call that named no account (no STS)', async () => {
    const o = oracle(undefined);
    const guard = new KeyTrustGuard(o);
    await guard.afterCall('Encrypt', { KeyId: 'alias/app' }, { KeyId: keyArn('444455556666') });
    assert.deepEqual(o.learned, [{ partition: 'aws', accountId: '444455556666' }]);
    await guard.beforeCall('Encrypt', { KeyId: keyArn('444455556666') });
    // An answer to a call that named an ARN teaches nothing (it may be another account's).
    const other = oracle(undefined);
    await assert.rejects(
      new KeyTrustGuard(other).afterCall('Decrypt', {}, { KeyId: keyArn(FOREIGN), Plaintext: Buffer.alloc(1) }),
      UntrustedAccountError,
    );
    assert.deepEqual(other.learned, []);
  });

  it('refuses encrypted data only when every data key it shows is of an untrusted account', async () => {
    const guard = new KeyTrustGuard(oracle(own));
    await assert.rejects(
      guard.checkDataKeys('a.env', [keyArn(FOREIGN)]),
      /^UntrustedAccount|a.env is encrypted under a key in AWS account 999988887777/,
    );
    assert.deepEqual(await guard.discoveryFilter('a.env', [keyArn(FOREIGN), keyArn(OWN)]), { partition: 'aws', accountIDs: [OWN] });
    assert.equal(await guard.discoveryFilter('a.env', []), undefined);
    assert.deepEqual(
      visibleKeyArns({
        header: {
          encryptedDataKeys: [
            { providerId: 'raw', providerInfo: 'x' },
            { providerId: 'aws-kms', providerInfo: keyArn(FOREIGN) },
          ],
        },
      }),
      [keyArn(FOREIGN)],
    );
    assert.deepEqual(visibleKeyArns({ blob: { keyHint: keyArn(FOREIGN) } }), [keyArn(FOREIGN)]);
    assert.deepEqual(visibleKeyArns({ blob: { keyHint: '1234abcd-12ab-34cd-56ef-1234567890ab' } }), []);
  });
});

describe('trust: where STS is', () => {
  const files = AwsConfigFiles.fromSections({
    local: { services: 'local-services', endpoint_url: 'http://127.0.0.1:9000' },
    'services.local-services': { 'sts.endpoint_url': 'http://127.0.0.1:9100' },
  });
  it('follows the SDK order, then the connection’s own KMS endpoint, then AWS', () => {
    assert.deepEqual(
      resolveStsEndpoint({ endpoint: 'http://kms' }, { AWS_ENDPOINT_URL_STS: 'http://sts', AWS_ENDPOINT_URL: 'http://all' }, files),
      { url: 'http://sts', source: 'AWS_ENDPOINT_URL_STS' },
    );
    assert.deepEqual(resolveStsEndpoint({ endpoint: 'http://kms' }, { AWS_ENDPOINT_URL: 'http://all' }, files), {
      url: 'http://all',
      source: 'AWS_ENDPOINT_URL',
    });
    assert.deepEqual(resolveStsEndpoint({ profile: 'local', endpoint: 'http://kms' }, {}, files), {
      url: 'http://127.0.0.1:9100',
      source: 'profile services section',
    });
    assert.deepEqual(resolveStsEndpoint({ endpoint: 'http://localhost:4566' }, {}, files), {
      url: 'http://localhost:4566',
      source: 'the KMS endpoint',
    });
    assert.deepEqual(resolveStsEndpoint({}, {}, files), { source: 'AWS default' });
    assert.deepEqual(
      resolveStsEndpoint(
        { profile: 'local', endpoint: 'http://kms' },
        { AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true', AWS_ENDPOINT_URL_STS: 'http://sts' },
        files,
      ),
      { url: 'http://kms', source: 'the KMS endpoint' },
    );
  });
});
