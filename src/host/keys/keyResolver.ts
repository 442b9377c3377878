// The one way a command finds the key it acts on. Every command that takes a key (key
// commands, the KMS view's commands, the policy editor, Describe Key, the editor's
// encryption commands) asks here; what differs between them is options, not code:
// AWS managed keys offered or not, the key states and usage required (the key-state
// table's action), DescribeKey now, when allowed, or only when needed, the
// kmsWorkbench.defaultKey setting and the recently used keys, and the account-trust guard.
import type { KeyMetadata } from '@aws-sdk/client-kms';
import type * as vscode from 'vscode';
import { ArgumentError } from '../../core/args/argumentError';
import type { Args } from '../../core/args/readArgs';
import type { Connection } from '../../core/aws/connection';
import { KmsError } from '../../core/kms/errors';
import type { KmsGateway } from '../../core/kms/gateway';
import { type KeyAction, explainRefusal } from '../../core/kms/keyCapabilities';
import { accountOfKeyRef, describeKeyRef, formatAccount } from '../../core/trust/accounts';
import type { KeyTrustGuard } from '../../core/trust/keyTrust';
import type { Services } from '../services';
import { keyTargetOf, targetOf } from '../targets';
import { ensureKeysTrusted } from '../trust/ensureKeysTrusted';
import { pickKey } from '../ui/keyPicker';
import { confirmSilentWorkspaceKey, defaultKeyOf, settingOrigin, type WorkspaceKeyConfirmations } from './defaultKeySetting';

/**
 * When the key is described:
 * - `always`: DescribeKey now (also resolves an alias or ARN to the key id); a failure fails the command.
 * - `ifAllowed`: DescribeKey now, but a key KMS will not describe (AccessDenied, an endpoint
 *   without DescribeKey) is left for the operation itself to accept or refuse.
 * - `whenNeeded`: no call now; `describe()` uses what is known (the picker's or the view's
 *   metadata) and calls DescribeKey only when nothing is.
 * - `ifAllowedMeanwhile`: `ifAllowed`'s DescribeKey and refusal, not waited for: the key comes
 *   back at once and `checked` settles with the outcome, so the call overlaps the command's
 *   other work (Re-encrypt File: reading the file, opening its data key). The caller awaits
 *   `checked` before anything is written or encrypted under the key.
 */
export type DescribeMode = 'always' | 'ifAllowed' | 'whenNeeded' | 'ifAllowedMeanwhile';

/** The keys a person used last, per connection (EncryptionMemory). */
export interface RecentKeys {
  recentKeys(connectionId: string): readonly string[];
  rememberKey(connectionId: string, ...refs: string[]): Promise<void>;
}

export interface KeyResolverOptions {
  /** Title of the key picker, e.g. "Disable key". */
  readonly title: string;
  /**
   * The action about to be taken: the picker offers only keys that allow it, and a named key
   * that does not is refused with the key-state table's sentence before anything else is sent.
   */
  readonly action?: KeyAction;
  /** More filtering of the picker beyond the action. */
  readonly filter?: (metadata: KeyMetadata) => boolean;
  /** The picker also lists AWS managed keys. */
  readonly includeAwsManaged?: boolean;
  /** What an empty picker says. */
  readonly emptyMessage?: string;
  /** Key ids or ARNs the data is under now (Re-encrypt): marked "current key" in the picker. */
  readonly current?: readonly string[];
  /** Default `always`. */
  readonly describe?: DescribeMode;
  /** Metadata already known without a call (the KMS view's cache), for `whenNeeded`. */
  readonly known?: (connection: Connection, ref: string) => KeyMetadata | undefined;
  /** The argument field naming the key, default `keyId` (e.g. `targetKeyId` for the key an alias moves to). */
  readonly keyField?: string;
  /** The connection when the command has chosen it (else the node's, the `connection` argument's, or the active one). */
  readonly connection?: Connection;
  /** What to describe and list with (e.g. gateways guarded by account trust); default the connection's plain gateway. */
  readonly gateway?: KmsGateway;
  /** With no key named: false refuses with an error naming "keyId" instead of showing a picker. Default true. */
  readonly interactive?: boolean;
  /** After the argument, the kmsWorkbench.defaultKey setting of this scope names the key (a workspace's setting asked about once). */
  readonly defaultKeySetting?: { readonly scope?: vscode.Uri; readonly confirmations: WorkspaceKeyConfirmations };
  /** The picker lists these keys first; the key chosen (named, set or picked) is remembered. */
  readonly recentlyUsed?: RecentKeys;
  /**
   * Account trust: a key the person named or picked is allowed on the guard (a named key in an
   * untrusted account is logged); one the workspace's setting chose is checked first
   * (ensureKeysTrusted), before anything is sent about it.
   */
  readonly guard?: KeyTrustGuard;
}

