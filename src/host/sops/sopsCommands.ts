// SOPS files: Encrypt File as SOPS (a key argument, a `.sops.yaml` creation rule, or the
// kmsWorkbench.fileFormat setting), and the keys of a SOPS file: add or remove KMS keys (sops
// updatekeys: the data key re-wrapped, values untouched) and rotate its data key (every value
// re-encrypted). From the Explorer (a SOPS file), the KMS view (a key) or an argument object.
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { type Args, Args as ArgsReader } from '../../core/args/readArgs';
import { ArgumentError } from '../../core/args/argumentError';
import { inspectFile } from '../../core/envelope/fileEncryption';
import { KmsError } from '../../core/kms/errors';
import { keyNames } from '../../core/kms/keyNames';
import { creationRuleFor, type RuleMatch } from '../../core/sops/creationRules';
import { formatForName, type NewKmsKey, type SopsFormat } from '../../core/sops/sopsFile';
import { encryptSopsFileInPlace, rotateSopsFileInPlace, sopsFileKeys, updateSopsKeysInPlace } from '../../core/sops/sopsFiles';
import type { CommandSpec } from '../commands/commandRunner';
import { chooseKey, type EditorDeps, type EditorKms, editorKms, editorKmsFor, isScripted } from '../editor/editorKms';
import { targetFiles } from '../editor/fileCommands';
import { keyTargetOf } from '../targets';
import type { Services } from '../services';
import { checkRepositoryKeys } from './repositoryKeys';
import { sopsKeysFor } from './sopsKeys';

const STRUCTURED = new Set<SopsFormat>(['yaml', 'json', 'dotenv', 'ini']);

/** The `.sops.yaml` rule for a file (looked for up to its workspace folder), or undefined. */
export async function sopsRuleFor(uri: vscode.Uri, context?: Record<string, string>): Promise<RuleMatch | undefined> {
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  return creationRuleFor(uri.fsPath, { stopAt: folder?.uri.fsPath, context });
}

/** Whether Encrypt File writes SOPS for this file when no format is given: a creation rule matches, or the setting says so. */
export async function encryptsAsSops(uri: vscode.Uri): Promise<boolean> {
  if ((await sopsRuleFor(uri).catch(() => undefined)) !== undefined) return true;
  return (
    vscode.workspace.getConfiguration('kmsWorkbench', uri).get<string>('fileFormat', 'base64') === 'sops' &&
    STRUCTURED.has(formatForName(uri.fsPath))
  );
}

