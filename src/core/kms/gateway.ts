// The KMS gateway: one typed method per KMS operation, grouped by subject (keys, custom key
// stores, imported material, cryptography, aliases, grants, policies and tags, rotation).
// Sending, time limits and paging are in gatewayTransport.ts.
import type * as Kms from '@aws-sdk/client-kms';
import { KmsError } from './errors';
import { normalizeKeyMetadata } from './keyCapabilities';
import { type CallOptions, type EncryptionContext, KmsTransport, type Page } from './gatewayTransport';

// Re-exported: callers import these from this module.
export { type CallOptions, collect, type EncryptionContext, type Page } from './gatewayTransport';

/**
 * Typed functions over @aws-sdk/client-kms for one connection. Every failure is a
 * KmsError with a sentence a person can act on; every listing is available page by page
 * (for "Load more") and as an async iterator over all pages.
 */
export class KmsGateway extends KmsTransport {
  // ---- keys -------------------------------------------------------------------------

  async describeKey(keyId: string, options?: CallOptions): Promise<Kms.KeyMetadata> {
    const out = await this.send('DescribeKey', { KeyId: keyId }, options);
    return normalizeKeyMetadata(required(out.KeyMetadata, 'DescribeKey', 'KeyMetadata'));
  }

  async createKey(input: Kms.CreateKeyCommandInput): Promise<Kms.KeyMetadata> {
    const out = await this.send('CreateKey', input);
    return normalizeKeyMetadata(required(out.KeyMetadata, 'CreateKey', 'KeyMetadata'));
  }

  listKeysPage(marker?: string, limit = 100, options?: CallOptions): Promise<Page<Kms.KeyListEntry>> {
    return this.page('ListKeys', { Marker: marker, Limit: limit }, (o) => o.Keys, options);
  }

  listKeys(limit = 100): AsyncIterable<Kms.KeyListEntry> {
    return this.all((m) => this.listKeysPage(m, limit));
  }

  async enableKey(keyId: string): Promise<void> {
    await this.send('EnableKey', { KeyId: keyId });
  }

  async disableKey(keyId: string): Promise<void> {
    await this.send('DisableKey', { KeyId: keyId });
  }

