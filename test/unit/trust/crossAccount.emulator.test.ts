// The trust guard against real KMS traffic: a home emulator (the connection's account) that
// forwards requests for another account's keys to a second emulator (the foreign account), as
// KMS serves cross-account keys; and one without STS, as local-kms. Counts on the foreign
// emulator show what reached the foreign account.
import * as assert from 'node:assert/strict';
import type { Connection } from '../../../src/core/aws/connection';
import { EnvelopeCrypto } from '../../../src/core/envelope/envelopeCrypto';
import { regionalGateways } from '../../../src/core/envelope/regionalGateways';
import { decryptSecret, encryptSecret } from '../../../src/core/envelope/secretText';
import { detectTextCiphertext } from '../../../src/core/envelope/detect';
import type { KmsClientFactory } from '../../../src/core/kms/client';
import { type AccountRef, sameAccount } from '../../../src/core/trust/accounts';
import { callerAccount } from '../../../src/core/trust/callerIdentity';
import { guardGateways, KeyTrustGuard, type TrustOracle, UntrustedAccountError } from '../../../src/core/trust/keyTrust';
import { type Emulator, startEmulator } from '../../emulator/server';
import { type KmsFixture, startKmsFixture } from '../../support/kmsFixture';

const HOME = '111122223333';
const FOREIGN = '999988887777';

function total(emulator: Emulator): number {
  return Object.values(emulator.calls()).reduce((a, b) => a + b, 0);
}