/** A key reference as the ARN a SOPS file records (SOPS entries name keys by ARN). */
async function keyArn(kms: EditorKms, ref: string): Promise<string> {
  if (/^arn:aws[a-z-]*:kms:[^:]+:\d{12}:key\//.test(ref)) return ref;
  const meta = await kms.gateway.describeKey(ref).catch((error: unknown) => {
    throw error instanceof KmsError
      ? new KmsError(
          error.code,
          `SOPS files record keys by ARN, and "${ref}" could not be described to find its ARN: ${error.message} Give the key's ARN instead.`,
        )
      : error;
  });
  if (!meta.Arn) throw new KmsError('NoArn', `The endpoint gave no ARN for "${ref}"; give the key's ARN.`);
  return meta.Arn;
}

function keyRefsArg(args: Args): string[] | undefined {
  const one = args.string('keyId', 'a key id, key ARN, alias name or alias ARN');
  const many = args.raw('keyIds');
  if (many !== undefined && (!Array.isArray(many) || many.length === 0 || many.some((k) => typeof k !== 'string' || k.trim() === ''))) {
    throw new ArgumentError(`"keyIds" must be a non-empty array of key ids, key ARNs, alias names or alias ARNs.`);
  }
  const refs = [...(one ? [one] : []), ...((many as string[] | undefined) ?? [])];
  return refs.length ? refs : undefined;
}

export interface SopsFileResult {
  readonly uri: vscode.Uri;
  /** ARNs of the file's KMS keys after the command. */
  readonly keyIds: readonly string[];
  readonly format: 'sops';
  /** yaml, json, dotenv, ini or binary. */
  readonly store: SopsFormat;
  /** The `.sops.yaml` whose creation rule was applied, when one was. */
  readonly creationRule?: string;
  readonly encryptionContext: Record<string, string>;
}

/**
 * Encrypt File's SOPS path (called by kmsWorkbench.encryptFile when `format` is "sops", a
 * `.sops.yaml` creation rule matches, or the fileFormat setting is "sops"): keys from
 * `keyId`/`keyIds`, else the rule's, else the picker; the rule's partial-encryption options.
 * Keys named by a `.sops.yaml` go through the repository-key check.
 */
export async function encryptFilesAsSops(
  deps: EditorDeps,
  services: Services,
  uris: readonly vscode.Uri[],
  args: Args,
  interactive: boolean,
): Promise<SopsFileResult[]> {
  const kms = await editorKms(services, args);
  const context = args.stringMap('encryptionContext', 'an object of string values, like { "app": "web" }');
  const refs = keyRefsArg(args);
  const results: SopsFileResult[] = [];
  const keys = sopsKeysFor(services, kms.connection);
  let chosen: NewKmsKey[] | undefined;
  if (refs) chosen = await Promise.all(refs.map(async (r) => ({ arn: await keyArn(kms, r), context })));
  for (const uri of uris) {
    const match = await sopsRuleFor(uri, context);
    let sopsKeys = chosen;
    if (!sopsKeys && match) {
      if (match.rule.unsupportedKeys.length)
        throw new KmsError(
          'SopsUnsupported',
          `The creation rule ${match.rule.index + 1} of ${match.configPath} also ` +
            `names ${match.rule.unsupportedKeys.join(', ')}, which KMS Workbench cannot encrypt for. ` +
            `Encrypt ${basename(uri.fsPath)} with sops, or name KMS keys with "keyId"/"keyIds".`,
        );
      if (match.rule.keyGroupCount > 1)
        throw new KmsError(
          'SopsUnsupported',
          `The creation rule ${match.rule.index + 1} of ${match.configPath} splits the data key ` +
            `over ${match.rule.keyGroupCount} key groups (Shamir); encrypt ${basename(uri.fsPath)} with sops.`,
        );
      if (match.rule.kms.length === 0)
        throw new KmsError(
          'SopsRule',
          `The creation rule ${match.rule.index + 1} of ${match.configPath} names no KMS key for ${basename(uri.fsPath)}. Name keys with "keyId"/"keyIds".`,
        );
      await checkRepositoryKeys(
        services,
        kms.connection,
        match.rule.kms.map((k) => k.arn),
        { interactive, source: `The .sops.yaml at ${match.configPath}` },
      );
      sopsKeys = match.rule.kms;
    }
    if (!sopsKeys) {
      const key = await chooseKey(deps, kms, args, { title: `Encrypt ${basename(uri.fsPath)} as SOPS with`, scope: uri, interactive });
      sopsKeys = [{ arn: await keyArn(kms, key.keyId), context }];
      chosen = sopsKeys;
    }
    const rule = match?.rule;
    const out = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `KMS: Encrypting ${basename(uri.fsPath)} as SOPS` },
      () =>
        encryptSopsFileInPlace(
          uri.fsPath,
          {
            keys: sopsKeys,
            unencryptedSuffix: rule?.unencryptedSuffix,
            encryptedSuffix: rule?.encryptedSuffix,
            unencryptedRegex: rule?.unencryptedRegex,
            encryptedRegex: rule?.encryptedRegex,
            unencryptedCommentRegex: rule?.unencryptedCommentRegex,
            encryptedCommentRegex: rule?.encryptedCommentRegex,
            macOnlyEncrypted: rule?.macOnlyEncrypted,
          },
          { keys, faults: deps.writeFaults },
        ),
    );
    deps.fileChanged(uri);
    services.log.info(
      `Encrypted ${uri.fsPath} as SOPS (${out.store}) ` +
        `for ${sopsKeys.map((k) => k.arn).join(', ')}${match ? ` by rule ${match.rule.index + 1} of ${match.configPath}` : ''}`,
    );
    results.push({
      uri,
      keyIds: sopsKeys.map((k) => k.arn),
      format: 'sops',
      store: out.store,
      creationRule: match?.configPath,
      encryptionContext: context ?? {},
    });
  }
  return results;
}

