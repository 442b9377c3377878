// The trust check at the KMS boundary: every call the editor commands, decrypted views and
// file commands make goes through a gateway guarded here, so a key in an account the person
// has not trusted is never used, whatever path named it (a workspace setting, a file header,
// a ciphertext). Before a call, the key the request names is checked from its ARN alone; after
// it, the key KMS answers with (a blob carries no account that can be read beforehand) is
// checked, and a plaintext from an untrusted account is wiped and refused.
import type * as Kms from '@aws-sdk/client-kms';
import type { GatewayForRegion } from '../envelope/envelopeCrypto';
import { KmsError } from '../kms/errors';
import type { CallOptions, KmsGateway } from '../kms/gateway';
import type { KmsOperationName, OperationInput, OperationOutput } from '../kms/operations';
import { type AccountRef, accountOfKeyRef, formatAccount, sameAccount } from './accounts';

/** The user-scoped setting that trusts more accounts; named in every refusal. */
export const TRUSTED_ACCOUNTS_SETTING = 'kmsWorkbench.trustedAccounts';

/** What a guard asks about accounts (the host answers from STS, ARNs, settings and approvals). */
export interface TrustOracle {
  /** The account the connection's credentials belong to, when it can be found out. */
  ownAccount(): Promise<AccountRef | undefined>;
  /** KMS answered a call that named no account with a key ARN: that ARN's account is the connection's own. */
  learnOwnAccount(account: AccountRef): void;
  isTrusted(account: AccountRef): Promise<boolean>;
}

/** A refusal because of the account of a key; `accounts` are the untrusted ones. */
export class UntrustedAccountError extends KmsError {
  constructor(
    message: string,
    readonly accounts: readonly AccountRef[],
  ) {
    super('UntrustedAccount', message);
  }
}

function quotedIds(accounts: readonly AccountRef[]): string {
  return [...new Set(accounts.map((a) => (a.partition === 'aws' ? `"${a.accountId}"` : `"${a.partition}:${a.accountId}"`)))].join(', ');
}

function listAccounts(accounts: readonly AccountRef[]): string {
  const unique = accounts.filter((a, i) => accounts.findIndex((b) => sameAccount(a, b)) === i);
  return `AWS account${unique.length > 1 ? 's' : ''} ${unique.map(formatAccount).join(', ')}`;
}

/** How to trust: the setting and the value to add. */
export function howToTrust(accounts: readonly AccountRef[]): string {
  return `add ${quotedIds(accounts)} to ${TRUSTED_ACCOUNTS_SETTING} in your user settings (the accounts of your own connections are trusted already)`;
}

/**
 * A key chosen by something other than the person (a workspace setting, a file header, a
 * .sops.yaml rule) is in an untrusted account and nobody can be asked.
 */
export function refuseChosenKey(source: string, keyRef: string, account: AccountRef, note?: string): UntrustedAccountError {
  return new UntrustedAccountError(
    `${source} names the key ${keyRef}, in ${listAccounts([account])}, which is not one of your ` +
      'accounts; it was not used and nothing was sent to it. To allow keys of that ' +
      `account, ${howToTrust([account])}, or run the command interactively to allow it for this ` +
      `workspace.${note ? ` ${note}` : ''}`,
    [account],
  );
}

/** Encrypted data whose data keys are all under keys of untrusted accounts. */
export function refuseEncryptedData(what: string, arns: readonly string[]): UntrustedAccountError {
  const accounts = arns.map(accountOfKeyRef).filter((a): a is AccountRef => a !== undefined);
  return new UntrustedAccountError(
    `${what} is encrypted under ${arns.length > 1 ? 'keys' : 'a key'} in ${listAccounts(accounts)} ` +
      `(${arns.join(', ')}), which you have not trusted, so nothing was sent to KMS. ` +
      `To decrypt data of ${accounts.length > 1 ? 'those accounts' : 'that account'}, ${howToTrust(accounts)}.`,
    accounts,
  );
}

