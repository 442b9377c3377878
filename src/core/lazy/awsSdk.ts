// The AWS SDK, bundled on its own (dist/awsSdk.js) and required on first use through
// loadAwsSdk(), never at activation. Everything of the SDK the extension uses at run time
// is exported from here; other modules import only types from the SDK packages.
export {
  KMSClient,
  CancelKeyDeletionCommand,
  ConnectCustomKeyStoreCommand,
  CreateAliasCommand,
  CreateCustomKeyStoreCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeleteAliasCommand,
  DeleteCustomKeyStoreCommand,
  DeleteImportedKeyMaterialCommand,
  DecapsulateCommand,
  DeriveSharedSecretCommand,
  DescribeCustomKeyStoresCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  DisableKeyRotationCommand,
  DisconnectCustomKeyStoreCommand,
  EnableKeyCommand,
  EnableKeyRotationCommand,
  EncapsulateCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyPairCommand,
  GenerateDataKeyPairWithoutPlaintextCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  GenerateMacCommand,
  GenerateRandomCommand,
  GetKeyLastUsageCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  GetParametersForImportCommand,
  GetPublicKeyCommand,
  ImportKeyMaterialCommand,
  ListAliasesCommand,
  ListGrantsCommand,
  ListKeyPoliciesCommand,
  ListKeyRotationsCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
  ListRetirableGrantsCommand,
  PutKeyPolicyCommand,
  ReEncryptCommand,
  ReplicateKeyCommand,
  RetireGrantCommand,
  RevokeGrantCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateAliasCommand,
  UpdateCustomKeyStoreCommand,
  UpdateKeyDescriptionCommand,
  UpdatePrimaryRegionCommand,
  VerifyCommand,
  VerifyMacCommand,
} from '@aws-sdk/client-kms';
// STS only for a connection's account (sts:GetCallerIdentity): here rather than in a bundle of
// its own, since it shares nearly all of its code with the KMS client (37 KB more here, where a
// bundle of its own would be 790 KB parsed again).
export { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
// CloudTrail (Show Key Usage): in this bundle rather than one of its own, which would carry a
// second copy of the SDK core and credential providers (+332 KB minified against +41 KB here).
// The client is only constructed when a usage view is opened.
export { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
// IAM Access Analyzer (ValidatePolicy in the key-policy editor): here for the same reason as
// CloudTrail; the client is only constructed when a policy editor checks a policy.
export { AccessAnalyzerClient, ValidatePolicyCommand } from '@aws-sdk/client-accessanalyzer';
export { fromIni, fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
export { loadSharedConfigFiles } from '@smithy/shared-ini-file-loader';
