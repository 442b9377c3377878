// What the selection and file commands share: the connection and its crypto, the key (an
// argument, the kmsWorkbench.defaultKey setting, or a picker of usable keys with the last
// used first), the encryption context prompt, and the settings.
import * as vscode from 'vscode';
import { Args, isPlainObject } from '../../core/args/readArgs';
import { ArgumentError } from '../../core/args/argumentError';
import type { Connection } from '../../core/aws/connection';
import { checkKeySet, EnvelopeCrypto, type GatewayForRegion } from '../../core/envelope/envelopeCrypto';
import { formatEncryptionContext, parseEncryptionContext } from '../../core/envelope/encryptionContext';
import type { FileOutputFormat } from '../../core/envelope/fileEncryption';
import type { EncryptionContext } from '../../core/envelope/messageFormat';
import { regionalGateways } from '../../core/envelope/regionalGateways';
import type { WriteFaults } from '../../core/files/atomicReplace';
import { KmsError } from '../../core/kms/errors';
import type { KmsGateway } from '../../core/kms/gateway';
import { explainRefusal } from '../../core/kms/keyCapabilities';
import { type KeyNameContext, keyNames } from '../../core/kms/keyNames';
import { accountOfKeyRef, describeKeyRef, formatAccount } from '../../core/trust/accounts';
import { guardGateways, type KeyTrustGuard } from '../../core/trust/keyTrust';
import { inertLabel } from '../../core/text/inertText';
import type { Services } from '../services';
import type { SopsKeyService } from '../../core/sops/sopsFile';
import { checkRepositoryKeys } from '../sops/repositoryKeys';
import { sopsKeysFor } from '../sops/sopsKeys';
import { defaultKeyOf } from '../keys/defaultKeySetting';
import { checkNamedKey, type KeyResolverOptions, resolveKeyOf } from '../keys/keyResolver';
import { pickKeysOrSops } from '../ui/keyPicker';
import { UserCancelledError } from '../ui/userInput';
import type { EncryptionMemory } from './encryptionMemory';

/** What the editor encryption commands are given besides Services. */
export interface EditorDeps {
  readonly services: Services;
  readonly memory: EncryptionMemory;
  /** Files whose encryption state just changed (lock badges, menus). */
  readonly fileChanged: (uri: vscode.Uri) => void;
  /** Test seam: faults injected into the next file writes (set only in the extension test host). */
  writeFaults?: WriteFaults;
  /** The last status bar message of a finished encryption command (read by the tests). */
  lastDone?: string;
}

/** The connection a command works in, and its crypto. */
export interface EditorKms {
  readonly connection: Connection;
  readonly gateway: KmsGateway;
  readonly gatewayFor: GatewayForRegion;
  readonly envelope: EnvelopeCrypto;
  /** Checks every KMS call of these gateways: keys of untrusted accounts are never used (see core/trust/keyTrust.ts). */
  readonly guard: KeyTrustGuard;
  /** SOPS files: KMS entries opened with their profile and role, else this connection. */
  readonly sopsKeys?: SopsKeyService;
  /** SOPS files: the repository-key check of the keys a save leaves the secrets readable by. */
  readonly checkSopsKeys?: (kmsKeys: readonly string[], name: string) => Promise<void>;
  /** What names keys to a person in this connection (aliases, account, Region): see core/kms/keyNames.ts. */
  readonly names: () => Promise<KeyNameContext>;
}

/**
 * The connection of a command and its crypto, every KMS call guarded: a key named by ARN in
 * an account the person has not trusted is refused before the call, an answer from one after
 * it (its plaintext wiped), and messages are decrypted only with data keys of trusted accounts.
 */
export async function editorKms(services: Services, args: Args): Promise<EditorKms> {
  return editorKmsFor(services, await services.connections.find(args.string('connection', 'a connection label or id')));
}

