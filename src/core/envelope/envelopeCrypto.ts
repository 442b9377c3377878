// AWS Encryption SDK messages through the @aws-crypto libraries (loaded lazily), with our
// own configured KMS client injected: a KMS keyring whose clientProvider hands out an adapter
// over KmsGateway, so every KMS call goes through our credentials, endpoint, retries and
// error sentences. The Encryption SDK folds KMS failures into one long text; the adapter
// remembers the KmsError of each failed call so the person sees KMS's reason instead.
//
// What we write: message format 2, the committing suite without signature
// (ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY) and 1 MiB frames, under the commitment
// policy REQUIRE_ENCRYPT_REQUIRE_DECRYPT. What we read: any committing message, signed or not
// (the AWS Encryption CLI signs by default); non-committing (format 1) messages are refused
// with a sentence saying how to read them.
//
// The keyring's KMS adapter lives in envelopeKms.ts; the refusals and error sentences in envelopeChecks.ts.
import type { Duplex } from 'node:stream';
import { KmsError } from '../kms/errors';
import type { KmsGateway } from '../kms/gateway';
import { type EncryptionSdkModule, loadEncryptionSdk } from '../lazy/loadEncryptionSdk';
import { checkMessageEnd } from './messageEnd';
import { checkKeySet, checkReadable, explain } from './envelopeChecks';
import { keyArnOfAnswer, KmsCalls, resolveKeyArn } from './envelopeKms';
import {
  DEFAULT_FRAME_LENGTH,
  DEFAULT_SUITE_ID,
  deriveCommittingKeys,
  type EncryptedDataKey,
  type EncryptionContext,
  KMS_PROVIDER_ID,
  MAX_ENCRYPTED_DATA_KEYS,
  type MessageHeader,
  messageInfo,
  type MessageInfo,
  MessageFormatError,
  parseMessageHeader,
  regionOfKeyArn,
  tampered,
  verifyCommitment,
  verifyHeaderAuth,
} from './messageFormat';

// Re-exported: callers import these from this module.
export { checkKeySet, checkReadable, explain, resolveKeyArn };

/** The gateway for a region (of a key ARN); undefined: the connection's own region. */
export type GatewayForRegion = (region: string | undefined) => KmsGateway;

export interface EnvelopeOptions {
  /** Plaintext bytes per frame; default 1 MiB. */
  readonly frameLength?: number;
  /**
   * Which accounts' keys may open data keys (see core/trust/keyTrust.ts): given the `aws-kms`
   * key ARNs of a message, the discovery filter to decrypt with; throws, before any KMS call,
   * when none of them is trusted. Without it, decrypting is not limited to any account.
   */
  readonly dataKeyTrust?: { discoveryFilter(what: string, arns: readonly string[]): Promise<DiscoveryFilter | undefined> };
}

/** The Encryption SDK's discovery filter: data keys only of these accounts are tried. */
export interface DiscoveryFilter {
  readonly accountIDs: string[];
  readonly partition: string;
}

export interface EncryptParams {
  /** Key id, key ARN, alias name or alias ARN. */
  readonly keyId: string;
  /**
   * More keys the data key is also wrapped under (KMS Encrypt each), so any one of them
   * decrypts: a multi-Region key's replica, a key in another account for disaster recovery.
   * Keys in other regions are named by ARN.
   */
  readonly additionalKeyIds?: readonly string[];
  readonly encryptionContext?: EncryptionContext;
  /** The plaintext's length when known (not passed on to the SDK: see encryptStream). */
  readonly plaintextLength?: number;
  /** Aborts the KMS calls in flight (a cancel). */
  readonly signal?: AbortSignal;
}

export interface DecryptParams {
  /** Pairs the message's encryption context must have (it may have more). */
  readonly expectedContext?: EncryptionContext;
  /** Decrypt only with this key (its ARN): refused when the message is not encrypted under it. */
  readonly keyArn?: string;
  /** Aborts the KMS calls in flight (a cancel). */
  readonly signal?: AbortSignal;
}

/** A stream of the Encryption SDK, made when it is piped (see encryptStream). */
export interface StreamFactory {
  readonly create: () => Duplex;
  /** ARN of the key that made or opened the data key, once it did. */
  readonly keyArn: () => string;
  /** Encrypting: the ARNs of every key the data key was wrapped under, in the header's order. */
  readonly keyArns: () => string[];
  /** Turns a failure of the pipeline into a KmsError with a sentence a person can act on. */
  readonly explain: (error: unknown) => unknown;
}

