// What the selection and file commands share: the connection and its crypto, the key (an
// argument, the kmsWorkbench.defaultKey setting, or a picker of usable keys with the last
// used first), the encryption context prompt, and the settings.
import type { KeyMetadata } from '@aws-sdk/client-kms';
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
import { type KeyNameContext, keyName, keyNames } from '../../core/kms/keyNames';
import { accountOfKeyRef, describeKeyRef, formatAccount } from '../../core/trust/accounts';
import { guardGateways, type KeyTrustGuard } from '../../core/trust/keyTrust';
import { inertLabel } from '../../core/text/inertText';
import type { Services } from '../services';
import type { SopsKeyService } from '../../core/sops/sopsFile';
import { checkRepositoryKeys } from '../sops/repositoryKeys';
import { sopsKeysFor } from '../sops/sopsKeys';
import { ensureKeysTrusted } from '../trust/ensureKeysTrusted';
import { pickKey, pickKeysOrSops } from '../ui/keyPicker';
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
    checkSopsKeys: (kmsKeys, name) => checkRepositoryKeys(services, connection, kmsKeys, { interactive: true, source: `The SOPS file ${name}` }),
    names: () => services.keyNames.context(connection),
  };
}

/** No arguments: what the prompts asked after a failure read from (they always ask). */
export const NO_ARGS = Args.from('', undefined, []);

/** A command invoked with an argument object runs without prompts. */
export function isScripted(arg: unknown): boolean {
  return isPlainObject(arg);
}

/** Keys that can encrypt here: Enabled, SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT (the key-state table's words). */
function refusalFor(meta: KeyMetadata): string | undefined {
  return explainRefusal(meta, 'generateDataKey');
}

export interface ChosenKey {
  /** What to send to KMS: what was named or picked (alias name, key id or ARN). */
  readonly keyId: string;
  /** How messages name it. */
  readonly label: string;
  /** Set when the key was chosen by a workspace or folder setting (not by the person): which one, and the key with its account. */
  readonly chosenBy?: { readonly setting: string; readonly key: string };
}

/** Where the effective kmsWorkbench.defaultKey comes from: the repository (workspace, folder) or the person (user settings). */
function settingOrigin(key: string, scope: vscode.Uri | undefined): 'folder' | 'workspace' | 'user' | undefined {
  const inspected = vscode.workspace.getConfiguration('kmsWorkbench', scope).inspect<unknown>(key);
  if (!inspected) return undefined;
  // A single-folder workspace reports its settings.json as both workspace and folder value.
  if (inspected.workspaceFolderValue !== undefined && vscode.workspace.workspaceFile !== undefined && inspected.workspaceFolderValue !== inspected.workspaceValue) return 'folder';
  if (inspected.workspaceFolderValue !== undefined) return 'workspace';
  if (inspected.workspaceValue !== undefined) return 'workspace';
  if (inspected.globalValue !== undefined) return 'user';
  return undefined;
}

export const ENCRYPT_WITH_WORKSPACE_KEY = 'Encrypt with This Key';

/**
 * A key chosen by the repository's kmsWorkbench.defaultKey, when the repository also turned off
 * the encryption-context prompt, would otherwise be used without anything showing it: the
 * person is asked once per workspace and key, seeing the key and its account.
 */
async function confirmSilentWorkspaceKey(deps: EditorDeps, ref: string, shown: string, source: string, scope: vscode.Uri | undefined): Promise<void> {
  const origin = settingOrigin('promptForEncryptionContext', scope);
  const prompts = vscode.workspace.getConfiguration('kmsWorkbench', scope).get<boolean>('promptForEncryptionContext', true);
  if (prompts || (origin !== 'workspace' && origin !== 'folder')) return;
  if (deps.memory.isWorkspaceKeyConfirmed(ref)) return;
  const choice = await deps.services.ui.choose(`${source} encrypts with ${shown}.`, [ENCRYPT_WITH_WORKSPACE_KEY], {
    modal: true,
    detail: `This workspace also turns off the encryption-context prompt, so nothing else shows the key before your data is encrypted.\n\nKey: ${ref}\n\nEncrypt with this key? You are asked once for this workspace.`,
  });
  if (choice !== ENCRYPT_WITH_WORKSPACE_KEY) throw new UserCancelledError();
  await deps.memory.confirmWorkspaceKey(ref);
}

/**
 * The key to encrypt with: the `keyId` argument, else the `kmsWorkbench.defaultKey` setting
 * of the file's folder, else a picker of the connection's usable keys, last used first. A
 * named key is described first so an unusable one is refused with the reason.
 */