/** The SOPS file a key command acts on: `uri`, the Explorer's file, the active editor's, or a pick of the workspace's SOPS files. */
async function sopsFileOf(
  arg: unknown,
  all: readonly unknown[],
  args: Args,
  command: string,
  services: Services,
  interactive: boolean,
): Promise<vscode.Uri> {
  let uri: vscode.Uri | undefined;
  const fromTree = keyTargetOf(arg) !== undefined;
  if (!fromTree && (args.has('uri') || arg instanceof vscode.Uri || vscode.window.activeTextEditor?.document.uri.scheme === 'file')) {
    uri = targetFiles(arg, all, args, command)[0];
  }
  if (!uri) {
    if (!interactive) throw new ArgumentError(`${command}: name the SOPS file with "uri".`);
    const candidates = await vscode.workspace.findFiles('**/*.{yaml,yml,json,env,ini}', '**/node_modules/**', 2000);
    const sops: vscode.Uri[] = [];
    for (const c of candidates) if ((await inspectFile(c.fsPath).catch(() => undefined))?.format.kind === 'sops') sops.push(c);
    if (sops.length === 0) throw new KmsError('NoSopsFiles', 'There is no SOPS file in the workspace.');
    uri = await services.ui.pick(
      sops.map((u) => ({ label: vscode.workspace.asRelativePath(u), value: u })),
      { title: 'SOPS file', placeholder: 'Choose the SOPS file' },
    );
  }
  const inspection = await inspectFile(uri.fsPath);
  if (inspection.format.kind !== 'sops')
    throw new KmsError(
      'NotSops',
      `${basename(uri.fsPath)} is not a SOPS file (it has no sops metadata${inspection.format.kind !== 'plaintext' ? '; it is encrypted another way' : ''}).`,
    );
  const dirty = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === uri.fsPath && d.isDirty);
  if (dirty) throw new KmsError('UnsavedChanges', `${basename(uri.fsPath)} has unsaved changes in an editor: save or revert them first.`);
  return uri;
}

/** The connection of a tree key, or the `connection` argument's. */
async function kmsOf(arg: unknown, services: Services, args: Args): Promise<EditorKms> {
  const target = keyTargetOf(arg);
  if (target) {
    const kms = await editorKms(services, ArgsReader.from('', undefined, []));
    if (kms.connection.id === target.connection.id) return kms;
    return editorKmsFor(services, target.connection);
  }
  return editorKms(services, args);
}

const KEY_FILE_FIELDS = ['uri', 'keyId', 'keyIds', 'connection'] as const;

/**
 * `kmsWorkbench.addSopsKey` `{ uri?, keyId? | keyIds?, encryptionContext?, awsProfile?, role?, connection? }`:
 * adds KMS keys to a SOPS file (sops updatekeys): its data key is wrapped for each new key
 * (with `encryptionContext`, `awsProfile` and `role` recorded in the entry, as sops does);
 * values, the other master keys (KMS, age, PGP…) and the MAC stay as they are. From a key in
 * the KMS view, the file is picked. Returns `{ uri, keyIds, added }`.
 */
export function addSopsKey(deps: EditorDeps): CommandSpec<{ uri: vscode.Uri; keyIds: string[]; added: string[] }> {
  const id = 'kmsWorkbench.addSopsKey';
  return {
    id,
    action: 'add a KMS key to the SOPS file',
    run: async (arg, services, all) => {
      const args = ArgsReader.from(id, arg, [...KEY_FILE_FIELDS, 'encryptionContext', 'awsProfile', 'role']);
      const interactive = !isScripted(arg);
      const uri = await sopsFileOf(arg, all, args, id, services, interactive);
      const kms = await kmsOf(arg, services, args);
      const target = keyTargetOf(arg);
      let refs = keyRefsArg(args) ?? (target ? [target.metadata?.Arn ?? target.keyId] : undefined);
      if (!refs)
        refs = [(await chooseKey(deps, kms, args, { title: `Add a KMS key to ${basename(uri.fsPath)}`, scope: uri, interactive })).keyId];
      const context = args.stringMap('encryptionContext', 'an object of string values, like { "app": "web" }');
      const awsProfile = args.string('awsProfile', 'an AWS profile name');
      const role = args.string('role', 'an IAM role ARN');
      const add = await Promise.all(refs.map(async (r) => ({ arn: await keyArn(kms, r), context, awsProfile, role })));
      const out = await updateSopsKeysInPlace(
        uri.fsPath,
        { add },
        { keys: sopsKeysFor(services, kms.connection), faults: deps.writeFaults },
      );
      deps.fileChanged(uri);
      services.log.info(`Added ${out.added.join(', ') || 'no new key'} to ${uri.fsPath}`);
      if (interactive) {
        const names = await kms.names();
        void vscode.window.showInformationMessage(
          out.added.length
            ? `${basename(uri.fsPath)} now opens with ${keyNames(out.added, names)} too.`
            : `${basename(uri.fsPath)} already has ${keyNames(refs, names)}.`,
        );
      }
      return { uri, keyIds: out.kmsKeys, added: out.added };
    },
  };
}