/**
 * Encryption SDK messages, as buffers and as streams. One instance per connection; it
 * holds no key material between calls.
 */
export class EnvelopeCrypto {
  constructor(
    private readonly gatewayFor: GatewayForRegion,
    private readonly options: EnvelopeOptions = {},
  ) {}

  get frameLength(): number {
    return this.options.frameLength ?? DEFAULT_FRAME_LENGTH;
  }

  /** Encrypts a whole buffer into one message. */
  async encryptBuffer(plaintext: Uint8Array, params: EncryptParams): Promise<{ message: Buffer; keyArn: string; info: MessageInfo }> {
    const { sdk, calls, keyring } = await this.encryptKeyring(params);
    const client = this.client(sdk);
    try {
      const { result, messageHeader } = await client.encrypt(keyring, plaintext, {
        suiteId: DEFAULT_SUITE_ID,
        frameLength: this.frameLength,
        encryptionContext: params.encryptionContext ?? {},
      });
      const header = parseMessageHeader(result);
      if (!header) throw new MessageFormatError('The Encryption SDK wrote an incomplete header.');
      return { message: result, keyArn: calls.keyArn ?? keyArnOf(messageHeader.encryptedDataKeys), info: messageInfo(header) };
    } catch (error) {
      throw explain(error, calls);
    }
  }

  /** Decrypts a whole message held in memory. */
  async decryptBuffer(message: Uint8Array, params: DecryptParams = {}): Promise<{ plaintext: Buffer; keyArn: string; info: MessageInfo }> {
    const header = parseMessageHeader(Buffer.from(message.buffer, message.byteOffset, message.byteLength));
    if (!header) throw tampered('it is truncated inside its header');
    checkReadable(header, params);
    checkMessageEnd(message, header);
    const { sdk, calls, keyring } = await this.decryptKeyring(params.keyArn, header, params.signal);
    const client = this.client(sdk);
    try {
      const { plaintext } = await client.decrypt(keyring, message);
      return { plaintext, keyArn: calls.keyArn ?? '', info: messageInfo(header) };
    } catch (error) {
      throw explain(error, calls);
    }
  }

  /**
   * Prepares a stream that turns plaintext into a message. `create()` makes the stream and
   * starts the KMS call at once: call it where the stream is piped, in the same tick, so its
   * failures reach the pipeline. Pass a pipeline's failure through `explain`.
   */
  async encryptStream(params: EncryptParams): Promise<StreamFactory> {
    const { sdk, calls, keyring } = await this.encryptKeyring(params);
    const client = this.client(sdk);
    return {
      // No plaintextLength: the SDK (v5) subtracts a chunk that spans a frame boundary twice
      // from it and then fails with "Encrypted data exceeded plaintextLength", as an uncaught
      // exception of its inner pipeline. It is only a check; the frames do not need it.
      create: () =>
        shieldFromTeardown(
          client.encryptStream(keyring, {
            suiteId: DEFAULT_SUITE_ID,
            frameLength: this.frameLength,
            encryptionContext: params.encryptionContext ?? {},
          }),
        ),
      keyArn: () => calls.keyArn ?? '',
      keyArns: () => [...calls.keyArns],
      explain: (error) => explain(error, calls),
    };
  }

  /** Prepares a stream that turns a message (whose header was read and checked) back into plaintext. */
  async decryptStream(header: MessageHeader, params: DecryptParams = {}): Promise<StreamFactory> {
    checkReadable(header, params);
    const { sdk, calls, keyring } = await this.decryptKeyring(params.keyArn, header, params.signal);
    const client = this.client(sdk);
    return {
      create: () => shieldFromTeardown(client.decryptStream(keyring)),
      keyArn: () => calls.keyArn ?? '',
      keyArns: () => [],
      explain: (error) => explain(error, calls),
    };
  }

