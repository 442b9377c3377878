// Re-encrypting an Encryption SDK message under another KMS key without re-encrypting its
// content: only the header changes.
//
// Why this is sound: the frames are encrypted with a key derived from the data key and the
// message id, and their AAD holds the message id, sequence number and length, not the header.
// The header is authenticated by an AES-GCM tag under that same derived key, and (format 2)
// carries a commitment to the data key. Keeping the data key and the message id keeps every
// frame, the commitment and the derived key valid; the new header only needs a new tag.
//
// So: KMS Decrypt opens the data key (an `aws-kms` encrypted data key of the header, with the
// header's encryption context); the commitment and the old header tag are checked; KMS
// ReEncrypt wraps the same data key under the new key (Encrypt with the opened data key when
// the new key is in another region, where ReEncrypt cannot reach, or when ReEncrypt is denied:
// kms:Encrypt allowed, kms:ReEncrypt* not); the header is written with
// the new encrypted data key and a new tag; every frame of the body is then checked as it is
// copied, so a damaged or truncated message is never given a fresh header.
//
// Not possible for signed suites (the footer signs the header) or format 1 / non-framed
// messages: those are decrypted and encrypted again, streamed.
import { KmsError } from '../kms/errors';
import type { GatewayForRegion } from './envelopeCrypto';
import { checkReadable, resolveKeyArn } from './envelopeCrypto';
import { FrameVerifier } from './frames';
import {
  deriveCommittingKeys,
  type EncryptedDataKey,
  type EncryptionContext,
  headerAuthTag,
  KMS_PROVIDER_ID,
  type MessageHeader,
  parseMessageHeader,
  regionOfKeyArn,
  rewriteHeaderBody,
  tampered,
  verifyCommitment,
  verifyHeaderAuth,
} from './messageFormat';

export interface RewrapParams {
  /** The new key: key id, key ARN, alias name or alias ARN. */
  readonly keyId: string;
  /** A new encryption context; default: the message's own. */
  readonly encryptionContext?: EncryptionContext;
  /**
   * Settles once the new key is known to be usable (the caller's DescribeKey, running meanwhile);
   * its refusal is the error, whatever KMS answered. Nothing is built for the key before.
   */
  readonly keyChecked?: Promise<void>;
}

export interface RewrappedHeader {
  /** The new header: body and authentication tag. */
  readonly bytes: Buffer;
  /** The derived data-encryption key, for checking the frames; zero it when done. */
  readonly derivedKey: Buffer;
  readonly keyArn: string;
  readonly sourceKeyArn: string;
  readonly encryptionContext: EncryptionContext;
  /** Adding or removing keys: every KMS key of the new header, and what changed (ARNs). */
  readonly keyArns?: readonly string[];
  readonly added?: readonly string[];
  readonly removed?: readonly string[];
}

/**
 * Which keys a message should be encrypted for: `add` and/or `remove` keys, or `keyIds`, the
 * whole new set. Keys are named by key id, key ARN, alias name or alias ARN; keys in other
 * regions or accounts by ARN.
 */
export interface KeyChange {
  readonly add?: readonly string[];
  readonly remove?: readonly string[];
  readonly keyIds?: readonly string[];
}

/** Why this message cannot be re-wrapped in place (undefined: it can). */
export function rewrapObstacle(header: MessageHeader): string | undefined {
  if (header.version !== 2 || !header.suite.committing) return 'it uses message format 1';
  if (header.suite.signed) return 'its algorithm suite signs the header';
  if (header.contentType !== 'framed') return 'its content is not framed';
  return undefined;
}

/**
 * Opens the data key with KMS, checks the header, and writes a header for the new key.
 * `onOpened` gets the derived key as soon as the data key is opened and the old header checked,
 * before the new key's answer (the caller checks frames meanwhile); the key stays the returned
 * header's (zeroed on a failure).
 */