/** The crypto of a connection already chosen (e.g. a key's in the tree), guarded like editorKms's. */
export function editorKmsFor(services: Services, connection: Connection): EditorKms {
  const guard = services.trust.guard(connection);
  const gatewayFor = guardGateways(regionalGateways(services.kms, connection), guard);
  return {
    connection,
    gateway: gatewayFor(undefined),
    gatewayFor,
    envelope: new EnvelopeCrypto(gatewayFor, { dataKeyTrust: guard }),
    guard,
    sopsKeys: sopsKeysFor(services, connection, guard),
    checkSopsKeys: (kmsKeys, name) =>
      checkRepositoryKeys(services, connection, kmsKeys, { interactive: true, source: `The SOPS file ${name}` }),
    names: () => services.keyNames.context(connection),
  };
}

/** No arguments: what the prompts asked after a failure read from (they always ask). */
export const NO_ARGS = Args.from('', undefined, []);

/** A command invoked with an argument object runs without prompts. */
export function isScripted(arg: unknown): boolean {
  return isPlainObject(arg);
}

export interface ChosenKey {
  /** What to send to KMS: what was named or picked (alias name, key id or ARN). */
  readonly keyId: string;
  /** How messages name it. */
  readonly label: string;
  /** Set when the key was chosen by a workspace or folder setting (not by the person): which one, and the key with its account. */
  readonly chosenBy?: { readonly setting: string; readonly key: string };
  /** Settles once the key is known to be usable (rejects with the refusal); see `describeMeanwhile`. */
  readonly checked: Promise<void>;
}

interface ChooseKeyOptions {
  title: string;
  scope?: vscode.Uri;
  interactive: boolean;
  current?: readonly string[];
  use?: KeyUse;
  /**
   * The key's DescribeKey (and refusal of an unusable key) is not waited for: `checked` settles
   * with it, and the caller awaits that before anything is encrypted under the key or written.
   */
  describeMeanwhile?: boolean;
}

/**
 * The key to encrypt with: the `keyId` argument, else the `kmsWorkbench.defaultKey` setting
 * of the file's folder, else a picker of the connection's usable keys, last used first. A
 * named key is described first so an unusable one is refused with the reason. `current`: the
 * keys the data is under now (Re-encrypt), marked in the picker.
 */
export async function chooseKey(deps: EditorDeps, kms: EditorKms, args: Args, options: ChooseKeyOptions): Promise<ChosenKey> {
  const key = await resolveKeyOf(undefined, args, deps.services, encryptionKeyOptions(deps, kms, options));
  return {
    keyId: key.ref,
    label: key.source === 'argument' || key.source === 'setting' ? key.ref : key.label,
    chosenBy: key.chosenBy,
    checked: key.checked,
  };
}

/** How the editor commands resolve the key they encrypt with (see ../keys/keyResolver.ts). */
function encryptionKeyOptions(deps: EditorDeps, kms: EditorKms, options: ChooseKeyOptions): KeyResolverOptions {
  return {
    title: options.title,
    action: options.use ?? 'generateDataKey',
    describe: options.describeMeanwhile ? 'ifAllowedMeanwhile' : 'ifAllowed',
    connection: kms.connection,
    gateway: kms.gateway,
    guard: kms.guard,
    interactive: options.interactive,
    defaultKeySetting: { scope: options.scope, confirmations: deps.memory },
    recentlyUsed: deps.memory,
    current: options.current,
    emptyMessage: noEncryptionKey(kms),
  };
}

function noEncryptionKey(kms: EditorKms): string {
  return `No enabled symmetric encryption key in ${kms.connection.label}. Create one with "KMS: Create Key…", or enable one.`;
}

/**
 * After an encryption with a key the workspace chose, says which key (and account) the data
 * went to, so a repository's setting never decides it unseen.
 */
export function announceWorkspaceKey(deps: EditorDeps, key: ChosenKey, what: string, keyArn: string, interactive: boolean): void {
  if (!key.chosenBy) return;
  const account = accountOfKeyRef(keyArn);
  const shown = keyArn
    ? `${describeKeyRef(key.keyId)} (${keyArn}${account ? `, AWS account ${formatAccount(account)}` : ''})`
    : key.chosenBy.key;
  const message = `${what} with ${shown}, chosen by ${key.chosenBy.setting[0].toLowerCase()}${key.chosenBy.setting.slice(1)}.`;
  deps.services.log.info(message);
  if (interactive) void vscode.window.showInformationMessage(message);
}

