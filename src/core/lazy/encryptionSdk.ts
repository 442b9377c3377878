// The AWS Encryption SDK for JavaScript, bundled on its own (dist/encryptionSdk.js) and required
// on first use through loadEncryptionSdk(), never at activation. Only the parts the extension
// uses are imported: the stream/buffer encrypt and decrypt clients and the KMS keyring class.
// `@aws-crypto/client-node` itself would also bundle the branch key store (with the DynamoDB
// client) and a second copy of the KMS client for the keyring's default client supplier; our
// keyring is always given our own configured client, so that default is never needed.
import { type AwsEsdkKMSInterface, KmsKeyringClass } from '@aws-crypto/kms-keyring';
import type { Keyring } from '@aws-crypto/material-management';
import { KeyringNode, type Newable, type NodeAlgorithmSuite } from '@aws-crypto/material-management-node';

export { buildEncrypt } from '@aws-crypto/encrypt-node';
export { buildDecrypt } from '@aws-crypto/decrypt-node';
export { AlgorithmSuiteIdentifier, CommitmentPolicy } from '@aws-crypto/material-management-node';

/**
 * The KMS keyring of `@aws-crypto/kms-keyring-node` without its default client supplier: the
 * same class construction (KmsKeyringClass over KeyringNode), always given a clientProvider.
 */
export class KmsKeyring extends KmsKeyringClass<NodeAlgorithmSuite, AwsEsdkKMSInterface>(
  KeyringNode as unknown as Newable<Keyring<NodeAlgorithmSuite>>,
) {}