/** Where the key came from. */
export type KeySource = 'node' | 'argument' | 'setting' | 'picker';

/** The key a command acts on. */
export interface ResolvedKey {
  readonly connection: Connection;
  readonly gateway: KmsGateway;
  /** What to send to KMS: as named or picked (alias name, key id or ARN). */
  readonly ref: string;
  /** The key id when known (described, from a node or the picker), else `ref`. */
  readonly keyId: string;
  /** From DescribeKey, the node or the picker; undefined with `whenNeeded` (see describe()) or when KMS would not describe it. */
  readonly metadata?: KeyMetadata;
  /** Aliases known without a call (the node's, the picked or named alias). */
  readonly aliases: readonly string[];
  /** How messages name the key: its alias when one is known, else its id. */
  readonly label: string;
  readonly source: KeySource;
  /** Set when a workspace or folder setting chose the key (not the person): which one, and the key with its account. */
  readonly chosenBy?: { readonly setting: string; readonly key: string };
  /** The key's metadata: as known, else DescribeKey now (once). */
  describe(): Promise<KeyMetadata>;
  /**
   * Settles when the key is known to allow the action (`ifAllowedMeanwhile`: rejects with the
   * key-state table's refusal); resolved at once in the other modes, which refuse before returning.
   */
  readonly checked: Promise<void>;
}

/** A key described now (DescribeKey mode `always`). */
export type DescribedKey = ResolvedKey & { readonly metadata: KeyMetadata };

/**
 * The connection a command acts in: a tree node's, the argument's `connection` (label or
 * id), else the active one.
 */
export async function resolveConnection(arg: unknown, args: Args, services: Services): Promise<Connection> {
  const target = targetOf(arg);
  if (target) return target.connection;
  return services.connections.find(args.string('connection', 'a connection label or id'));
}

/** The alias name a key reference names (`alias/x` or an alias ARN), if it names one. */
export function aliasNameOf(ref: string): string | undefined {
  if (ref.startsWith('alias/')) return ref;
  const at = ref.indexOf(':alias/');
  return at >= 0 ? ref.slice(at + 1) : undefined;
}

/**
 * The key a command acts on, from (in order): a tree node (any node under a key), the
 * argument's `keyId`, the kmsWorkbench.defaultKey setting (with `defaultKeySetting`), else a
 * key picker of the connection (with `interactive`, the default).
 */