export async function rewrapHeader(
  header: MessageHeader,
  gatewayFor: GatewayForRegion,
  params: RewrapParams,
  options: { signal?: AbortSignal; onOpened?: (derivedKey: Buffer) => void } = {},
): Promise<RewrappedHeader> {
  const obstacle = rewrapObstacle(header);
  if (obstacle) throw new KmsError('RewrapNotPossible', `The message cannot be re-wrapped in place: ${obstacle}.`);
  checkReadable(header, {});
  const encryptionContext = params.encryptionContext ?? header.encryptionContext;
  const destinationRegion = regionOfKeyArn(params.keyId);
  const reEncrypt = (edk: EncryptedDataKey): Promise<{ ciphertext: Uint8Array; keyId: string }> =>
    gatewayFor(regionOfKeyArn(edk.providerInfo)).reEncrypt(
      {
        ciphertext: edk.encryptedDataKey,
        sourceKeyId: edk.providerInfo,
        destinationKeyId: params.keyId,
        sourceEncryptionContext: header.encryptionContext,
        destinationEncryptionContext: encryptionContext,
      },
      { abortSignal: options.signal },
    );
  // The usual message has one data key of KMS, and the new key is in its region: ReEncrypt needs
  // nothing from Decrypt's answer, so both calls (and the caller's check of the key) go at once.
  // Decrypt goes first: its answer is what the header and the caller's frame checks wait for.
  // The header is still checked (commitment, tag) before ReEncrypt's answer is used; a failed
  // check discards it.
  const kmsKeys = header.encryptedDataKeys.filter((k) => k.providerId === KMS_PROVIDER_ID);
  const only = kmsKeys.length === 1 ? kmsKeys[0] : undefined;
  const opening = openDataKey(header, gatewayFor, options.signal);
  const early = only && (!destinationRegion || destinationRegion === regionOfKeyArn(only.providerInfo)) ? reEncrypt(only) : undefined;
  // Awaited below (or dropped when the data key does not open); never left unhandled meanwhile.
  early?.catch(() => undefined);
  const checked = settle(params.keyChecked);
  let opened: { dataKey: Buffer; edk: EncryptedDataKey };
  try {
    opened = await opening;
  } catch (error) {
    // The key's refusal wins over whatever KMS answered.
    throw (await checked) ?? error;
  }
  const { dataKey, edk } = opened;
  let derivedKey: Buffer | undefined;
  try {
    const derived = deriveCommittingKeys(header.suite, dataKey, header.messageId);
    derivedKey = derived.derivedKey;
    verifyCommitment(header, derived.commitment);
    verifyHeaderAuth(header, derived.derivedKey);
    options.onOpened?.(derived.derivedKey);
    const sourceRegion = regionOfKeyArn(edk.providerInfo);
    const wrapRegion = destinationRegion ?? sourceRegion;
    const encrypt = (): Promise<{ ciphertext: Uint8Array; keyId: string }> =>
      gatewayFor(wrapRegion).encrypt({ keyId: params.keyId, plaintext: dataKey, encryptionContext }, { abortSignal: options.signal });
    const wrapping = (async () => {
      if (destinationRegion && destinationRegion !== sourceRegion) {
        // ReEncrypt cannot reach another region: nothing is encrypted under the key before it is checked.
        const refused = await checked;
        if (refused) throw refused;
        return encrypt();
      }
      try {
        return await (early && edk === only ? early : reEncrypt(edk));
      } catch (error) {
        // A person may be allowed kms:Encrypt with the new key but not kms:ReEncrypt* (ReEncryptFrom on
        // the old key, ReEncryptTo on the new one): the data key they opened is wrapped with Encrypt
        // instead, the same header in the end. Any other refusal is the answer.
        if (!(error instanceof KmsError && error.code === 'AccessDeniedException') || options.signal?.aborted) throw error;
        const refused = await checked;
        if (refused) throw refused;
        return encrypt();
      }
    })();
    // Both answers first: the key's refusal wins over the wrapping's outcome.
    const [[outcome], refused] = await Promise.all([Promise.allSettled([wrapping]), checked]);
    if (refused) throw refused;
    if (outcome.status === 'rejected') throw outcome.reason;
    const wrapped = outcome.value;
    const keyArn = await keyArnFor(wrapped.keyId, gatewayFor, wrapRegion);
    const newEdk: EncryptedDataKey = {
      providerId: KMS_PROVIDER_ID,
      providerInfo: keyArn,
      encryptedDataKey: Buffer.from(wrapped.ciphertext),
    };
    const body = rewriteHeaderBody(header, { encryptedDataKeys: [newEdk], encryptionContext });
    return {
      bytes: Buffer.concat([body, headerAuthTag(derived.derivedKey, body)]),
      derivedKey: derived.derivedKey,
      keyArn,
      sourceKeyArn: edk.providerInfo,
      encryptionContext,
    };
  } catch (error) {
    derivedKey?.fill(0);
    throw error;
  } finally {
    dataKey.fill(0);
  }
}