  /**
   * A new data key for a message (what the Encryption SDK's KMS keyring does, through our
   * gateway): KMS GenerateDataKey under the first key, KMS Encrypt of the same data key under
   * each additional key (in its region), with the message's encryption context. The caller
   * zeroes `dataKey`.
   */
  async newDataKey(params: EncryptParams): Promise<{ dataKey: Buffer; encryptedDataKeys: EncryptedDataKey[]; keyArns: string[] }> {
    const keyIds = checkKeySet([params.keyId, ...(params.additionalKeyIds ?? [])]);
    const context = params.encryptionContext ?? {};
    if (Object.prototype.hasOwnProperty.call(context, 'aws-crypto-public-key'))
      throw new KmsError(
        'InvalidArgument',
        'The encryption context key "aws-crypto-public-key" is reserved by the AWS Encryption SDK: use another name.',
      );
    const EncryptionContext = Object.keys(context).length ? context : undefined;
    const options = { abortSignal: params.signal };
    const gateway = this.gatewayFor(regionOfKeyName(keyIds[0]));
    const out = await gateway.send('GenerateDataKey', { KeyId: keyIds[0], NumberOfBytes: 32, EncryptionContext }, options);
    const dataKey = Buffer.from(out.Plaintext ?? new Uint8Array(0));
    out.Plaintext?.fill(0);
    try {
      if (dataKey.length !== 32 || !out.CiphertextBlob?.length)
        throw new KmsError('MalformedResponse', 'KMS GenerateDataKey answered without a 32-byte data key and its ciphertext.');
      const generator = (await keyArnOfAnswer(gateway, out.KeyId, keyIds[0])) ?? keyIds[0];
      const encryptedDataKeys: EncryptedDataKey[] = [
        { providerId: KMS_PROVIDER_ID, providerInfo: generator, encryptedDataKey: Buffer.from(out.CiphertextBlob) },
      ];
      for (const keyId of keyIds.slice(1)) {
        const g = this.gatewayFor(regionOfKeyName(keyId));
        const wrapped = await g.encrypt({ keyId, plaintext: dataKey, encryptionContext: context }, options);
        encryptedDataKeys.push({
          providerId: KMS_PROVIDER_ID,
          providerInfo: (await keyArnOfAnswer(g, wrapped.keyId, keyId)) ?? keyId,
          encryptedDataKey: Buffer.from(wrapped.ciphertext),
        });
      }
      return { dataKey, encryptedDataKeys, keyArns: encryptedDataKeys.map((k) => k.providerInfo) };
    } catch (error) {
      dataKey.fill(0);
      throw error;
    }
  }

  /**
   * Opens the data key of a committing, unsigned message with KMS Decrypt (as the Encryption
   * SDK's KMS keyring does: strict with `keyArn`, else each `aws-kms` data key of a trusted
   * account in turn) and checks the key commitment and the header's authentication. The
   * caller zeroes `dataKey`.
   */
  async openDataKey(header: MessageHeader, params: DecryptParams = {}): Promise<{ dataKey: Buffer; keyArn: string }> {
    checkReadable(header, params);
    const arns = header.encryptedDataKeys.filter((k) => k.providerId === KMS_PROVIDER_ID).map((k) => k.providerInfo);
    const filter = await this.options.dataKeyTrust?.discoveryFilter('The encrypted data', params.keyArn ? [params.keyArn] : arns);
    const candidates = header.encryptedDataKeys.filter(
      (k) =>
        k.providerId === KMS_PROVIDER_ID &&
        (params.keyArn ? k.providerInfo === params.keyArn : true) &&
        (!filter || inFilter(k.providerInfo, filter)),
    );
    const failures: KmsError[] = [];
    for (const edk of candidates) {
      const gateway = this.gatewayFor(regionOfKeyArn(edk.providerInfo));
      let dataKey: Buffer | undefined;
      try {
        const out = await gateway.decrypt(
          { ciphertext: edk.encryptedDataKey, keyId: edk.providerInfo, encryptionContext: header.encryptionContext },
          { abortSignal: params.signal },
        );
        dataKey = Buffer.from(out.plaintext);
        out.plaintext.fill(0);
        if (out.keyId && out.keyId !== edk.providerInfo && !edk.providerInfo.endsWith(`/${out.keyId}`))
          throw new KmsError('IncorrectKeyException', 'KMS opened the data key with another key than the message names.');
        if (dataKey.length !== header.suite.keyLength) throw tampered('its data key has the wrong length');
        const { commitment, derivedKey } = deriveCommittingKeys(header.suite, dataKey, header.messageId);
        try {
          verifyCommitment(header, commitment);
          verifyHeaderAuth(header, derivedKey);
        } finally {
          derivedKey.fill(0);
        }
        return { dataKey, keyArn: edk.providerInfo };
      } catch (error) {
        dataKey?.fill(0);
        if (params.signal?.aborted || (error as { name?: string }).name === 'AbortError') throw error;
        if (error instanceof KmsError && error.code === 'TamperedCiphertext') throw error;
        failures.push(
          error instanceof KmsError ? error : new KmsError('DataKeyNotDecrypted', error instanceof Error ? error.message : String(error)),
        );
      }
    }
    throw (
      failures[0] ??
      new KmsError(
        'DataKeyNotDecrypted',
        'None of the KMS keys in the message could decrypt its data key with this connection. Check the connection (account and region) and your ' +
          'permissions on the key.',
      )
    );
  }