/**
 * `kmsWorkbench.removeSopsKey` `{ uri?, keyId? | keyIds?, confirm?, connection? }`: removes KMS
 * keys from a SOPS file (sops updatekeys); the data key and values stay, so the removed key
 * can still open older versions of the file (rotate the data key for that). Refuses to
 * remove the last master key. Scripted calls need `confirm: true`. Returns `{ uri, keyIds, removed }`.
 */
export function removeSopsKey(deps: EditorDeps): CommandSpec<{ uri: vscode.Uri; keyIds: string[]; removed: string[] }> {
  const id = 'kmsWorkbench.removeSopsKey';
  return {
    id,
    action: 'remove a KMS key from the SOPS file',
    run: async (arg, services, all) => {
      const args = ArgsReader.from(id, arg, [...KEY_FILE_FIELDS, 'confirm']);
      const interactive = !isScripted(arg);
      const uri = await sopsFileOf(arg, all, args, id, services, interactive);
      const kms = await kmsOf(arg, services, args);
      const { kmsKeys } = await sopsFileKeys(uri.fsPath);
      const target = keyTargetOf(arg);
      let remove = keyRefsArg(args) ?? (target ? [target.metadata?.Arn ?? target.keyId] : undefined);
      if (remove) remove = await Promise.all(remove.map((r) => (kmsKeys.includes(r) ? Promise.resolve(r) : keyArn(kms, r))));
      else {
        if (!interactive) throw new ArgumentError(`${id}: name the keys to remove with "keyId" or "keyIds".`);
        remove = await services.ui.pickMany(
          kmsKeys.map((k) => ({ label: k, value: k })),
          { title: `Remove KMS keys from ${basename(uri.fsPath)}` },
        );
        if (remove.length === 0) throw new ArgumentError('Choose at least one key to remove.');
      }
      if (interactive) {
        await services.ui.confirm(`Remove ${keyNames(remove, await kms.names(), remove.length)} from ${basename(uri.fsPath)}?`, {
          modal: true,
          confirmLabel: 'Remove',
          detail:
            'The file will no longer open with it. Its data key does not change, so copies of the file ' +
            'from before (git history) still open with it: rotate the data key too if the key must lose access.',
        });
      } else if (args.boolean('confirm') !== true) {
        throw new ArgumentError(`${id}: add "confirm": true to the argument object to remove keys from the SOPS file.`);
      }
      const out = await updateSopsKeysInPlace(
        uri.fsPath,
        { remove },
        { keys: sopsKeysFor(services, kms.connection), faults: deps.writeFaults },
      );
      deps.fileChanged(uri);
      services.log.info(`Removed ${out.removed.join(', ')} from ${uri.fsPath}`);
      return { uri, keyIds: out.kmsKeys, removed: out.removed };
    },
  };
}

/**
 * `kmsWorkbench.rotateSopsDataKey` `{ uri?, connection? }`: gives a SOPS file a new data key
 * (sops rotate): every value is encrypted again and the new key wrapped for each KMS entry.
 * Refused for files with master keys KMS Workbench cannot wrap for (age, PGP…). The file's
 * KMS keys go through the repository-key check. Returns `{ uri, keyIds }`.
 */
export function rotateSopsDataKey(deps: EditorDeps): CommandSpec<{ uri: vscode.Uri; keyIds: string[] }> {
  const id = 'kmsWorkbench.rotateSopsDataKey';
  return {
    id,
    action: 'rotate the data key of the SOPS file',
    run: async (arg, services, all) => {
      const args = ArgsReader.from(id, arg, ['uri', 'connection']);
      const interactive = !isScripted(arg);
      const uri = await sopsFileOf(arg, all, args, id, services, interactive);
      const kms = await kmsOf(arg, services, args);
      const { kmsKeys } = await sopsFileKeys(uri.fsPath);
      await checkRepositoryKeys(services, kms.connection, kmsKeys, { interactive, source: `The SOPS file ${basename(uri.fsPath)}` });
      const out = await rotateSopsFileInPlace(uri.fsPath, { keys: sopsKeysFor(services, kms.connection), faults: deps.writeFaults });
      deps.fileChanged(uri);
      services.log.info(`Rotated the data key of ${uri.fsPath}`);
      if (interactive)
        void vscode.window.showInformationMessage(`${basename(uri.fsPath)} has a new data key; every value was encrypted again.`);
      return { uri, keyIds: out.kmsKeys };
    },
  };
}

export function sopsCommands(deps: EditorDeps): CommandSpec[] {
  return [addSopsKey(deps), removeSopsKey(deps), rotateSopsDataKey(deps)] as CommandSpec[];
}