  scheduleKeyDeletion(keyId: string, pendingWindowInDays?: number): Promise<Kms.ScheduleKeyDeletionCommandOutput> {
    return this.send('ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: pendingWindowInDays });
  }

  cancelKeyDeletion(keyId: string): Promise<Kms.CancelKeyDeletionCommandOutput> {
    return this.send('CancelKeyDeletion', { KeyId: keyId });
  }

  async updateKeyDescription(keyId: string, description: string): Promise<void> {
    await this.send('UpdateKeyDescription', { KeyId: keyId, Description: description });
  }

  replicateKey(input: Kms.ReplicateKeyCommandInput): Promise<Kms.ReplicateKeyCommandOutput> {
    return this.send('ReplicateKey', input);
  }

  async updatePrimaryRegion(keyId: string, primaryRegion: string): Promise<void> {
    await this.send('UpdatePrimaryRegion', { KeyId: keyId, PrimaryRegion: primaryRegion });
  }

  describeCustomKeyStoresPage(marker?: string, options?: CallOptions): Promise<Page<Kms.CustomKeyStoresListEntry>> {
    return this.page('DescribeCustomKeyStores', { Marker: marker }, (o) => o.CustomKeyStores, options);
  }

  async describeCustomKeyStore(customKeyStoreId: string): Promise<Kms.CustomKeyStoresListEntry> {
    const out = await this.send('DescribeCustomKeyStores', { CustomKeyStoreId: customKeyStoreId });
    return required(out.CustomKeyStores?.[0], 'DescribeCustomKeyStores', 'CustomKeyStores');
  }

  async createCustomKeyStore(input: Kms.CreateCustomKeyStoreCommandInput): Promise<string> {
    const out = await this.send('CreateCustomKeyStore', input);
    return required(out.CustomKeyStoreId, 'CreateCustomKeyStore', 'CustomKeyStoreId');
  }

  async updateCustomKeyStore(input: Kms.UpdateCustomKeyStoreCommandInput): Promise<void> {
    await this.send('UpdateCustomKeyStore', input);
  }

  async connectCustomKeyStore(customKeyStoreId: string): Promise<void> {
    await this.send('ConnectCustomKeyStore', { CustomKeyStoreId: customKeyStoreId });
  }

  async disconnectCustomKeyStore(customKeyStoreId: string): Promise<void> {
    await this.send('DisconnectCustomKeyStore', { CustomKeyStoreId: customKeyStoreId });
  }

  async deleteCustomKeyStore(customKeyStoreId: string): Promise<void> {
    await this.send('DeleteCustomKeyStore', { CustomKeyStoreId: customKeyStoreId });
  }

  // ---- imported key material ---------------------------------------------------------

  async getParametersForImport(
    input: Kms.GetParametersForImportCommandInput,
    options?: CallOptions,
  ): Promise<{ importToken: Uint8Array; publicKey: Uint8Array; parametersValidTo?: Date }> {
    const out = await this.send('GetParametersForImport', input, options);
    return {
      importToken: required(out.ImportToken, 'GetParametersForImport', 'ImportToken'),
      publicKey: required(out.PublicKey, 'GetParametersForImport', 'PublicKey'),
      parametersValidTo: out.ParametersValidTo,
    };
  }

  importKeyMaterial(input: Kms.ImportKeyMaterialCommandInput, options?: CallOptions): Promise<Kms.ImportKeyMaterialCommandOutput> {
    return this.send('ImportKeyMaterial', input, options);
  }

  async deleteImportedKeyMaterial(keyId: string): Promise<void> {
    await this.send('DeleteImportedKeyMaterial', { KeyId: keyId });
  }

  // ---- cryptography -----------------------------------------------------------------

  async encrypt(
    input: { keyId: string; plaintext: Uint8Array; encryptionContext?: EncryptionContext; algorithm?: Kms.EncryptionAlgorithmSpec },
    options?: CallOptions,
  ): Promise<{ ciphertext: Uint8Array; keyId: string }> {
    const out = await this.send(
      'Encrypt',
      {
        KeyId: input.keyId,
        Plaintext: input.plaintext,
        EncryptionContext: nonEmpty(input.encryptionContext),
        EncryptionAlgorithm: input.algorithm,
      },
      options,
    );
    return { ciphertext: required(out.CiphertextBlob, 'Encrypt', 'CiphertextBlob'), keyId: out.KeyId ?? input.keyId };
  }

  async decrypt(
    input: { ciphertext: Uint8Array; encryptionContext?: EncryptionContext; keyId?: string; algorithm?: Kms.EncryptionAlgorithmSpec },
    options?: CallOptions,
  ): Promise<{ plaintext: Uint8Array; keyId: string }> {
    const out = await this.send(
      'Decrypt',
      {
        CiphertextBlob: input.ciphertext,
        EncryptionContext: nonEmpty(input.encryptionContext),
        KeyId: input.keyId,
        EncryptionAlgorithm: input.algorithm,
      },
      options,
    );
    return { plaintext: out.Plaintext ?? new Uint8Array(0), keyId: out.KeyId ?? input.keyId ?? '' };
  }

  async reEncrypt(
    input: {
      ciphertext: Uint8Array;
      destinationKeyId: string;
      sourceEncryptionContext?: EncryptionContext;
      destinationEncryptionContext?: EncryptionContext;
      sourceKeyId?: string;
    },
    options?: CallOptions,
  ): Promise<{ ciphertext: Uint8Array; keyId: string; sourceKeyId: string }> {
    const out = await this.send(
      'ReEncrypt',
      {
        CiphertextBlob: input.ciphertext,
        DestinationKeyId: input.destinationKeyId,
        SourceEncryptionContext: nonEmpty(input.sourceEncryptionContext),
        DestinationEncryptionContext: nonEmpty(input.destinationEncryptionContext),
        SourceKeyId: input.sourceKeyId,
      },
      options,
    );
    return {
      ciphertext: required(out.CiphertextBlob, 'ReEncrypt', 'CiphertextBlob'),
      keyId: out.KeyId ?? input.destinationKeyId,
      sourceKeyId: out.SourceKeyId ?? '',
    };
  }

  generateDataKey(input: Kms.GenerateDataKeyCommandInput): Promise<Kms.GenerateDataKeyCommandOutput> {
    return this.send('GenerateDataKey', input);
  }

  generateDataKeyWithoutPlaintext(
    input: Kms.GenerateDataKeyWithoutPlaintextCommandInput,
  ): Promise<Kms.GenerateDataKeyWithoutPlaintextCommandOutput> {
    return this.send('GenerateDataKeyWithoutPlaintext', input);
  }

  generateDataKeyPair(input: Kms.GenerateDataKeyPairCommandInput): Promise<Kms.GenerateDataKeyPairCommandOutput> {
    return this.send('GenerateDataKeyPair', input);
  }

  generateDataKeyPairWithoutPlaintext(
    input: Kms.GenerateDataKeyPairWithoutPlaintextCommandInput,
  ): Promise<Kms.GenerateDataKeyPairWithoutPlaintextCommandOutput> {
    return this.send('GenerateDataKeyPairWithoutPlaintext', input);
  }

  async generateRandom(numberOfBytes: number): Promise<Uint8Array> {
    const out = await this.send('GenerateRandom', { NumberOfBytes: numberOfBytes });
    return required(out.Plaintext, 'GenerateRandom', 'Plaintext');
  }

  sign(input: Kms.SignCommandInput): Promise<Kms.SignCommandOutput> {
    return this.send('Sign', input);
  }

  /** KMS answers a bad signature with KMSInvalidSignatureException; this returns false for it. */
  async verify(input: Kms.VerifyCommandInput): Promise<boolean> {
    try {
      return (await this.send('Verify', input)).SignatureValid === true;
    } catch (error) {
      if (error instanceof KmsError && error.code === 'KMSInvalidSignatureException') return false;
      throw error;
    }
  }

  async deriveSharedSecret(
    input: { keyId: string; publicKey: Uint8Array },
    options?: CallOptions,
  ): Promise<{ sharedSecret: Uint8Array; keyId: string }> {
    const out = await this.send(
      'DeriveSharedSecret',
      { KeyId: input.keyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: input.publicKey },
      options,
    );
    return { sharedSecret: required(out.SharedSecret, 'DeriveSharedSecret', 'SharedSecret'), keyId: out.KeyId ?? input.keyId };
  }

  /** ML-KEM: a fresh 32-byte shared secret and its encapsulated form (for the holder of the private key, KMS). */
  async encapsulate(keyId: string, options?: CallOptions): Promise<{ sharedSecret: Uint8Array; ciphertext: Uint8Array; keyId: string }> {
    const out = await this.send('Encapsulate', { KeyId: keyId, EncapsulationAlgorithm: 'ML_KEM' }, options);
    return {
      sharedSecret: required(out.SharedSecret, 'Encapsulate', 'SharedSecret'),
      ciphertext: required(out.SharedSecretCiphertextBlob, 'Encapsulate', 'SharedSecretCiphertextBlob'),
      keyId: out.KeyId ?? keyId,
    };
  }

  /** ML-KEM: the shared secret of an encapsulated form made with the key's public key. */
  async decapsulate(
    input: { keyId: string; ciphertext: Uint8Array },
    options?: CallOptions,
  ): Promise<{ sharedSecret: Uint8Array; keyId: string }> {
    const out = await this.send(
      'Decapsulate',
      { KeyId: input.keyId, SharedSecretCiphertextBlob: input.ciphertext, EncapsulationAlgorithm: 'ML_KEM' },
      options,
    );
    return { sharedSecret: required(out.SharedSecret, 'Decapsulate', 'SharedSecret'), keyId: out.KeyId ?? input.keyId };
  }

  getPublicKey(keyId: string): Promise<Kms.GetPublicKeyCommandOutput> {
    return this.send('GetPublicKey', { KeyId: keyId });
  }

  generateMac(input: Kms.GenerateMacCommandInput): Promise<Kms.GenerateMacCommandOutput> {
    return this.send('GenerateMac', input);
  }

  /** KMS answers a bad MAC with KMSInvalidMacException; this returns false for it. */
  async verifyMac(input: Kms.VerifyMacCommandInput): Promise<boolean> {
    try {
      return (await this.send('VerifyMac', input)).MacValid === true;
    } catch (error) {
      if (error instanceof KmsError && error.code === 'KMSInvalidMacException') return false;
      throw error;
    }
  }

  // ---- aliases ----------------------------------------------------------------------

  listAliasesPage(marker?: string, keyId?: string, limit = 100, options?: CallOptions): Promise<Page<Kms.AliasListEntry>> {
    return this.page('ListAliases', { Marker: marker, KeyId: keyId, Limit: limit }, (o) => o.Aliases, options);
  }

  listAliases(keyId?: string): AsyncIterable<Kms.AliasListEntry> {
    return this.all((m) => this.listAliasesPage(m, keyId));
  }

  async createAlias(aliasName: string, targetKeyId: string): Promise<void> {
    await this.send('CreateAlias', { AliasName: aliasName, TargetKeyId: targetKeyId });
  }

  async updateAlias(aliasName: string, targetKeyId: string): Promise<void> {
    await this.send('UpdateAlias', { AliasName: aliasName, TargetKeyId: targetKeyId });
  }

  async deleteAlias(aliasName: string): Promise<void> {
    await this.send('DeleteAlias', { AliasName: aliasName });
  }

  // ---- grants -----------------------------------------------------------------------

  createGrant(input: Kms.CreateGrantCommandInput): Promise<Kms.CreateGrantCommandOutput> {
    return this.send('CreateGrant', input);
  }

  listGrantsPage(keyId: string, marker?: string, limit = 100): Promise<Page<Kms.GrantListEntry>> {
    return this.page('ListGrants', { KeyId: keyId, Marker: marker, Limit: limit }, (o) => o.Grants);
  }

  listGrants(keyId: string): AsyncIterable<Kms.GrantListEntry> {
    return this.all((m) => this.listGrantsPage(keyId, m));
  }

  listRetirableGrantsPage(retiringPrincipal: string, marker?: string, limit = 100): Promise<Page<Kms.GrantListEntry>> {
    return this.page('ListRetirableGrants', { RetiringPrincipal: retiringPrincipal, Marker: marker, Limit: limit }, (o) => o.Grants);
  }

  listRetirableGrants(retiringPrincipal: string): AsyncIterable<Kms.GrantListEntry> {
    return this.all((m) => this.listRetirableGrantsPage(retiringPrincipal, m));
  }

  async retireGrant(input: { grantToken?: string; keyId?: string; grantId?: string }): Promise<void> {
    await this.send('RetireGrant', { GrantToken: input.grantToken, KeyId: input.keyId, GrantId: input.grantId });
  }

  async revokeGrant(keyId: string, grantId: string): Promise<void> {
    await this.send('RevokeGrant', { KeyId: keyId, GrantId: grantId });
  }

  // ---- usage ------------------------------------------------------------------------

  /** GetKeyLastUsage: the last successful cryptographic use (key id or ARN only, no alias). */
  getKeyLastUsage(keyId: string, options?: CallOptions): Promise<Kms.GetKeyLastUsageCommandOutput> {
    return this.send('GetKeyLastUsage', { KeyId: keyId }, options);
  }

  // ---- policies and tags ------------------------------------------------------------

  async getKeyPolicy(keyId: string, policyName = 'default'): Promise<string> {
    const out = await this.send('GetKeyPolicy', { KeyId: keyId, PolicyName: policyName });
    return required(out.Policy, 'GetKeyPolicy', 'Policy');
  }

  async putKeyPolicy(
    keyId: string,
    policy: string,
    options: { policyName?: string; bypassPolicyLockoutSafetyCheck?: boolean } = {},
  ): Promise<void> {
    await this.send('PutKeyPolicy', {
      KeyId: keyId,
      Policy: policy,
      PolicyName: options.policyName ?? 'default',
      BypassPolicyLockoutSafetyCheck: options.bypassPolicyLockoutSafetyCheck,
    });
  }

  listKeyPoliciesPage(keyId: string, marker?: string): Promise<Page<string>> {
    return this.page('ListKeyPolicies', { KeyId: keyId, Marker: marker }, (o) => o.PolicyNames);
  }

  listResourceTagsPage(keyId: string, marker?: string, limit = 50, options?: CallOptions): Promise<Page<Kms.Tag>> {
    return this.page('ListResourceTags', { KeyId: keyId, Marker: marker, Limit: limit }, (o) => o.Tags, options);
  }

  listResourceTags(keyId: string): AsyncIterable<Kms.Tag> {
    return this.all((m) => this.listResourceTagsPage(keyId, m));
  }

  async tagResource(keyId: string, tags: Kms.Tag[]): Promise<void> {
    await this.send('TagResource', { KeyId: keyId, Tags: tags });
  }

  async untagResource(keyId: string, tagKeys: string[]): Promise<void> {
    await this.send('UntagResource', { KeyId: keyId, TagKeys: tagKeys });
  }

  // ---- rotation ---------------------------------------------------------------------

  async enableKeyRotation(keyId: string, rotationPeriodInDays?: number): Promise<void> {
    await this.send('EnableKeyRotation', { KeyId: keyId, RotationPeriodInDays: rotationPeriodInDays });
  }

  async disableKeyRotation(keyId: string): Promise<void> {
    await this.send('DisableKeyRotation', { KeyId: keyId });
  }

  getKeyRotationStatus(keyId: string): Promise<Kms.GetKeyRotationStatusCommandOutput> {
    return this.send('GetKeyRotationStatus', { KeyId: keyId });
  }

  rotateKeyOnDemand(keyId: string): Promise<Kms.RotateKeyOnDemandCommandOutput> {
    return this.send('RotateKeyOnDemand', { KeyId: keyId });
  }

  listKeyRotationsPage(keyId: string, marker?: string, limit = 100): Promise<Page<Kms.RotationsListEntry>> {
    return this.page('ListKeyRotations', { KeyId: keyId, Marker: marker, Limit: limit }, (o) => o.Rotations);
  }

  listKeyRotations(keyId: string): AsyncIterable<Kms.RotationsListEntry> {
    return this.all((m) => this.listKeyRotationsPage(keyId, m));
  }
}

function required<T>(value: T | undefined, operation: string, field: string): T {
  if (value === undefined || value === null) {
    throw new KmsError('MalformedResponse', `${operation} answered without ${field}: the endpoint does not behave like KMS.`, {
      operation,
    });
  }
  return value;
}

function nonEmpty(context: EncryptionContext | undefined): EncryptionContext | undefined {
  return context && Object.keys(context).length > 0 ? context : undefined;
}