/** Where a request names a key, and how it uses it. */
type Use = 'encrypt' | 'decrypt' | 'read';
const KEY_FIELDS: Partial<Record<KmsOperationName, readonly (readonly [string, Use])[]>> = {
  Encrypt: [['KeyId', 'encrypt']],
  GenerateDataKey: [['KeyId', 'encrypt']],
  GenerateDataKeyWithoutPlaintext: [['KeyId', 'encrypt']],
  Decrypt: [['KeyId', 'decrypt']],
  ReEncrypt: [
    ['SourceKeyId', 'decrypt'],
    ['DestinationKeyId', 'encrypt'],
  ],
  DescribeKey: [['KeyId', 'read']],
};

/**
 * Checks every call of one command. `allowedKeys`: keys the person named or picked for this
 * command themselves (their choice, even in another account); they may encrypt and be read,
 * never widen what may be decrypted.
 */
export class KeyTrustGuard {
  private readonly allowed: AccountRef[];

  constructor(
    private readonly oracle: TrustOracle,
    allowedKeys: readonly string[] = [],
  ) {
    this.allowed = allowedKeys.map(accountOfKeyRef).filter((a): a is AccountRef => a !== undefined);
  }

  /** Lets the person's own choice of key (by ARN) encrypt in this command. */
  allowKey(keyRef: string): void {
    const account = accountOfKeyRef(keyRef);
    if (account) this.allowed.push(account);
  }

  private async permits(account: AccountRef, use: Use): Promise<boolean> {
    if (use !== 'decrypt' && this.allowed.some((a) => sameAccount(a, account))) return true;
    return this.oracle.isTrusted(account);
  }

  /** Refuses, before it is sent, a call naming a key of an untrusted account. */
  async beforeCall(operation: KmsOperationName, input: Record<string, unknown>): Promise<void> {
    for (const [field, use] of KEY_FIELDS[operation] ?? []) {
      const ref = input[field];
      if (typeof ref !== 'string') continue;
      const account = accountOfKeyRef(ref);
      if (!account || (await this.permits(account, use))) continue;
      throw new UntrustedAccountError(
        `${operation} with ${ref} was not sent: the key is in ${listAccounts([account])}, which you have not ` +
          `trusted. To use keys of that account, ${howToTrust([account])}.`,
        [account],
      );
    }
  }

  /**
   * Checks the keys KMS answered with. A plaintext (Decrypt, GenerateDataKey) from a key of an
   * untrusted account is wiped before the refusal, so nothing can use or write it.
   */
  async afterCall(operation: KmsOperationName, input: Record<string, unknown>, output: Record<string, unknown>): Promise<void> {
    const fields = KEY_FIELDS[operation] ?? [];
    const answered: [string | undefined, Use, string | undefined][] =
      operation === 'ReEncrypt'
        ? [
            [str(output.SourceKeyId), 'decrypt', str(input.SourceKeyId)],
            [str(output.KeyId), 'encrypt', str(input.DestinationKeyId)],
          ]
        : operation === 'DescribeKey'
          ? [[str((output.KeyMetadata as Kms.KeyMetadata | undefined)?.Arn), 'read', str(input.KeyId)]]
          : fields.length
            ? [[str(output.KeyId), fields[0][1], str(input[fields[0][0]])]]
            : [];
    for (const [arn, use, asked] of answered) {
      const account = arn ? accountOfKeyRef(arn) : undefined;
      if (!account) continue; // a bare key id (moto, LocalStack): the account the request named, checked before
      if (asked !== undefined && !accountOfKeyRef(asked)) {
        // Named without an account, so KMS resolved it in the connection's own.
        this.oracle.learnOwnAccount(account);
      }
      if (await this.permits(account, use)) continue;
      wipe(output.Plaintext);
      throw new UntrustedAccountError(
        `KMS answered ${operation} with the key ${arn}, in ${listAccounts([account])}, which you have not ` +
          `trusted; its result was discarded and nothing was written. To use keys of that account, ${howToTrust([account])}.`,
        [account],
      );
    }
  }