export async function chooseKey(deps: EditorDeps, kms: EditorKms, args: Args, options: { title: string; scope?: vscode.Uri; interactive: boolean; use?: KeyUse }): Promise<ChosenKey> {
  const named = args.string('keyId', 'a key id, key ARN, alias name or alias ARN');
  if (named) {
    // The person's own choice (an argument they wrote, a keybinding they made): allowed even
    // in another account, but logged so it can be seen.
    kms.guard.allowKey(named);
    const account = accountOfKeyRef(named);
    if (account && !(await deps.services.trust.isTrusted(account, kms.connection))) {
      deps.services.log.info(`${options.title} ${named}: a key of AWS account ${formatAccount(account)}, not a trusted account, named in the command's keyId argument (the caller's choice).`);
    }
    await checkKey(kms, named, undefined, options.use);
    await deps.memory.rememberKey(kms.connection.id, named);
    return { keyId: named, label: named };
  }
  const setting = vscode.workspace.getConfiguration('kmsWorkbench', options.scope).get<string>('defaultKey', '').trim();
  if (setting) {
    const origin = settingOrigin('defaultKey', options.scope);
    let chosenBy: ChosenKey['chosenBy'];
    if (origin === 'workspace' || origin === 'folder') {
      const source = origin === 'folder' ? 'The kmsWorkbench.defaultKey setting of this folder' : 'The kmsWorkbench.defaultKey setting of this workspace';
      // Decided from the ARN alone, before anything is sent about the key.
      await ensureKeysTrusted(deps.services, [setting], { source, interactive: options.interactive, connection: kms.connection });
      const account = await deps.services.trust.accountOfKey(setting, kms.connection);
      const shown = `${describeKeyRef(setting)}${account ? ` in AWS account ${formatAccount(account)}` : ''}`;
      if (options.interactive) await confirmSilentWorkspaceKey(deps, setting, shown, source, options.scope);
      chosenBy = { setting: source, key: shown };
    } else {
      kms.guard.allowKey(setting); // the person's own user setting
    }
    await checkKey(kms, setting, 'The kmsWorkbench.defaultKey setting names', options.use);
    await deps.memory.rememberKey(kms.connection.id, setting);
    return { keyId: setting, label: setting, chosenBy };
  }
  if (!options.interactive) throw new ArgumentError(`${options.title}: name the key with "keyId" (or set kmsWorkbench.defaultKey).`);
  const picked = await pickKey(deps.services.ui, kms.gateway, kms.connection, {
    title: options.title,
    filter: (meta) => refusalFor(meta) === undefined,
    recent: deps.memory.recentKeys(kms.connection.id),
    emptyMessage: `No enabled symmetric encryption key in ${kms.connection.label}. Create one with "KMS: Create Key…", or enable one.`,
  });
  kms.guard.allowKey(picked.ref);
  await deps.memory.rememberKey(kms.connection.id, picked.ref, picked.keyId);
  return { keyId: picked.ref, label: picked.alias ?? picked.keyId };
}

/**
 * After an encryption with a key the workspace chose, says which key (and account) the data
 * went to, so a repository's setting never decides it unseen.
 */
export function announceWorkspaceKey(deps: EditorDeps, key: ChosenKey, what: string, keyArn: string, interactive: boolean): void {
  if (!key.chosenBy) return;
  const account = accountOfKeyRef(keyArn);
  const shown = keyArn ? `${describeKeyRef(key.keyId)} (${keyArn}${account ? `, AWS account ${formatAccount(account)}` : ''})` : key.chosenBy.key;
  const message = `${what} with ${shown}, chosen by ${key.chosenBy.setting[0].toLowerCase()}${key.chosenBy.setting.slice(1)}.`;
  deps.services.log.info(message);
  if (interactive) void vscode.window.showInformationMessage(message);
}

/**
 * The keys to encrypt with, the first one making the data key: `keyIds` (several keys, any
 * one decrypts; keys of other regions or accounts by ARN), else what chooseKey gives.
 * Interactively the picker also offers "Several keys…", a multi-select of the connection's keys.
 */
export async function chooseKeys(deps: EditorDeps, kms: EditorKms, args: Args, options: { title: string; scope?: vscode.Uri; interactive: boolean; command: string; use?: KeyUse }): Promise<ChosenKey[]> {
  const keys = await chooseKeysOrSops(deps, kms, args, { ...options, offerSops: false });
  if (keys === 'sops') throw new UserCancelledError();
  return keys;
}

/**
 * chooseKeys for Encrypt File: with `offerSops` (a structured file, no format asked for), the
 * picker's last entry "As a SOPS file…" answers 'sops'.
 */
