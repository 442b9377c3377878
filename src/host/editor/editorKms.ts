// What the selection and file commands share: the connection and its crypto, the key (an
// argument, the kmsWorkbench.defaultKey setting, or a picker of usable keys with the last
// used first), the encryption context prompt, and the settings.
import type { KeyMetadata } from '@aws-sdk/client-kms';
import * as vscode from 'vscode';
import { Args, isPlainObject } from '../../core/args/readArgs';
import { ArgumentError } from '../../core/args/argumentError';
import type { Connection } from '../../core/aws/connection';
import { EnvelopeCrypto, type GatewayForRegion } from '../../core/envelope/envelopeCrypto';
import { formatEncryptionContext, parseEncryptionContext } from '../../core/envelope/encryptionContext';
import type { FileOutputFormat } from '../../core/envelope/fileEncryption';
import type { EncryptionContext } from '../../core/envelope/messageFormat';
import { regionalGateways } from '../../core/envelope/regionalGateways';
import type { WriteFaults } from '../../core/files/atomicReplace';
import { KmsError } from '../../core/kms/errors';
import type { KmsGateway } from '../../core/kms/gateway';
import { explainRefusal } from '../../core/kms/keyCapabilities';
import type { Services } from '../services';
import type { SopsKeyService } from '../../core/sops/sopsFile';
import { checkRepositoryKeys } from '../sops/repositoryKeys';
import { sopsKeysFor } from '../sops/sopsKeys';
import { pickKey } from '../ui/keyPicker';
import type { EncryptionMemory } from './encryptionMemory';

/** What the editor encryption commands are given besides Services. */
export interface EditorDeps {
  readonly services: Services;
  readonly memory: EncryptionMemory;
  /** Files whose encryption state just changed (lock badges, menus). */
  readonly fileChanged: (uri: vscode.Uri) => void;
  /** Test seam: faults injected into the next file writes (set only in the extension test host). */
  writeFaults?: WriteFaults;
}

/** The connection a command works in, and its crypto. */
export interface EditorKms {
  readonly connection: Connection;
  readonly gateway: KmsGateway;
  readonly gatewayFor: GatewayForRegion;
  readonly envelope: EnvelopeCrypto;
  /** SOPS files: KMS entries opened with their profile and role, else this connection. */
  readonly sopsKeys?: SopsKeyService;
  /** SOPS files: the repository-key check of the keys a save leaves the secrets readable by. */
  readonly checkSopsKeys?: (kmsKeys: readonly string[], name: string) => Promise<void>;
}

export async function editorKms(services: Services, args: Args): Promise<EditorKms> {
  const connection = await services.connections.find(args.string('connection', 'a connection label or id'));
  const gatewayFor = regionalGateways(services.kms, connection);
  return {
    connection,
    gateway: gatewayFor(undefined),
    gatewayFor,
    envelope: new EnvelopeCrypto(gatewayFor),
    sopsKeys: sopsKeysFor(services, connection),
    checkSopsKeys: (kmsKeys, name) => checkRepositoryKeys(services, connection, kmsKeys, { interactive: true, source: `The SOPS file ${name}` }),
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
}

/**
 * The key to encrypt with: the `keyId` argument, else the `kmsWorkbench.defaultKey` setting
 * of the file's folder, else a picker of the connection's usable keys, last used first. A
 * named key is described first so an unusable one is refused with the reason.
 */
export async function chooseKey(deps: EditorDeps, kms: EditorKms, args: Args, options: { title: string; scope?: vscode.Uri; interactive: boolean }): Promise<ChosenKey> {
  const named = args.string('keyId', 'a key id, key ARN, alias name or alias ARN');
  const setting = vscode.workspace.getConfiguration('kmsWorkbench', options.scope).get<string>('defaultKey', '').trim();
  const ref = named ?? (setting || undefined);
  if (ref) {
    await checkKey(kms.gateway, ref, named ? undefined : 'The kmsWorkbench.defaultKey setting names');
    await deps.memory.rememberKey(kms.connection.id, ref);
    return { keyId: ref, label: ref };
  }
  if (!options.interactive) throw new ArgumentError(`${options.title}: name the key with "keyId" (or set kmsWorkbench.defaultKey).`);
  const picked = await pickKey(deps.services.ui, kms.gateway, kms.connection, {
    title: options.title,
    filter: (meta) => refusalFor(meta) === undefined,
    recent: deps.memory.recentKeys(kms.connection.id),
    emptyMessage: `No enabled symmetric encryption key in ${kms.connection.label}. Create one with "KMS: Create Key…", or enable one.`,
  });
  await deps.memory.rememberKey(kms.connection.id, picked.ref, picked.keyId);
  return { keyId: picked.ref, label: picked.alias ?? picked.keyId };
}

/** Refuses a key that cannot encrypt, with the key-state table's reason (when DescribeKey is allowed). */
async function checkKey(gateway: KmsGateway, ref: string, prefix: string | undefined): Promise<void> {
  let meta: KeyMetadata;
  try {
    meta = await gateway.describeKey(ref);
  } catch (error) {
    // Encrypting may be allowed where describing is not (or the endpoint lacks DescribeKey): let KMS decide.
    if (error instanceof KmsError && (error.code === 'AccessDeniedException' || error.notSupported)) return;
    if (error instanceof KmsError && error.code === 'NotFoundException' && prefix) throw new KmsError(error.code, `${prefix} "${ref}", which does not exist in this connection. ${error.message}`);
    throw error;
  }
  const refusal = refusalFor(meta);
  if (refusal) throw new KmsError('KeyNotUsable', `${prefix ? `${prefix} "${ref}": ` : `"${ref}": `}${refusal}`);
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