describe('trust: keys of another account, over the wire', function () {
  this.timeout(30_000);
  let home: Emulator;
  let foreign: Emulator;
  let factory: KmsClientFactory;
  let connection: Connection;
  const trusted: AccountRef[] = [];

  const oracle: TrustOracle = {
    ownAccount: () => Promise.resolve({ partition: 'aws', accountId: HOME }),
    learnOwnAccount: () => undefined,
    isTrusted: (a) => Promise.resolve(a.accountId === HOME || trusted.some((t) => sameAccount(t, a))),
  };
  const crypto = (guard = new KeyTrustGuard(oracle)) => {
    const gatewayFor = guardGateways(regionalGateways(factory, connection), guard);
    return { gatewayFor, envelope: new EnvelopeCrypto(gatewayFor, { dataKeyTrust: guard }) };
  };

  let fixture: KmsFixture;

  before(async () => {
    foreign = await startEmulator({ accountId: FOREIGN });
    fixture = await startKmsFixture({
      emulator: { accountId: HOME, peers: { [FOREIGN]: foreign.url } },
      prefix: 'kmswb-trust-',
      connection: { id: 'home', label: 'home' },
    });
    ({ emulator: home, factory, connection } = fixture);
  });
  after(async () => {
    await fixture.close();
    await foreign.close();
  });
  beforeEach(() => {
    trusted.length = 0;
    home.resetCalls();
    foreign.resetCalls();
  });

  it('answers sts:GetCallerIdentity with the emulator’s account, and a server without STS fails fast', async () => {
    const client = await factory.client(connection);
    assert.deepEqual(await callerAccount({ endpoint: home.url, region: 'us-east-1', credentials: client.config.credentials }), {
      partition: 'aws',
      accountId: HOME,
    });
    assert.equal(home.callCount('sts:GetCallerIdentity'), 1);
    const bare = await startEmulator({ accountId: '444455556666', sts: false });
    try {
      const started = Date.now();
      await assert.rejects(callerAccount({ endpoint: bare.url, region: 'us-east-1', credentials: client.config.credentials }));
      assert.ok(Date.now() - started < 8_000);
      await assert.rejects(
        callerAccount({ endpoint: home.url, region: 'us-east-1', credentials: { accessKeyId: 'nobody', secretAccessKey: 'x' } }),
        /security token|InvalidClientTokenId/i,
      );
    } finally {
      await bare.close();
    }
  });

  it('refuses to encrypt under an untrusted account’s key without sending anything there, and works once trusted', async () => {
    const arn = foreign.seed({ keys: [{}] }).keys[0].arn;
    await assert.rejects(
      encryptSecret(Buffer.from('secret'), { keyId: arn }, crypto()),
      (e: Error) => e instanceof UntrustedAccountError && e.message.includes(FOREIGN),
    );
    await assert.rejects(encryptSecret(Buffer.alloc(5000, 1), { keyId: arn }, crypto()), UntrustedAccountError);
    assert.equal(total(foreign), 0, JSON.stringify(foreign.calls()));
    trusted.push({ partition: 'aws', accountId: FOREIGN });
    const out = await encryptSecret(Buffer.from('secret'), { keyId: arn }, crypto());
    assert.equal(out.keyId, arn);
    assert.equal(foreign.callCount('Encrypt'), 1, 'the home emulator forwarded it to the foreign account');
  });

  it('refuses a message under a foreign key before any KMS call (discovery filter), and a blob by KMS’s answer, wiping it', async () => {
    const arn = foreign.seed({ keys: [{}] }).keys[0].arn;
    trusted.push({ partition: 'aws', accountId: FOREIGN });
    const message = await encryptSecret(Buffer.alloc(5000, 7), { keyId: arn }, crypto());
    const blob = await encryptSecret(Buffer.from('blob secret'), { keyId: arn }, crypto());
    assert.equal(blob.kind, 'blob');
    trusted.length = 0;
    foreign.resetCalls();
    home.resetCalls();
    await assert.rejects(
      decryptSecret(detectTextCiphertext(message.ciphertext)!, {}, crypto()),
      (e: Error) => e instanceof UntrustedAccountError && /encrypted under a key in AWS account 999988887777/.test(e.message),
    );
    assert.equal(total(foreign), 0);
    assert.equal(total(home), 0, 'nothing was sent at all');
    // An AWS-shaped blob shows no account: KMS decrypts it (the foreign account sees the call), the answer is refused.
    await assert.rejects(
      decryptSecret(detectTextCiphertext(blob.ciphertext)!, {}, crypto()),
      /KMS answered Decrypt with the key .*999988887777.*discarded/,
    );
    trusted.push({ partition: 'aws', accountId: FOREIGN });
    const opened = await decryptSecret(detectTextCiphertext(message.ciphertext)!, {}, crypto());
    assert.equal(opened.plaintext.length, 5000);
    assert.equal((await decryptSecret(detectTextCiphertext(blob.ciphertext)!, {}, crypto())).plaintext.toString(), 'blob secret');
  });

  it('decrypts a message with data keys in both accounts using only the trusted one', async () => {
    const theirArn = foreign.seed({ keys: [{}] }).keys[0].arn;
    const myArn = home.seed({ keys: [{}] }).keys[0].arn;
    // A message under both keys, written by the Encryption SDK with a generator and a second key.
    const { loadEncryptionSdk } = await import('../../../src/core/lazy/loadEncryptionSdk');
    const sdk = await loadEncryptionSdk();
    const unguarded = regionalGateways(factory, connection);
    const keyring = new sdk.KmsKeyring({
      clientProvider: () => ({
        generateDataKey: (input) => unguarded(undefined).send('GenerateDataKey', input),
        encrypt: (input) => unguarded(undefined).send('Encrypt', input),
        decrypt: (input) => unguarded(undefined).send('Decrypt', input),
      }),
      generatorKeyId: theirArn,
      keyIds: [myArn],
    });
    const { result } = await sdk
      .buildEncrypt({ commitmentPolicy: sdk.CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT })
      .encrypt(keyring, Buffer.alloc(5000, 3));
    foreign.resetCalls();
    const opened = await decryptSecret(detectTextCiphertext(result.toString('base64'))!, {}, crypto());
    assert.equal(opened.keyId, myArn);
    assert.equal(total(foreign), 0, 'the foreign data key was never tried');
  });
});