/**
 * The keys to encrypt with, the first one making the data key: `keyIds` (several keys, any
 * one decrypts; keys of other regions or accounts by ARN), else what chooseKey gives.
 * Interactively the picker also offers "Several keys…", a multi-select of the connection's keys.
 */
export async function chooseKeys(
  deps: EditorDeps,
  kms: EditorKms,
  args: Args,
  options: { title: string; scope?: vscode.Uri; interactive: boolean; command: string; use?: KeyUse },
): Promise<ChosenKey[]> {
  const keys = await chooseKeysOrSops(deps, kms, args, { ...options, offerSops: false });
  if (keys === 'sops') throw new UserCancelledError();
  return keys;
}

/**
 * chooseKeys for Encrypt File: with `offerSops` (a structured file, no format asked for), the
 * picker's last entry "As a SOPS file…" answers 'sops'.
 */
export async function chooseKeysOrSops(
  deps: EditorDeps,
  kms: EditorKms,
  args: Args,
  options: {
    title: string;
    scope?: vscode.Uri;
    interactive: boolean;
    command: string;
    offerSops: boolean;
    use?: KeyUse;
    /** One key named or set: its DescribeKey is not waited for (see ChooseKeyOptions). */
    describeMeanwhile?: boolean;
  },
): Promise<ChosenKey[] | 'sops'> {
  if (args.has('keyId') && args.has('keyIds'))
    throw new ArgumentError(`${options.command}: name one key with "keyId" or several with "keyIds", not both.`);
  const named = args.stringArray('keyIds', 'an array of key ids, key ARNs, alias names or alias ARNs');
  if (named) {
    let refs: string[];
    try {
      refs = checkKeySet(named);
    } catch (error) {
      throw new ArgumentError(`${options.command}: "keyIds": ${error instanceof Error ? error.message : String(error)}`);
    }
    // The caller's own choice (like a keyId argument): allowed in any account.
    for (const ref of refs) kms.guard.allowKey(ref);
    for (const ref of refs) await checkNamedKey(kms.gatewayFor(regionOfRef(ref)), ref, 'generateDataKey', kms.connection.id);
    rememberMeanwhile(deps, kms.connection.id, refs[0]);
    return refs.map((ref) => ({ keyId: ref, label: ref, checked: Promise.resolve() }));
  }
  if (args.has('keyId') || !options.interactive || defaultKeyOf(options.scope)) return [await chooseKey(deps, kms, args, options)];
  const picked = await pickKeysOrSops(
    deps.services.ui,
    kms.gateway,
    kms.connection,
    {
      title: options.title,
      filter: (meta) => explainRefusal(meta, 'generateDataKey') === undefined,
      recent: deps.memory.recentKeys(kms.connection.id),
      emptyMessage: noEncryptionKey(kms),
    },
    options.offerSops,
  );
  if (picked === 'sops') return 'sops';
  for (const p of picked) kms.guard.allowKey(p.ref);
  rememberMeanwhile(deps, kms.connection.id, picked[0].ref, picked[0].keyId);
  return picked.map((p) => ({ keyId: p.ref, label: p.alias ?? p.keyId, checked: Promise.resolve() }));
}

/**
 * The key is remembered for the picker's order, not waited for: the memento has the new list
 * at once, only its storage in VS Code's main process takes a round trip.
 */
function rememberMeanwhile(deps: EditorDeps, connectionId: string, ...refs: string[]): void {
  deps.memory
    .rememberKey(connectionId, ...refs)
    .catch((error: unknown) =>
      deps.services.log.warn(
        `Could not remember ${refs[0]} among the recently used keys: ${error instanceof Error ? error.message : String(error)}`,
      ),
    );
}

/** Refuses, before anything is written, keys that cannot encrypt (each described in its own region). */
export async function checkUsableKeys(kms: EditorKms, refs: readonly string[]): Promise<void> {
  for (const ref of refs) kms.guard.allowKey(ref); // named in the command's arguments: the caller's choice
  for (const ref of refs) await checkNamedKey(kms.gatewayFor(regionOfRef(ref)), ref, 'generateDataKey', kms.connection.id);
}

/** The region of a key or alias ARN (undefined: the connection's). */
export function regionOfRef(ref: string): string | undefined {
  return /^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:(?:key|alias)\//.exec(ref)?.[1];
}