export async function resolveKeyOf(arg: unknown, args: Args, services: Services, options: KeyResolverOptions): Promise<ResolvedKey> {
  const node = keyTargetOf(arg);
  const connection = node?.connection ?? options.connection ?? (await resolveConnection(arg, args, services));
  const gateway = options.gateway ?? services.kms.gateway(connection);
  const found = node
    ? { ref: node.keyId, source: 'node' as const, metadata: node.metadata, aliases: node.aliases ?? [] }
    : await keyFromArgsSettingOrPicker(args, services, connection, gateway, options);
  const mode = options.describe ?? 'always';
  const namedBy = found.source === 'setting' ? settingNames(found.ref) : undefined;
  // The picker has just described every key it lists.
  const pickedWithMetadata = found.source === 'picker' && found.metadata !== undefined;
  const meanwhile =
    mode === 'ifAllowedMeanwhile' && !pickedWithMetadata ? describeNamed(gateway, found.ref, 'ifAllowed', namedBy) : undefined;
  const metadata =
    mode === 'whenNeeded' || meanwhile || pickedWithMetadata
      ? found.metadata
      : await describeNamed(gateway, found.ref, mode === 'ifAllowedMeanwhile' ? 'ifAllowed' : mode, namedBy);
  let described: Promise<KeyMetadata> | undefined;
  const describe = (): Promise<KeyMetadata> => {
    if (metadata) return Promise.resolve(metadata);
    const known = options.known?.(connection, found.ref);
    if (known) return Promise.resolve(known);
    described ??= gateway.describeKey(found.ref);
    return described;
  };
  const keyId = metadata?.KeyId ?? found.ref;
  const aliases = found.aliases;
  // Remembered for the picker's order once the key is accepted; not waited for (the memento has
  // the new list at once, only its storage in VS Code's main process takes a round trip).
  const remember = (): void => {
    if (!options.recentlyUsed || found.source === 'node') return;
    const saved =
      found.source === 'picker'
        ? options.recentlyUsed.rememberKey(connection.id, found.ref, keyId)
        : options.recentlyUsed.rememberKey(connection.id, found.ref);
    saved.catch((error: unknown) =>
      services.log.warn(
        `Could not remember ${found.ref} among the recently used keys: ${error instanceof Error ? error.message : String(error)}`,
      ),
    );
  };
  const key: Omit<ResolvedKey, 'checked'> = {
    connection,
    gateway,
    ref: found.ref,
    keyId,
    metadata,
    aliases,
    label: aliases[0] ?? keyId,
    source: found.source,
    chosenBy: found.chosenBy,
    describe,
  };
  if (meanwhile) {
    const action = options.action;
    const checked = meanwhile.then((described) => {
      if (action && described) refuseUnless({ ...key, metadata: described }, action);
      remember();
    });
    // Awaited by the caller before the key is used; a command that fails first never asks.
    checked.catch(() => undefined);
    return { ...key, checked };
  }
  if (options.action && metadata) refuseUnless(key, options.action);
  remember();
  return { ...key, checked: Promise.resolve() };
}

/** resolveKeyOf with DescribeKey now: the metadata is always there. */
export async function resolveDescribedKey(
  arg: unknown,
  args: Args,
  services: Services,
  options: Omit<KeyResolverOptions, 'describe'>,
): Promise<DescribedKey> {
  const key = await resolveKeyOf(arg, args, services, { ...options, describe: 'always' });
  if (!key.metadata)
    throw new KmsError('MalformedResponse', 'DescribeKey answered without the key metadata: the endpoint does not behave like KMS.');
  return { ...key, metadata: key.metadata };
}

interface FoundKey {
  readonly ref: string;
  readonly source: KeySource;
  readonly metadata?: KeyMetadata;
  readonly aliases: readonly string[];
  readonly chosenBy?: ResolvedKey['chosenBy'];
}

