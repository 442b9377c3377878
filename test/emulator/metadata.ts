// KeyMetadata as DescribeKey, CreateKey and ReplicateKey return it.
import {
  encapsulationAlgorithmsFor,
  encryptionAlgorithmsFor,
  keyAgreementAlgorithmsFor,
  kindOf,
  macAlgorithmsFor,
  signingAlgorithmsFor,
} from './keySpecs';
import { seconds } from './operation';
import type { Store } from './state';
import type { Key } from './types';

export function keyMetadata(store: Store, key: Key): Record<string, unknown> {
  const arn = store.arnOf(key);
  const current = key.materials[key.materials.length - 1];
  const customKeyStore = key.customKeyStoreId ? store.customKeyStores.find((s) => s.CustomKeyStoreId === key.customKeyStoreId) : undefined;
  const meta: Record<string, unknown> = {
    AWSAccountId: store.accountId,
    KeyId: key.id,
    Arn: arn,
    CreationDate: seconds(key.creationDate),
    Enabled: key.state === 'Enabled',
    Description: key.description,
    // moto sends null for a key created without KeyUsage (its JSON of None).
    KeyUsage: key.motoMetadata ? null : key.usage,
    KeyState: key.state,
  };
  if (key.state === 'PendingDeletion' && key.deletionDate !== undefined) meta.DeletionDate = seconds(key.deletionDate);
  meta.Origin = key.origin;
  if (key.customKeyStoreId) meta.CustomKeyStoreId = key.customKeyStoreId;
  if (customKeyStore?.CloudHsmClusterId) meta.CloudHsmClusterId = customKeyStore.CloudHsmClusterId;
  if (key.origin === 'EXTERNAL') {
    meta.ExpirationModel = key.expirationModel ?? 'KEY_MATERIAL_DOES_NOT_EXPIRE';
    if (key.validTo !== undefined) meta.ValidTo = seconds(key.validTo);
  }
  if (key.xksKeyId) meta.XksKeyConfiguration = { Id: key.xksKeyId };
  meta.KeyManager = key.manager;
  meta.CustomerMasterKeySpec = key.spec;
  if (!key.motoMetadata?.omitKeySpec) meta.KeySpec = key.spec;
  const encryption = encryptionAlgorithmsFor(key.spec, key.usage);
  if (encryption) meta.EncryptionAlgorithms = encryption;
  const signing = signingAlgorithmsFor(key.spec, key.usage);
  if (signing) meta.SigningAlgorithms = signing;
  const agreement = keyAgreementAlgorithmsFor(key.spec, key.usage);
  if (agreement) meta.KeyAgreementAlgorithms = agreement;
  const encapsulation = encapsulationAlgorithmsFor(key.spec, key.usage);
  if (encapsulation) meta.EncapsulationAlgorithms = encapsulation;
  const mac = macAlgorithmsFor(key.spec);
  if (mac) meta.MacAlgorithms = mac;
  meta.MultiRegion = key.multiRegion;
  if (key.multiRegion) {
    const primaryRegion = key.primaryRegion ?? key.region;
    meta.MultiRegionConfiguration = {
      MultiRegionKeyType: primaryRegion === key.region ? 'PRIMARY' : 'REPLICA',
      PrimaryKey: { Arn: store.keyArn(primaryRegion, key.id), Region: primaryRegion },
      ReplicaKeys: store
        .family(key)
        .filter((k) => k.region !== primaryRegion)
        .map((k) => ({ Arn: store.arnOf(k), Region: k.region })),
    };
  }
  if (key.state === 'PendingReplicaDeletion' && key.pendingWindowInDays !== undefined)
    meta.PendingDeletionWindowInDays = key.pendingWindowInDays;
  if (kindOf(key.spec) === 'symmetric' && current) meta.CurrentKeyMaterialId = current.id;
  return meta;
}