/**
 * A new header being made (rewrapHeader): `made`, and `opened`, the derived key as soon as KMS
 * opened the data key and the old header is checked, before `made` settles (it rejects when
 * `made` does before). The key is `made`'s: zeroed with it.
 */
export interface HeaderInMaking {
  readonly made: Promise<RewrappedHeader>;
  readonly opened?: Promise<Buffer>;
}

/** rewrapHeader, with the derived key told as soon as it is known. */
export function makeRewrappedHeader(
  header: MessageHeader,
  gatewayFor: GatewayForRegion,
  params: RewrapParams,
  options: { signal?: AbortSignal } = {},
): HeaderInMaking {
  let onOpened: (derivedKey: Buffer) => void = () => undefined;
  const opened = new Promise<Buffer>((resolve) => (onOpened = resolve));
  const made = rewrapHeader(header, gatewayFor, params, { ...options, onOpened });
  const told = Promise.race([opened, made.then(() => opened)]);
  // Whoever waits for it sees the refusal; nobody waiting is no unhandled rejection.
  told.catch(() => undefined);
  return { made, opened: told };
}

/** Settles with the refusal of `check` (undefined once it passed, or when there is none). */
function settle(check: Promise<void> | undefined): Promise<Error | undefined> {
  return check
    ? check.then(
        () => undefined,
        (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
      )
    : Promise.resolve(undefined);
}

/**
 * The ARNs to add and remove to turn a message for `current` (KMS key ARNs) into the change
 * asked for. Refuses a key named twice, adding a key the message has, removing one it has
 * not, a change that changes nothing, removing every KMS key, and more keys than readers accept.
 */
export async function planKeyChange(
  current: readonly string[],
  change: KeyChange,
  gatewayFor: GatewayForRegion,
  limit: number,
): Promise<{ add: string[]; remove: string[]; result: string[] }> {
  if (change.keyIds && (change.add?.length || change.remove?.length)) {
    throw new KmsError(
      'InvalidArgument',
      'Name either the whole new set of keys ("keyIds") or the keys to add and remove ("addKeyIds", "removeKeyIds"), not both.',
    );
  }
  const resolve = async (ref: string): Promise<string> => {
    const name = ref.trim();
    if (!name) throw new KmsError('InvalidArgument', 'A key name is empty: name each key by key id, key ARN, alias name or alias ARN.');
    if (regionOfKeyArn(name)) return name;
    // A bare key id of a key the message has needs no DescribeKey.
    const mine = current.find((arn) => arn.endsWith(`:key/${name}`));
    if (mine) return mine;
    return resolveKeyArn(gatewayFor(regionOfAliasArn(name)), name);
  };
  const resolveAll = async (refs: readonly string[] | undefined, what: string): Promise<string[]> => {
    const arns = await Promise.all((refs ?? []).map(resolve));
    const twice = arns.filter((a, i) => arns.indexOf(a) !== i);
    if (twice.length) throw new KmsError('InvalidArgument', `${[...new Set(twice)].join(', ')} is named more than once in ${what}.`);
    return arns;
  };
  let add: string[];
  let remove: string[];
  if (change.keyIds) {
    const wanted = await resolveAll(change.keyIds, '"keyIds"');
    if (wanted.length === 0)
      throw new KmsError('InvalidArgument', '"keyIds" is empty: a message must stay encrypted for at least one key.');
    add = wanted.filter((a) => !current.includes(a));
    remove = current.filter((a) => !wanted.includes(a));
  } else {
    add = await resolveAll(change.add, '"addKeyIds"');
    remove = await resolveAll(change.remove, '"removeKeyIds"');
    const both = add.filter((a) => remove.includes(a));
    if (both.length) throw new KmsError('InvalidArgument', `${both.join(', ')} is both added and removed.`);
    const present = add.filter((a) => current.includes(a));
    if (present.length)
      throw new KmsError(
        'KeyAlreadyPresent',
        `The message is already encrypted for ${present.join(', ')}. Its keys are ${current.join(', ')}.`,
      );
    const absent = remove.filter((a) => !current.includes(a));
    if (absent.length)
      throw new KmsError(
        'KeyNotPresent',
        `The message is not encrypted for ${absent.join(', ')}, so it cannot be removed. Its keys are ${current.join(', ')}.`,
      );
  }
  if (!add.length && !remove.length)
    throw new KmsError('NoKeyChange', `The message is already encrypted for exactly these keys: ${current.join(', ')}.`);
  const result = [...current.filter((a) => !remove.includes(a)), ...add];
  if (result.length === 0) {
    throw new KmsError(
      'LastKey',
      `Removing ${remove.join(', ')} would leave the message with no key that can decrypt it. Add another key in the same call ("addKeyIds"), or ` +
        `decrypt the file instead.`,
    );
  }
  if (result.length > limit)
    throw new KmsError(
      'InvalidArgument',
      `A message can be encrypted for at most ${limit} keys (readers refuse more data keys); this change would give it ${result.length}.`,
    );
  return { add, remove, result };
}

function regionOfAliasArn(name: string): string | undefined {
  return /^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:alias\//.exec(name)?.[1];
}

/**
 * Adds and removes keys of a message without touching its content: the data key is opened
 * with KMS (any key of the message), the commitment and header checked, the data key wrapped
 * under each added key (KMS Encrypt, in that key's region) and the header written with the
 * data keys of the new set (other providers' data keys kept) and a new tag.
 */
export async function rekeyHeader(
  header: MessageHeader,
  gatewayFor: GatewayForRegion,
  change: KeyChange,
  options: { signal?: AbortSignal; limit: number },
): Promise<RewrappedHeader> {
  const obstacle = rewrapObstacle(header);
  if (obstacle) throw new KmsError('RewrapNotPossible', `The keys of this message cannot be changed in place: ${obstacle}.`);
  checkReadable(header, {});
  const current = header.encryptedDataKeys.filter((k) => k.providerId === KMS_PROVIDER_ID).map((k) => k.providerInfo);
  const plan = await planKeyChange(current, change, gatewayFor, options.limit);
  const { dataKey, edk } = await openDataKey(header, gatewayFor, options.signal);
  try {
    const { commitment, derivedKey } = deriveCommittingKeys(header.suite, dataKey, header.messageId);
    verifyCommitment(header, commitment);
    verifyHeaderAuth(header, derivedKey);
    const added: EncryptedDataKey[] = [];
    for (const keyArn of plan.add) {
      const region = regionOfKeyArn(keyArn);
      const wrapped = await gatewayFor(region).encrypt(
        { keyId: keyArn, plaintext: dataKey, encryptionContext: header.encryptionContext },
        { abortSignal: options.signal },
      );
      added.push({
        providerId: KMS_PROVIDER_ID,
        providerInfo: await keyArnFor(wrapped.keyId, gatewayFor, region),
        encryptedDataKey: Buffer.from(wrapped.ciphertext),
      });
    }
    const kept = header.encryptedDataKeys.filter((k) => !(k.providerId === KMS_PROVIDER_ID && plan.remove.includes(k.providerInfo)));
    const encryptedDataKeys = [...kept, ...added];
    const body = rewriteHeaderBody(header, { encryptedDataKeys });
    const keyArns = encryptedDataKeys.filter((k) => k.providerId === KMS_PROVIDER_ID).map((k) => k.providerInfo);
    return {
      bytes: Buffer.concat([body, headerAuthTag(derivedKey, body)]),
      derivedKey,
      keyArn: keyArns[0],
      sourceKeyArn: edk.providerInfo,
      encryptionContext: header.encryptionContext,
      keyArns,
      added: added.map((k) => k.providerInfo),
      removed: plan.remove,
    };
  } finally {
    dataKey.fill(0);
  }
}

/** KMS answers with the key ARN; other servers may answer with a key id. */
async function keyArnFor(keyId: string, gatewayFor: GatewayForRegion, region: string | undefined): Promise<string> {
  if (keyId.startsWith('arn:')) return keyId;
  const meta = await gatewayFor(region).describeKey(keyId);
  if (!meta.Arn) throw new KmsError('MalformedResponse', 'KMS did not name the ARN of the key it encrypted the data key with.');
  return meta.Arn;
}

/** Asks KMS to decrypt each `aws-kms` data key in turn; the first that opens wins. */
async function openDataKey(
  header: MessageHeader,
  gatewayFor: GatewayForRegion,
  signal: AbortSignal | undefined,
): Promise<{ dataKey: Buffer; edk: EncryptedDataKey }> {
  const failures: Error[] = [];
  for (const edk of header.encryptedDataKeys) {
    if (edk.providerId !== KMS_PROVIDER_ID) continue;
    try {
      const out = await gatewayFor(regionOfKeyArn(edk.providerInfo)).decrypt(
        { ciphertext: edk.encryptedDataKey, keyId: edk.providerInfo, encryptionContext: header.encryptionContext },
        { abortSignal: signal },
      );
      const dataKey = Buffer.from(out.plaintext);
      out.plaintext.fill(0);
      // KMS answers with the key ARN; other servers may answer with the bare key id.
      if (out.keyId && out.keyId !== edk.providerInfo && !edk.providerInfo.endsWith(`/${out.keyId}`))
        throw new KmsError('IncorrectKeyException', 'KMS opened the data key with another key than the message names.');
      if (dataKey.length !== header.suite.keyLength) throw tampered('its data key has the wrong length');
      return { dataKey, edk };
    } catch (error) {
      if (signal?.aborted) throw error;
      failures.push(error instanceof Error ? error : new Error(String(error)));
    }
  }
  throw failures[0] ?? new KmsError('NotKmsEncrypted', 'The message has no data key wrapped by AWS KMS.');
}

/**
 * A pipeline stage: reads a message, yields it re-wrapped (new header, body copied after
 * each frame is checked). `onHeader` sees the new header's details once KMS is done.
 */
export function rewrapStage(
  gatewayFor: GatewayForRegion,
  params: RewrapParams | (KeyChange & { readonly limit: number }),
  options: {
    signal?: AbortSignal;
    onHeader?: (h: RewrappedHeader, old: MessageHeader) => void;
    /** The new header, already made (by the in-place attempt) for a message starting with `header`: no second KMS call. */
    prepared?: { readonly header: Buffer; readonly rewrapped: RewrappedHeader };
  } = {},
) {
  return async function* rewrap(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    let head = Buffer.alloc(0);
    let verifier: FrameVerifier | undefined;
    let derivedKey: Buffer | undefined = options.prepared?.rewrapped.derivedKey;
    try {
      for await (const chunk of source) {
        if (!verifier) {
          head = Buffer.concat([head, chunk]);
          const header = parseMessageHeader(head);
          if (!header) {
            if (head.length > 1024 * 1024) throw tampered('its header is longer than 1 MiB');
            continue;
          }
          const prepared = options.prepared;
          if (prepared && !head.subarray(0, header.length).equals(prepared.header))
            throw new KmsError(
              'FileChangedOnDisk',
              'The file changed on disk while it was being re-encrypted; it was left as it is now. Try again.',
            );
          const rewrapped = prepared
            ? prepared.rewrapped
            : 'keyId' in params
              ? await rewrapHeader(header, gatewayFor, params, options)
              : await rekeyHeader(header, gatewayFor, params, { ...options, limit: params.limit });
          derivedKey = rewrapped.derivedKey;
          options.onHeader?.(rewrapped, header);
          verifier = new FrameVerifier(header, derivedKey);
          yield rewrapped.bytes;
          const rest = head.subarray(header.length);
          head = Buffer.alloc(0);
          if (rest.length) {
            verifier.push(rest);
            yield rest;
          }
          continue;
        }
        verifier.push(chunk);
        yield chunk;
      }
      if (!verifier) throw tampered('it is truncated inside its header');
      verifier.end();
    } finally {
      derivedKey?.fill(0);
    }
  };
}

/** Re-wraps a whole message held in memory. */
export async function rewrapBuffer(
  message: Buffer,
  gatewayFor: GatewayForRegion,
  params: RewrapParams,
  signal?: AbortSignal,
): Promise<{ message: Buffer; keyArn: string; sourceKeyArn: string; encryptionContext: EncryptionContext }> {
  const header = parseMessageHeader(message);
  if (!header) throw tampered('it is truncated inside its header');
  const rewrapped = await rewrapHeader(header, gatewayFor, params, { signal });
  try {
    const verifier = new FrameVerifier(header, rewrapped.derivedKey);
    const body = message.subarray(header.length);
    verifier.push(body);
    verifier.end();
    return {
      message: Buffer.concat([rewrapped.bytes, body]),
      keyArn: rewrapped.keyArn,
      sourceKeyArn: rewrapped.sourceKeyArn,
      encryptionContext: rewrapped.encryptionContext,
    };
  } finally {
    rewrapped.derivedKey.fill(0);
  }
}