async function keyFromArgsSettingOrPicker(
  args: Args,
  services: Services,
  connection: Connection,
  gateway: KmsGateway,
  options: KeyResolverOptions,
): Promise<FoundKey> {
  const named = args.string(options.keyField ?? 'keyId', 'a key id, key ARN, alias name or alias ARN');
  if (named !== undefined) {
    if (options.guard) {
      // The person's own choice (an argument they wrote, a keybinding they made): allowed even
      // in another account, but logged so it can be seen.
      options.guard.allowKey(named);
      const account = accountOfKeyRef(named);
      if (account && !(await services.trust.isTrusted(account, connection))) {
        services.log.info(
          `${options.title} ${named}: a key of AWS account ${formatAccount(account)}, not a trusted account, ` +
            `named in the command's keyId argument (the caller's choice).`,
        );
      }
    }
    const alias = aliasNameOf(named);
    return { ref: named, source: 'argument', aliases: alias ? [alias] : [] };
  }
  const setting = options.defaultKeySetting ? defaultKeyOf(options.defaultKeySetting.scope) : '';
  if (options.defaultKeySetting && setting) {
    const { scope, confirmations } = options.defaultKeySetting;
    const origin = settingOrigin('defaultKey', scope);
    let chosenBy: ResolvedKey['chosenBy'];
    if (origin === 'workspace' || origin === 'folder') {
      const source =
        origin === 'folder'
          ? 'The kmsWorkbench.defaultKey setting of this folder'
          : 'The kmsWorkbench.defaultKey setting of this workspace';
      const interactive = options.interactive ?? true;
      // Decided from the ARN alone, before anything is sent about the key.
      await ensureKeysTrusted(services, [setting], { source, interactive, connection });
      const account = await services.trust.accountOfKey(setting, connection);
      const shown = `${describeKeyRef(setting)}${account ? ` in AWS account ${formatAccount(account)}` : ''}`;
      if (interactive) await confirmSilentWorkspaceKey(services, confirmations, setting, shown, source, scope);
      chosenBy = { setting: source, key: shown };
    } else {
      options.guard?.allowKey(setting); // the person's own user setting
    }
    const alias = aliasNameOf(setting);
    return { ref: setting, source: 'setting', aliases: alias ? [alias] : [], chosenBy };
  }
  if (options.interactive === false) {
    throw new ArgumentError(
      `${options.title}: name the key with "${options.keyField ?? 'keyId'}"${options.defaultKeySetting ? ' (or set kmsWorkbench.defaultKey)' : ''}.`,
    );
  }
  const action = options.action;
  const picked = await pickKey(services.ui, gateway, connection, {
    title: options.title,
    includeAwsManaged: options.includeAwsManaged,
    filter: (m) => (!action || explainRefusal(m, action) === undefined) && (options.filter?.(m) ?? true),
    recent: options.recentlyUsed?.recentKeys(connection.id),
    current: options.current,
    emptyMessage:
      options.emptyMessage ??
      (action && EMPTY_PICKER[action]
        ? `${EMPTY_PICKER[action]} in ${connection.label}.`
        : `No key in ${connection.label} can be used for this (${options.title.toLowerCase()}).`),
  });
  options.guard?.allowKey(picked.ref);
  return { ref: picked.ref, source: 'picker', metadata: picked.metadata, aliases: picked.alias ? [picked.alias] : [] };
}

/** What an empty key picker says, by action (the key-state table decided who is listed). */
const EMPTY_PICKER: Partial<Record<KeyAction, string>> = {
  enable: 'No customer managed key is disabled',
  disable: 'No customer managed key is enabled',
  scheduleDeletion: 'No customer managed key can be scheduled for deletion',
  cancelDeletion: 'No key is pending deletion',
  changeRotation: 'No enabled symmetric customer managed key with KMS key material (rotation is set on the primary of a multi-Region key)',
  rotateNow: 'No enabled symmetric customer managed key with KMS key material (rotation is set on the primary of a multi-Region key)',
  viewRotation: 'No symmetric encryption key',
  generateDataKey: 'No enabled symmetric encryption key',
  generateDataKeyPair: 'No enabled symmetric encryption key',
  sign: 'No enabled signing (SIGN_VERIFY) key',
  verify: 'No enabled signing (SIGN_VERIFY) key',
  getPublicKey: 'No enabled asymmetric key',
  generateMac: 'No enabled HMAC key',
  verifyMac: 'No enabled HMAC key',
  replicate: 'No multi-Region primary key',
  updatePrimaryRegion: 'No multi-Region primary key',
  createGrant: 'No enabled customer managed key',
  importKeyMaterial: 'No customer managed key with origin EXTERNAL (create one with Create Key, origin EXTERNAL)',
  deleteImportedKeyMaterial: 'No key with imported key material',
  deriveSharedSecret: 'No enabled key agreement (KEY_AGREEMENT) key',
  encapsulate: 'No enabled ML-KEM (ENCAPSULATE_DECAPSULATE) key',
  decapsulate: 'No enabled ML-KEM (ENCAPSULATE_DECAPSULATE) key',
};