export async function chooseKeysOrSops(deps: EditorDeps, kms: EditorKms, args: Args, options: { title: string; scope?: vscode.Uri; interactive: boolean; command: string; offerSops: boolean; use?: KeyUse }): Promise<ChosenKey[] | 'sops'> {
  if (args.has('keyId') && args.has('keyIds')) throw new ArgumentError(`${options.command}: name one key with "keyId" or several with "keyIds", not both.`);
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
    for (const ref of refs) await checkKey(kms, ref, undefined, 'generateDataKey');
    await deps.memory.rememberKey(kms.connection.id, refs[0]);
    return refs.map((ref) => ({ keyId: ref, label: ref }));
  }
  if (args.has('keyId') || !options.interactive || vscode.workspace.getConfiguration('kmsWorkbench', options.scope).get<string>('defaultKey', '').trim()) return [await chooseKey(deps, kms, args, options)];
  const picked = await pickKeysOrSops(
    deps.services.ui,
    kms.gateway,
    kms.connection,
    {
      title: options.title,
      filter: (meta) => refusalFor(meta) === undefined,
      recent: deps.memory.recentKeys(kms.connection.id),
      emptyMessage: `No enabled symmetric encryption key in ${kms.connection.label}. Create one with "KMS: Create Key…", or enable one.`,
    },
    options.offerSops,
  );
  if (picked === 'sops') return 'sops';
  for (const p of picked) kms.guard.allowKey(p.ref);
  await deps.memory.rememberKey(kms.connection.id, picked[0].ref, picked[0].keyId);
  return picked.map((p) => ({ keyId: p.ref, label: p.alias ?? p.keyId }));
}

/** Refuses, before anything is written, keys that cannot encrypt (each described in its own region). */
export async function checkUsableKeys(kms: EditorKms, refs: readonly string[]): Promise<void> {
  for (const ref of refs) kms.guard.allowKey(ref); // named in the command's arguments: the caller's choice
  for (const ref of refs) await checkKey(kms, ref, undefined, 'generateDataKey');
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
 * Refuses a key that cannot encrypt, with the key-state table's reason (when DescribeKey is
 * allowed); a disabled key or one pending deletion carries its fix (Enable Key, Cancel Deletion).
 */
async function checkKey(kms: EditorKms, ref: string, prefix: string | undefined, use: KeyUse = 'generateDataKey'): Promise<void> {
  const gateway = kms.gatewayFor(regionOfRef(ref));
  let meta: KeyMetadata;
  try {
    meta = await gateway.describeKey(ref);
  } catch (error) {
    // Encrypting may be allowed where describing is not (or the endpoint lacks DescribeKey): let KMS decide.
    if (error instanceof KmsError && (error.code === 'AccessDeniedException' || error.notSupported)) return;
    if (error instanceof KmsError && error.code === 'NotFoundException' && prefix) throw new KmsError(error.code, `${prefix} "${ref}", which does not exist in this connection. ${error.message}`);
    throw error;
  }
  const refusal = explainRefusal(meta, use);
  if (!refusal) return;
  const state = meta.KeyState;
  const action = state === 'Disabled' ? 'enableKey' : state === 'PendingDeletion' ? 'cancelKeyDeletion' : undefined;
  const keyId = meta.Arn ?? meta.KeyId ?? ref;
  const name = keyName(ref.startsWith('alias/') || ref.includes(':alias/') ? ref : keyId, await kms.names());
  throw new KmsError('KeyNotUsable', `${prefix ? `${prefix} "${ref}": ` : `${name}: `}${refusal}`, {
    operation: use === 'encrypt' ? 'Encrypt' : 'GenerateDataKey',
    ...(action ? { fix: { action, keyId, connectionId: kms.connection.id } } : {}),
  });
}

/**
 * The encryption context of an encryption: the argument when scripted, else (interactive,
 * unless kmsWorkbench.promptForEncryptionContext is off) typed by the person, `initial`
 * filled in.
 */
export async function askEncryptionContext(deps: EditorDeps, args: Args, options: { interactive: boolean; scope?: vscode.Uri; initial?: EncryptionContext; title: string; prompt?: string }): Promise<EncryptionContext> {
  const given = args.stringMap('encryptionContext', 'an object of string values, like { "app": "web" }');
  if (given) return checkedContext(given);
  if (!options.interactive) return {};
  if (!vscode.workspace.getConfiguration('kmsWorkbench', options.scope).get<boolean>('promptForEncryptionContext', true) && !options.prompt) return options.initial ?? {};
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
export async function reportDone(deps: EditorDeps, kms: EditorKms, keyRefs: readonly string[], done: (keys: string) => string): Promise<string> {
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