  /** Refuses encrypted data none of whose data keys is under a key of a trusted account. */
  async checkDataKeys(what: string, arns: readonly string[]): Promise<AccountRef[]> {
    const trusted: AccountRef[] = [];
    for (const arn of arns) {
      const account = accountOfKeyRef(arn);
      if (!account) continue;
      if (await this.oracle.isTrusted(account)) trusted.push(account);
    }
    if (arns.length && !trusted.length && arns.every((a) => accountOfKeyRef(a))) throw refuseEncryptedData(what, arns);
    return trusted;
  }

  /** The Encryption SDK's discovery filter for these data keys (throws when none is trusted). */
  async discoveryFilter(what: string, arns: readonly string[]): Promise<{ accountIDs: string[]; partition: string } | undefined> {
    const trusted = await this.checkDataKeys(what, arns);
    if (!trusted.length) return undefined; // data keys named by bare ids: the guard checks each answer
    const partition = trusted[0].partition;
    return { partition, accountIDs: [...new Set(trusted.filter((a) => a.partition === partition).map((a) => a.accountId))] };
  }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function wipe(value: unknown): void {
  if (value instanceof Uint8Array) value.fill(0);
}

/**
 * A gateway whose every call is checked by `guard` (the named methods all go through send).
 * The gateway's own state (client, connection) is shared, so no new client is made.
 */
export function guardGateway(gateway: KmsGateway, guard: KeyTrustGuard): KmsGateway {
  const guarded = Object.create(gateway) as KmsGateway;
  const send = gateway.send.bind(gateway);
  Object.defineProperty(guarded, 'send', {
    value: async <K extends KmsOperationName>(
      operation: K,
      input: OperationInput<K>,
      options?: CallOptions,
    ): Promise<OperationOutput<K>> => {
      const record = (input ?? {}) as unknown as Record<string, unknown>;
      await guard.beforeCall(operation, record);
      const output = await send(operation, input, options);
      await guard.afterCall(operation, record, (output ?? {}) as unknown as Record<string, unknown>);
      return output;
    },
  });
  return guarded;
}

/** Guarded gateways for every region (one per region, made on first use). */
export function guardGateways(gatewayFor: GatewayForRegion, guard: KeyTrustGuard): GatewayForRegion {
  const made = new Map<string, KmsGateway>();
  return (region) => {
    const key = region ?? '';
    let gateway = made.get(key);
    if (!gateway) {
      gateway = guardGateway(gatewayFor(region), guard);
      made.set(key, gateway);
    }
    return gateway;
  };
}

/**
 * The keys a ciphertext shows it is under, for marking them (Re-encrypt's key picker): the KMS
 * key ARNs of a message's data keys, or a blob's key hint (a key ARN, or a bare key id).
 */
export function currentKeyRefs(ciphertext: {
  header?: { encryptedDataKeys: readonly { providerId: string; providerInfo: string }[] };
  blob?: { keyHint?: string };
}): string[] {
  if (ciphertext.header) return visibleKeyArns(ciphertext);
  return ciphertext.blob?.keyHint ? [ciphertext.blob.keyHint] : [];
}

/**
 * The key ARNs a ciphertext shows before it is sent anywhere: the `aws-kms` data keys of a
 * message header, or the ARN a local-kms blob starts with. AWS blobs show none (KMS's answer
 * is checked instead).
 */
export function visibleKeyArns(ciphertext: {
  header?: { encryptedDataKeys: readonly { providerId: string; providerInfo: string }[] };
  blob?: { keyHint?: string };
}): string[] {
  if (ciphertext.header) return ciphertext.header.encryptedDataKeys.filter((k) => k.providerId === 'aws-kms').map((k) => k.providerInfo);
  const hint = ciphertext.blob?.keyHint;
  return hint && accountOfKeyRef(hint) ? [hint] : [];
}