function settingNames(ref: string): string {
  return `The kmsWorkbench.defaultKey setting names "${ref}"`;
}

/**
 * DescribeKey of a named key. With `ifAllowed`, a key KMS will not describe (AccessDenied,
 * an endpoint without DescribeKey) answers undefined: encrypting may be allowed where
 * describing is not, so KMS decides. `namedBy` starts the not-found sentence.
 */
async function describeNamed(
  gateway: KmsGateway,
  ref: string,
  mode: 'always' | 'ifAllowed',
  namedBy: string | undefined,
): Promise<KeyMetadata | undefined> {
  try {
    return await gateway.describeKey(ref);
  } catch (error) {
    if (mode === 'ifAllowed' && error instanceof KmsError && (error.code === 'AccessDeniedException' || error.notSupported))
      return undefined;
    if (error instanceof KmsError && error.code === 'NotFoundException' && namedBy)
      throw new KmsError(error.code, `${namedBy}, which does not exist in this connection. ${error.message}`);
    throw error;
  }
}

/**
 * Refuses, with the key-state table's reason, a key named by reference (e.g. one of several
 * `keyIds`, each described through its own region's gateway) that does not allow `action`.
 * Keys KMS will not describe are left to KMS.
 */
export async function checkNamedKey(gateway: KmsGateway, ref: string, action: KeyAction, connectionId?: string): Promise<void> {
  const metadata = await describeNamed(gateway, ref, 'ifAllowed', undefined);
  const error = metadata && refusalOf(metadata, action, ref, connectionId);
  if (error) throw error;
}

/** Throws the key-state table's sentence when the key does not allow `action`. */
export function refuseUnless(
  key: Pick<ResolvedKey, 'label' | 'ref' | 'source'> & { readonly metadata?: KeyMetadata; readonly connection?: Connection },
  action: KeyAction,
): void {
  if (!key.metadata) return;
  const error = refusalOf(key.metadata, action, key.source === 'setting' ? settingNames(key.ref) : key.label, key.connection?.id);
  if (error) throw error;
}

/** Actions that use the key: refused for its state, they offer the fix (Enable Key, Cancel Deletion). */
const FIXABLE_BY_STATE = new Set<KeyAction>([
  'encrypt',
  'generateDataKey',
  'generateDataKeyPair',
  'sign',
  'verify',
  'generateMac',
  'verifyMac',
  'getPublicKey',
  'deriveSharedSecret',
  'encapsulate',
  'decapsulate',
  'createGrant',
  'decrypt',
]);

/** KMS operations an action's refusal names (what was really attempted). */
const OPERATION_OF: Partial<Record<KeyAction, string>> = { encrypt: 'Encrypt', generateDataKey: 'GenerateDataKey' };

/**
 * The key-state table's refusal of `action`, named `name`; a disabled key or one pending deletion
 * refused for a use carries its fix (KmsError.details.fix), offered as a button by the one
 * command error path.
 */
function refusalOf(metadata: KeyMetadata, action: KeyAction, name: string, connectionId: string | undefined): KmsError | undefined {
  const reason = explainRefusal(metadata, action);
  if (!reason) return undefined;
  const state = metadata.KeyState;
  const fix = !FIXABLE_BY_STATE.has(action)
    ? undefined
    : state === 'Disabled'
      ? 'enableKey'
      : state === 'PendingDeletion'
        ? 'cancelKeyDeletion'
        : undefined;
  const keyId = metadata.Arn ?? metadata.KeyId;
  return new KmsError('ActionNotAllowed', `${name}: ${reason}`, {
    operation: OPERATION_OF[action],
    ...(fix && keyId ? { fix: { action: fix, keyId, connectionId } } : {}),
  });
}
