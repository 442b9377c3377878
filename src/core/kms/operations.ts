import type * as Kms from '@aws-sdk/client-kms';

/** Every KMS operation the extension uses, with the SDK's input and output types. */
export interface KmsOperations {
  CancelKeyDeletion: [Kms.CancelKeyDeletionCommandInput, Kms.CancelKeyDeletionCommandOutput];
  ConnectCustomKeyStore: [Kms.ConnectCustomKeyStoreCommandInput, Kms.ConnectCustomKeyStoreCommandOutput];
  CreateAlias: [Kms.CreateAliasCommandInput, Kms.CreateAliasCommandOutput];
  CreateCustomKeyStore: [Kms.CreateCustomKeyStoreCommandInput, Kms.CreateCustomKeyStoreCommandOutput];
  CreateGrant: [Kms.CreateGrantCommandInput, Kms.CreateGrantCommandOutput];
  CreateKey: [Kms.CreateKeyCommandInput, Kms.CreateKeyCommandOutput];
  Decrypt: [Kms.DecryptCommandInput, Kms.DecryptCommandOutput];
  DeleteAlias: [Kms.DeleteAliasCommandInput, Kms.DeleteAliasCommandOutput];
  DeleteCustomKeyStore: [Kms.DeleteCustomKeyStoreCommandInput, Kms.DeleteCustomKeyStoreCommandOutput];
  DeleteImportedKeyMaterial: [Kms.DeleteImportedKeyMaterialCommandInput, Kms.DeleteImportedKeyMaterialCommandOutput];
  Decapsulate: [Kms.DecapsulateCommandInput, Kms.DecapsulateCommandOutput];
  DeriveSharedSecret: [Kms.DeriveSharedSecretCommandInput, Kms.DeriveSharedSecretCommandOutput];
  Encapsulate: [Kms.EncapsulateCommandInput, Kms.EncapsulateCommandOutput];
  DescribeCustomKeyStores: [Kms.DescribeCustomKeyStoresCommandInput, Kms.DescribeCustomKeyStoresCommandOutput];
  DescribeKey: [Kms.DescribeKeyCommandInput, Kms.DescribeKeyCommandOutput];
  DisableKey: [Kms.DisableKeyCommandInput, Kms.DisableKeyCommandOutput];
  DisableKeyRotation: [Kms.DisableKeyRotationCommandInput, Kms.DisableKeyRotationCommandOutput];
  DisconnectCustomKeyStore: [Kms.DisconnectCustomKeyStoreCommandInput, Kms.DisconnectCustomKeyStoreCommandOutput];
  EnableKey: [Kms.EnableKeyCommandInput, Kms.EnableKeyCommandOutput];
  EnableKeyRotation: [Kms.EnableKeyRotationCommandInput, Kms.EnableKeyRotationCommandOutput];
  Encrypt: [Kms.EncryptCommandInput, Kms.EncryptCommandOutput];
  GenerateDataKey: [Kms.GenerateDataKeyCommandInput, Kms.GenerateDataKeyCommandOutput];
  GenerateDataKeyPair: [Kms.GenerateDataKeyPairCommandInput, Kms.GenerateDataKeyPairCommandOutput];
  GenerateDataKeyPairWithoutPlaintext: [
    Kms.GenerateDataKeyPairWithoutPlaintextCommandInput,
    Kms.GenerateDataKeyPairWithoutPlaintextCommandOutput,
  ];
  GenerateDataKeyWithoutPlaintext: [Kms.GenerateDataKeyWithoutPlaintextCommandInput, Kms.GenerateDataKeyWithoutPlaintextCommandOutput];
  GenerateMac: [Kms.GenerateMacCommandInput, Kms.GenerateMacCommandOutput];
  GenerateRandom: [Kms.GenerateRandomCommandInput, Kms.GenerateRandomCommandOutput];
  GetKeyLastUsage: [Kms.GetKeyLastUsageCommandInput, Kms.GetKeyLastUsageCommandOutput];
  GetKeyPolicy: [Kms.GetKeyPolicyCommandInput, Kms.GetKeyPolicyCommandOutput];
  GetKeyRotationStatus: [Kms.GetKeyRotationStatusCommandInput, Kms.GetKeyRotationStatusCommandOutput];
  GetParametersForImport: [Kms.GetParametersForImportCommandInput, Kms.GetParametersForImportCommandOutput];
  GetPublicKey: [Kms.GetPublicKeyCommandInput, Kms.GetPublicKeyCommandOutput];
  ImportKeyMaterial: [Kms.ImportKeyMaterialCommandInput, Kms.ImportKeyMaterialCommandOutput];
  ListAliases: [Kms.ListAliasesCommandInput, Kms.ListAliasesCommandOutput];
  ListGrants: [Kms.ListGrantsCommandInput, Kms.ListGrantsCommandOutput];
  ListKeyPolicies: [Kms.ListKeyPoliciesCommandInput, Kms.ListKeyPoliciesCommandOutput];
  ListKeyRotations: [Kms.ListKeyRotationsCommandInput, Kms.ListKeyRotationsCommandOutput];
  ListKeys: [Kms.ListKeysCommandInput, Kms.ListKeysCommandOutput];
  ListResourceTags: [Kms.ListResourceTagsCommandInput, Kms.ListResourceTagsCommandOutput];
  ListRetirableGrants: [Kms.ListRetirableGrantsCommandInput, Kms.ListRetirableGrantsCommandOutput];
  PutKeyPolicy: [Kms.PutKeyPolicyCommandInput, Kms.PutKeyPolicyCommandOutput];
  ReEncrypt: [Kms.ReEncryptCommandInput, Kms.ReEncryptCommandOutput];
  ReplicateKey: [Kms.ReplicateKeyCommandInput, Kms.ReplicateKeyCommandOutput];
  RetireGrant: [Kms.RetireGrantCommandInput, Kms.RetireGrantCommandOutput];
  RevokeGrant: [Kms.RevokeGrantCommandInput, Kms.RevokeGrantCommandOutput];
  RotateKeyOnDemand: [Kms.RotateKeyOnDemandCommandInput, Kms.RotateKeyOnDemandCommandOutput];
  ScheduleKeyDeletion: [Kms.ScheduleKeyDeletionCommandInput, Kms.ScheduleKeyDeletionCommandOutput];
  Sign: [Kms.SignCommandInput, Kms.SignCommandOutput];
  TagResource: [Kms.TagResourceCommandInput, Kms.TagResourceCommandOutput];
  UntagResource: [Kms.UntagResourceCommandInput, Kms.UntagResourceCommandOutput];
  UpdateAlias: [Kms.UpdateAliasCommandInput, Kms.UpdateAliasCommandOutput];
  UpdateCustomKeyStore: [Kms.UpdateCustomKeyStoreCommandInput, Kms.UpdateCustomKeyStoreCommandOutput];
  UpdateKeyDescription: [Kms.UpdateKeyDescriptionCommandInput, Kms.UpdateKeyDescriptionCommandOutput];
  UpdatePrimaryRegion: [Kms.UpdatePrimaryRegionCommandInput, Kms.UpdatePrimaryRegionCommandOutput];
  Verify: [Kms.VerifyCommandInput, Kms.VerifyCommandOutput];
  VerifyMac: [Kms.VerifyMacCommandInput, Kms.VerifyMacCommandOutput];
}

export type KmsOperationName = keyof KmsOperations;
export type OperationInput<K extends KmsOperationName> = KmsOperations[K][0];
export type OperationOutput<K extends KmsOperationName> = KmsOperations[K][1];