  private client(
    sdk: EncryptionSdkModule,
  ): ReturnType<EncryptionSdkModule['buildEncrypt']> & ReturnType<EncryptionSdkModule['buildDecrypt']> {
    const options = {
      commitmentPolicy: sdk.CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT,
      maxEncryptedDataKeys: MAX_ENCRYPTED_DATA_KEYS,
    };
    return { ...sdk.buildEncrypt(options), ...sdk.buildDecrypt(options) };
  }

  private async encryptKeyring(
    params: EncryptParams,
  ): Promise<{ sdk: EncryptionSdkModule; calls: KmsCalls; keyring: InstanceType<EncryptionSdkModule['KmsKeyring']> }> {
    const additional = checkKeySet([params.keyId, ...(params.additionalKeyIds ?? [])]).slice(1);
    const sdk = await loadEncryptionSdk();
    const calls = new KmsCalls(this.gatewayFor, params.signal);
    return {
      sdk,
      calls,
      keyring: new sdk.KmsKeyring({ clientProvider: calls.clientProvider, generatorKeyId: params.keyId, keyIds: additional }),
    };
  }

  private async decryptKeyring(
    keyArn: string | undefined,
    header: MessageHeader,
    signal: AbortSignal | undefined,
  ): Promise<{ sdk: EncryptionSdkModule; calls: KmsCalls; keyring: InstanceType<EncryptionSdkModule['KmsKeyring']> }> {
    // Before the SDK is loaded or KMS is called: data keys only under keys of trusted accounts.
    const arns = header.encryptedDataKeys.filter((k) => k.providerId === 'aws-kms').map((k) => k.providerInfo);
    const discoveryFilter = await this.options.dataKeyTrust?.discoveryFilter('The encrypted data', keyArn ? [keyArn] : arns);
    const sdk = await loadEncryptionSdk();
    const calls = new KmsCalls(this.gatewayFor, signal);
    // Strict (only the named key) when a key was named; else discovery, limited to the trusted
    // accounts: the KMS key of each `aws-kms` data key of those accounts is tried, with our client.
    const keyring = keyArn
      ? new sdk.KmsKeyring({ clientProvider: calls.clientProvider, keyIds: [keyArn] })
      : new sdk.KmsKeyring({ clientProvider: calls.clientProvider, discovery: true, ...(discoveryFilter ? { discoveryFilter } : {}) });
    return { sdk, calls, keyring };
  }
}

/**
 * The Encryption SDK's streams must not be destroyed half-way: the encrypt stream's inner
 * pipeline (called without a callback) then fails with "Premature close" (with the published
 * readable-stream, as an uncaught exception; in our bundle's stand-in, src/core/lazy/esdk/
 * readableStream.ts, silently), and both re-emit late errors on themselves. When a pipeline fails or is
 * cancelled (a failing write, a cancel, a KMS error downstream), Node destroys every stream
 * in it: here, instead, the SDK stream is unhooked, its input ended and its output drained,
 * so it finishes on its own (a frame's worth of work) and its own errors go nowhere.
 */
export function shieldFromTeardown(stream: Duplex): Duplex {
  let done = false;
  const markDone = (): void => {
    done = true;
  };
  stream.once('end', markDone);
  stream.once('close', markDone);
  stream.on('error', () => undefined);
  const destroy = stream.destroy.bind(stream);
  stream.destroy = (error?: Error): Duplex => {
    if (done) return destroy(error);
    done = true;
    stream.unpipe();
    stream.removeAllListeners('data');
    stream.on('data', () => undefined);
    stream.resume();
    stream.end();
    return stream;
  };
  return stream;
}

/** The region a key is named in (key or alias ARN); undefined: the connection's. */
function regionOfKeyName(name: string): string | undefined {
  return /^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:(key|alias)\//.exec(name)?.[1];
}

/** Whether a key ARN is of an account (and partition) of a discovery filter. */
function inFilter(arn: string, filter: DiscoveryFilter): boolean {
  const m = /^arn:([a-z-]+):kms:[^:]*:(\d{12}):/.exec(arn);
  return !!m && m[1] === filter.partition && filter.accountIDs.includes(m[2]);
}

function keyArnOf(keys: readonly { providerId: string; providerInfo: string }[]): string {
  return keys.find((k) => k.providerId === 'aws-kms')?.providerInfo ?? '';
}