/**
 * What the key will be used for: `encrypt` (KMS Encrypt: a selection of up to 4,096 bytes under
 * one key) or `generateDataKey` (an envelope: files, larger selections, several keys). Refusals
 * name the operation really attempted.
 */
export type KeyUse = 'encrypt' | 'generateDataKey';
/**
 * The encryption context of an encryption: the argument when scripted, else (interactive,
 * unless kmsWorkbench.promptForEncryptionContext is off) typed by the person, `initial`
 * filled in.
 */
export async function askEncryptionContext(
  deps: EditorDeps,
  args: Args,
  options: { interactive: boolean; scope?: vscode.Uri; initial?: EncryptionContext; title: string; prompt?: string },
): Promise<EncryptionContext> {
  const given = args.stringMap('encryptionContext', 'an object of string values, like { "app": "web" }');
  if (given) return checkedContext(given);
  if (!options.interactive) return {};
  if (!vscode.workspace.getConfiguration('kmsWorkbench', options.scope).get<boolean>('promptForEncryptionContext', true) && !options.prompt)
    return options.initial ?? {};
  return parseEncryptionContext(
    await deps.services.ui.input({
      title: options.title,
      prompt: options.prompt ?? 'Encryption context (optional): key=value pairs, separated by commas. Press Enter for none.',
      placeholder: 'e.g. app=web, env=prod',
      value: formatEncryptionContext(options.initial),
      validate: (text) => {
        try {
          parseEncryptionContext(text);
          return undefined;
        } catch (error) {
          return error instanceof Error ? error.message : String(error);
        }
      },
    }),
  );
}

function checkedContext(context: EncryptionContext): EncryptionContext {
  return parseEncryptionContext(JSON.stringify(context));
}

/** The `sourceEncryptionContext` argument (re-encrypting a blob), when given. */
export function sourceContextArg(args: Args): EncryptionContext | undefined {
  const given = args.stringMap('sourceEncryptionContext', 'an object of string values, like { "app": "web" }');
  return given ? checkedContext(given) : undefined;
}

export function fileFormatSetting(scope: vscode.Uri | undefined): FileOutputFormat {
  const value = vscode.workspace.getConfiguration('kmsWorkbench', scope).get<string>('fileFormat', 'base64');
  // "sops" applies to structured files only (see ../sops/sopsCommands.ts); anything else is base64.
  return value === 'binary' ? 'binary' : 'base64';
}

export function secretsFileGlobs(scope: vscode.Uri | undefined): string[] {
  const value = vscode.workspace.getConfiguration('kmsWorkbench', scope).get<unknown>('secretsFiles');
  return Array.isArray(value) ? value.filter((g): g is string => typeof g === 'string' && g.trim() !== '') : [];
}

/** "KMS could not decrypt with …" → worth asking for another encryption context. */
export function isContextProblem(error: unknown): boolean {
  return error instanceof KmsError && error.code === 'InvalidCiphertextException';
}

/** How long the status bar says what an encryption command did. */
const DONE_MESSAGE_MS = 8000;

/**
 * Says briefly in the status bar what an Encrypt/Decrypt/Re-encrypt File or Selection did,
 * naming the keys as a person reads them (alias; the account only when not the connection's):
 * `done(keys)` gives the sentence, e.g. `Encrypted 2 selections with ${keys}`. The full ARNs
 * are in the log. Returns the sentence.
 */
export async function reportDone(
  deps: EditorDeps,
  kms: EditorKms,
  keyRefs: readonly string[],
  done: (keys: string) => string,
): Promise<string> {
  const refs = keyRefs.filter((r) => r !== '');
  const names = refs.length ? keyNames(refs, await kms.names()) : 'its key';
  const message = done(names);
  deps.services.log.info(`${message} (${[...new Set(refs)].join(', ')})`);
  vscode.window.setStatusBarMessage(`$(check) ${inertLabel(message)}`, DONE_MESSAGE_MS);
  deps.lastDone = message;
  return message;
}

/** "the selection", "3 selections", "app.env", "3 files". */
export function countOf(count: number, one: string, many: string): string {
  return count === 1 ? one : `${count} ${many}`;
}
