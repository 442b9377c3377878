// A message header as the file commands make one (our committing suite, one aws-kms data key
// of random bytes), for tests that drive the file codec or the worker without KMS.
import { randomBytes } from 'node:crypto';
import { ALGORITHM_SUITES, deriveCommittingKeys, headerAuthTag, newHeaderBody } from '../../../src/core/envelope/messageFormat';

export function testHeader(
  dataKey: Buffer,
  frameLength: number,
  keyArn = 'arn:aws:kms:us-east-1:111122223333:key/k',
): { header: Buffer; derivedKey: Buffer } {
  const suite = ALGORITHM_SUITES.get(0x0478)!;
  const messageId = randomBytes(32);
  const { commitment, derivedKey } = deriveCommittingKeys(suite, dataKey, messageId);
  const body = newHeaderBody({
    suite,
    messageId,
    encryptionContext: {},
    encryptedDataKeys: [{ providerId: 'aws-kms', providerInfo: keyArn, encryptedDataKey: randomBytes(64) }],
    frameLength,
    commitment,
  });
  return { header: Buffer.concat([body, headerAuthTag(derivedKey, body)]), derivedKey };
}
