// Commands of the workspace secrets: re-key many files, rescan, list, the pre-commit hook,
// and the quick fixes of the Problems entries.
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import { ArgumentError } from '../../core/args/argumentError';
import { Args, isPlainObject } from '../../core/args/readArgs';
import { regionOfKeyArn } from '../../core/envelope/messageFormat';
import { classifyFile, type InventoryEntry } from '../../core/inventory/classify';
import type { WriteFaults } from '../../core/files/atomicReplace';
import { installHook, uninstallHook, type InstallResult, type UninstallResult } from '../../core/inventory/hookInstall';
import { keyLabel } from '../../core/inventory/keyHealth';
import { keyIdOf, UNNAMED_KEY } from '../../core/inventory/keyRefs';
import { describePlan, planReKey, type ReKeyFileResult, type ReKeyJournalState, runReKey } from '../../core/inventory/reKey';
import { KmsError } from '../../core/kms/errors';
import type { SopsKeyService } from '../../core/sops/sopsFile';
import type { CommandSpec } from '../commands/commandRunner';
import { confirmedByArgs, isScripted } from '../keyCommands/commandArgs';
import { notify } from '../keyCommands/output';
import type { Services } from '../services';
import { pickKey } from '../ui/keyPicker';
import { editorKmsFor, secretsFileGlobs } from '../editor/editorKms';
import { ReKeyRequest } from './keyUsage';
import { isSecretsNode, type SecretsNode } from './secretsView';
import { DIAGNOSTIC_SOURCE, PLAINTEXT_CODE, problemOf, type WorkspaceSecrets } from './workspaceSecrets';

const RE_ENCRYPT_FILES = 'kmsWorkbench.reEncryptFiles';
const JOURNAL_KEY = 'kmsWorkbench.reKeyJournal';

export interface InventoryDeps {
  readonly secrets: WorkspaceSecrets;
  readonly workspaceState: vscode.Memento;
  /** Test seam: write faults of the re-key (integration tests). */
  writeFaults?: WriteFaults;
}

/** One file of a re-key, as the command returns it. */
export interface ReEncryptFilesResult {
  readonly uri: string;
  readonly status: ReKeyFileResult['status'];
  readonly format: string;
  readonly fromKeys: readonly string[];
  readonly keyIds?: readonly string[];
  readonly method?: string;
  readonly message?: string;
}

function nodesOf(arg: unknown, all: readonly unknown[]): SecretsNode[] {
  const isNode = isSecretsNode;
  const selected = Array.isArray(all[1]) ? (all[1] as unknown[]).filter(isNode) : [];
  if (isNode(arg)) return selected.some((s) => s === arg) ? selected : [arg];
  return [];
}

function toPath(value: unknown, field: string): string {
  if (value instanceof vscode.Uri) return value.fsPath;
  if (typeof value === 'string' && /^file:\/\//.test(value)) return vscode.Uri.parse(value).fsPath;
  if (typeof value === 'string' && (value.startsWith('/') || /^[A-Za-z]:[\\/]/.test(value))) return value;
  throw new ArgumentError(`${RE_ENCRYPT_FILES}: "${field}" must be a Uri or an absolute file path.`);
}

/**
 * `kmsWorkbench.reEncryptFiles` `{ uris?, fromKeyId?, toKeyId?, toKeyIds?, connection?, confirm }`:
 * re-keys many files at once — the files named by `uris`, or every workspace file encrypted
 * under `fromKeyId` (from the Workspace secrets view: the selected files, or a key's group) —
 * to `toKeyId` (or several `toKeyIds`, for SOPS files). Messages get their header re-wrapped,
 * KMS blobs (files and inside text) are re-encrypted by KMS ReEncrypt, SOPS files get
 * updatekeys. Shows the plan first; with an argument object it needs `confirm: true`. Each
 * file is replaced atomically and verified to open with the new key; the run stops at the
 * first failure and a later run resumes (done files are remembered in the workspace state).
 * Returns one `{ uri, status, format, fromKeys, keyIds, method, message }` per file.
 */
export function reEncryptFiles(deps: InventoryDeps): CommandSpec<ReEncryptFilesResult[]> {
  return {
    id: RE_ENCRYPT_FILES,
    action: 're-key the files',
    run: async (arg, services, all) => {
      const args = Args.from(RE_ENCRYPT_FILES, isPlainObject(arg) ? arg : undefined, [
        'uris',
        'fromKeyId',
        'toKeyId',
        'toKeyIds',
        'connection',
        'confirm',
      ]);
      const scripted = isScripted(arg);
      const confirmed = scripted ? confirmedByArgs(RE_ENCRYPT_FILES, arg, args, 're-encrypts files in place') : false;
      await deps.secrets.ready();
      // Which files.
      let fromKeyId = args.string('fromKeyId', 'a key id or key ARN');
      let entries: InventoryEntry[];
      const nodes = nodesOf(arg, all);
      if (args.has('uris')) {
        const raw = args.raw('uris');
        if (!Array.isArray(raw) || raw.length === 0)
          throw new ArgumentError(`${RE_ENCRYPT_FILES}: "uris" must be a non-empty array of Uris or absolute file paths.`);
        entries = [];
        for (const [i, u] of raw.entries()) {
          const path = toPath(u, `uris[${i}]`);
          const entry = deps.secrets.index.get(path) ?? (await classifyFile(path).catch(() => undefined));
          if (!entry) throw new KmsError('NotEncrypted', `${basename(path)} is not encrypted (or not readable): nothing to re-key.`);
          entries.push(entry);
        }
      } else if (fromKeyId) {
        entries = deps.secrets.index.filesUnder(fromKeyId);
        if (entries.length === 0) throw new KmsError('NoFiles', `No file of this workspace is encrypted under ${fromKeyId}.`);
      } else if (arg instanceof ReKeyRequest) {
        fromKeyId = arg.fromKeyId;
        entries = deps.secrets.index.filesUnder(fromKeyId);
      } else if (nodes.length) {
        const groups = nodes.filter((n) => n.kind === 'key');
        if (groups.length === 1 && nodes.length === 1 && groups[0].group.keyId !== UNNAMED_KEY) {
          fromKeyId = groups[0].group.keyId;
          entries = deps.secrets.index.filesUnder(fromKeyId);
        } else {
          entries = nodes.flatMap((n) => (n.kind === 'file' ? [n.entry] : n.kind === 'key' ? n.group.files : []));
        }
      } else if (arg instanceof vscode.Uri) {
        const entry = deps.secrets.index.get(arg.fsPath) ?? (await classifyFile(arg.fsPath).catch(() => undefined));
        if (!entry) throw new KmsError('NotEncrypted', `${basename(arg.fsPath)} is not encrypted: nothing to re-key.`);
        entries = [entry];
      } else {
        if (scripted)
          throw new ArgumentError(`${RE_ENCRYPT_FILES}: name the files with "uris" or the key they are under with "fromKeyId".`);
        const groups = deps.secrets.index.groups().filter((g) => g.keyId !== UNNAMED_KEY);
        if (groups.length === 0) throw new KmsError('NoFiles', 'No encrypted file in this workspace names its key.');
        const group = await services.ui.pick(
          groups.map((g) => ({
            label: deps.secrets.known.peek(g.keyId)?.aliases?.[0] ?? g.keyId,
            description: `${g.files.length} files`,
            value: g,
          })),
          { title: 'Re-key all files under which key?' },
        );
        fromKeyId = group.keyId;
        entries = [...group.files];
      }
      entries = [...new Map(entries.map((e) => [e.path, e])).values()];

      // To which key(s).
      const connection = await services.connections.find(args.string('connection', 'a connection label or id'));
      // Every KMS call guarded by the account-trust check: files under keys of untrusted accounts are refused.
      const kms = editorKmsFor(services, connection);
      const gatewayFor = kms.gatewayFor;
      let targets = args.stringArray('toKeyIds', 'an array of key ids, key ARNs or alias names') ?? [];
      const one = args.string('toKeyId', 'a key id, key ARN or alias name');
      if (one) targets = [one, ...targets];
      if (targets.length === 0) {
        if (scripted) throw new ArgumentError(`${RE_ENCRYPT_FILES}: name the new key with "toKeyId" (or "toKeyIds").`);
        const picked = await pickKey(services.ui, gatewayFor(undefined), connection, {
          title: `Re-key ${entries.length} file${entries.length === 1 ? '' : 's'} to`,
          filter: (meta) =>
            meta.KeyState === 'Enabled' &&
            meta.KeyUsage === 'ENCRYPT_DECRYPT' &&
            meta.KeySpec === 'SYMMETRIC_DEFAULT' &&
            (!fromKeyId || meta.KeyId !== keyIdOf(fromKeyId)),
          emptyMessage: `No other enabled symmetric key in ${connection.label}.`,
        });
        targets = [picked.ref];
      }
      // The new keys are the person's choice (an argument or the picker), like a keyId argument.
      for (const t of targets) kms.guard.allowKey(t);
      const toKeyArns: string[] = [];
      for (const t of targets) {
        const meta = await gatewayFor(regionOfKeyArn(t)).describeKey(t);
        if (meta.KeyState !== 'Enabled')
          throw new KmsError('KeyNotUsable', `The new key ${t} is ${meta.KeyState ?? 'not usable'}: files cannot be re-keyed to it.`);
        if (!meta.Arn) throw new KmsError('MalformedResponse', `DescribeKey did not name the ARN of ${t}.`);
        toKeyArns.push(meta.Arn);
      }

      // The plan.
      const plan = planReKey(entries, { toKeyArns, fromKeyId });
      const label = (ref: string): string => keyLabel(ref, deps.secrets.known.peek(keyIdOf(ref)) ?? undefined);
      const rel = (p: string): string => vscode.workspace.asRelativePath(p);
      const lines = describePlan(plan, label, rel);
      services.log.info(`Re-key plan (${plan.items.length} files):\n  ${lines.join('\n  ')}`);
      if (!confirmed) {
        const work = plan.items.filter((i) => !i.obstacle && !i.alreadyDone).length;
        if (work === 0) throw new KmsError('NothingToDo', `Nothing to re-key:\n${lines.join('\n')}`);
        await services.ui.confirm(`Re-key ${work} file${work === 1 ? '' : 's'} to ${toKeyArns.map(label).join(', ')}?`, {
          detail:
            `${lines.slice(0, 30).join('\n')}${lines.length > 30 ? `\n… and ${lines.length - 30} more (see the log)` : ''}\n\nEach ` +
            'file is replaced atomically and checked to open with the new key. ' +
            'The plaintext never leaves KMS for blobs and message headers.',
          confirmLabel: 'Re-key',
        });
      }

      // The run.
      const envelope = kms.envelope;
      const sopsKeys: SopsKeyService = {
        decryptDataKey: async (key, signal) =>
          (
            await gatewayFor(regionOfKeyArn(key.arn)).decrypt(
              {
                ciphertext: Buffer.from(key.enc, 'base64'),
                keyId: key.arn,
                encryptionContext: key.context ? { ...key.context } : undefined,
              },
              { abortSignal: signal },
            )
          ).plaintext,
        encryptDataKey: async (key, dataKey, signal) =>
          (
            await gatewayFor(regionOfKeyArn(key.arn)).encrypt(
              { keyId: key.arn, plaintext: dataKey, encryptionContext: key.context ? { ...key.context } : undefined },
              { abortSignal: signal },
            )
          ).ciphertext,
      };
      const results = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Re-keying files', cancellable: true },
        async (progress, token) => {
          const abort = new AbortController();
          const sub = token.onCancellationRequested(() => abort.abort());
          try {
            return await runReKey(plan, {
              gatewayFor,
              job: { envelope, gatewayFor, faults: deps.writeFaults },
              sopsKeys,
              signal: abort.signal,
              journal: {
                load: () => deps.workspaceState.get<ReKeyJournalState>(JOURNAL_KEY),
                save: (state) => Promise.resolve(deps.workspaceState.update(JOURNAL_KEY, state)),
              },
              onFile: (done, total, path) =>
                progress.report({ message: `${done + 1} of ${total}: ${basename(path)}`, increment: 100 / total }),
            });
          } finally {
            sub.dispose();
          }
        },
      );
      for (const r of results) {
        if (r.status === 'done') {
          await deps.secrets.index.update(r.path);
        }
      }
      await deps.secrets.resolveKeys();
      const done = results.filter((r) => r.status === 'done').length;
      const failed = results.find((r) => r.status === 'failed');
      const notRun = results.filter((r) => r.status === 'notRun').length;
      services.log.info(`Re-key: ${results.map((r) => `${r.path}: ${r.status}${r.message ? ` (${r.message})` : ''}`).join('; ')}`);
      if (failed) {
        const text =
          `Re-keyed ${done} file${done === 1 ? '' : 's'}; ${basename(failed.path)} ` +
          `failed: ${failed.message}${notRun ? ` ${notRun} not started — run the re-key again to finish (done files are skipped).` : ''}`;
        if (!scripted) void vscode.window.showWarningMessage(text, 'Show Log').then((c) => c && services.log.show());
      } else if (!scripted) {
        const skipped = results.filter((r) => r.status === 'skipped').length;
        notify(
          `Re-keyed ${done} file${done === 1 ? '' : 's'} ` +
            `to ${toKeyArns.map(label).join(', ')}${skipped ? ` (${skipped} skipped: see the log)` : ''}.`,
        );
      }
      return results.map((r) => ({
        uri: vscode.Uri.file(r.path).toString(),
        status: r.status,
        format: r.format,
        fromKeys: r.fromKeys,
        keyIds: r.keyIds,
        method: r.method,
        message: r.message,
      }));
    },
  };
}

/**
 * `kmsWorkbench.refreshWorkspaceSecrets` `{}`: scans the workspace again (only changed files are
 * read) and looks up the state of every key again. Returns `{ files, encrypted }`.
 */
export function refreshWorkspaceSecrets(deps: InventoryDeps): CommandSpec<{ files: number; encrypted: number }> {
  return {
    id: 'kmsWorkbench.refreshWorkspaceSecrets',
    action: 'refresh the workspace secrets',
    run: async (arg) => {
      Args.from('kmsWorkbench.refreshWorkspaceSecrets', isPlainObject(arg) ? arg : undefined, []);
      await deps.secrets.rescan({ refreshKeys: true });
      const s = deps.secrets.state;
      return { files: s.kind === 'ready' ? s.files : deps.secrets.index.size, encrypted: deps.secrets.index.entries().length };
    },
  };
}

export interface WorkspaceSecretsListing {
  readonly keys: readonly {
    keyId: string;
    refs: readonly string[];
    alias?: string;
    state?: string;
    connection?: string;
    files: readonly {
      uri: string;
      format: string;
      formatLabel: string;
      keyRefs: readonly string[];
      encryptionContext?: Record<string, string>;
      otherMasterKeys?: readonly string[];
      problems: readonly string[];
    }[];
  }[];
  readonly plaintextSecrets: readonly string[];
}

/**
 * `kmsWorkbench.listWorkspaceSecrets` `{}`: the inventory as the Workspace secrets view shows
 * it: `{ keys: [{ keyId, refs, alias, state, connection, files: [{ uri, format, formatLabel,
 * keyRefs, encryptionContext, otherMasterKeys, problems }] }], plaintextSecrets: [uri] }`.
 */
export function listWorkspaceSecrets(deps: InventoryDeps): CommandSpec<WorkspaceSecretsListing> {
  return {
    id: 'kmsWorkbench.listWorkspaceSecrets',
    action: 'list the workspace secrets',
    run: async (arg) => {
      Args.from('kmsWorkbench.listWorkspaceSecrets', isPlainObject(arg) ? arg : undefined, []);
      await deps.secrets.ready();
      return {
        keys: deps.secrets.index.groups().map((g) => {
          const known = deps.secrets.known.peek(g.keyId) ?? undefined;
          return {
            keyId: g.keyId,
            refs: g.refs,
            alias: known?.aliases?.[0],
            state: known?.state,
            connection: known?.connectionLabel,
            files: g.files.map((f) => ({
              uri: vscode.Uri.file(f.path).toString(),
              format: f.format,
              formatLabel: f.formatLabel,
              keyRefs: f.keyRefs,
              encryptionContext: f.encryptionContext ?? (f.kmsContexts ? Object.values(f.kmsContexts)[0] : undefined),
              otherMasterKeys: f.otherMasterKeys,
              problems: deps.secrets.problemsOf(f).map((p) => p.kind),
            })),
          };
        }),
        plaintextSecrets: [...deps.secrets.plaintextSecrets].sort().map((p) => vscode.Uri.file(p).toString()),
      };
    },
  };
}

async function hookFolder(command: string, args: Args, services: Services): Promise<string> {
  const given = args.string('folder', 'an absolute folder path');
  if (given) return toFolder(command, given);
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) throw new KmsError('NoFolder', 'Open a folder (a git repository) first.');
  if (folders.length === 1) return folders[0].uri.fsPath;
  return services.ui.pick<string>(
    folders.map((f) => ({ label: f.name, description: f.uri.fsPath, value: f.uri.fsPath })),
    { title: 'Which repository?' },
  );
}

function toFolder(command: string, value: string): string {
  if (value.startsWith('/') || /^[A-Za-z]:[\\/]/.test(value)) return value;
  if (/^file:\/\//.test(value)) return vscode.Uri.parse(value).fsPath;
  throw new ArgumentError(`${command}: "folder" must be an absolute path of a folder in a git repository.`);
}

/**
 * `kmsWorkbench.installPreCommitHook` `{ folder?, confirm }`: installs a git pre-commit hook in
 * the repository of `folder` (default: the workspace folder) that refuses a commit of a
 * plaintext secrets file (kmsWorkbench.secretsFiles, .sops.yaml path_regex). An existing hook
 * keeps running (first). With an argument object it needs `confirm: true`. Returns
 * `{ hookPath, previousHook, reinstalled }`.
 */
export function installPreCommitHook(): CommandSpec<InstallResult> {
  const id = 'kmsWorkbench.installPreCommitHook';
  return {
    id,
    action: 'install the pre-commit hook',
    run: async (arg, services) => {
      const args = Args.from(id, isPlainObject(arg) ? arg : undefined, ['folder', 'confirm']);
      const confirmed = confirmedByArgs(id, arg, args, 'writes a git hook into the repository');
      const folder = await hookFolder(id, args, services);
      const globs = secretsFileGlobs(vscode.Uri.file(folder));
      if (!confirmed) {
        await services.ui.confirm('Install the KMS Workbench pre-commit hook?', {
          detail:
            `Commits in the repository of ${folder} will be refused while they stage a plaintext file ` +
            `matching ${globs.join(', ') || 'no kmsWorkbench.secretsFiles pattern'} or a .sops.yaml creation ` +
            'rule. An existing pre-commit hook keeps running. Bypass once with git commit --no-verify. "KMS: ' +
            'Uninstall Pre-commit Hook" removes it.',
          confirmLabel: 'Install Hook',
        });
      }
      const result = await installHook(folder, {
        scriptPath: join(services.extensionUri.fsPath, 'dist', 'secretsScan.js'),
        secretsFiles: globs,
      });
      services.log.info(
        `Pre-commit hook ${result.reinstalled ? 'refreshed' : 'installed'} ` +
          `at ${result.hookPath}${result.previousHook ? ` (the previous hook runs first: ${result.previousHook})` : ''}.`,
      );
      if (!isScripted(arg)) notify(`Installed the pre-commit hook${result.previousHook ? '; your previous hook still runs first' : ''}.`);
      return result;
    },
  };
}

/**
 * `kmsWorkbench.uninstallPreCommitHook` `{ folder?, confirm }`: removes the hook and puts back
 * the one it had set aside. With an argument object it needs `confirm: true`. Returns
 * `{ hookPath, removed, restored }`.
 */
export function uninstallPreCommitHook(): CommandSpec<UninstallResult> {
  const id = 'kmsWorkbench.uninstallPreCommitHook';
  return {
    id,
    action: 'uninstall the pre-commit hook',
    run: async (arg, services) => {
      const args = Args.from(id, isPlainObject(arg) ? arg : undefined, ['folder', 'confirm']);
      const confirmed = confirmedByArgs(id, arg, args, 'removes a git hook from the repository');
      const folder = await hookFolder(id, args, services);
      if (!confirmed)
        await services.ui.confirm('Uninstall the KMS Workbench pre-commit hook?', {
          detail: 'Plaintext secrets files will no longer be refused at commit. A hook that was there before is put back.',
          confirmLabel: 'Uninstall Hook',
        });
      const result = await uninstallHook(folder);
      if (!isScripted(arg))
        notify(
          result.removed
            ? `Removed the pre-commit hook${result.restored ? ' and put back the previous one' : ''}.`
            : 'The KMS Workbench pre-commit hook was not installed.',
        );
      return result;
    },
  };
}

/** Quick fixes of the Problems entries: Enable Key, Cancel Key Deletion, Re-key…, Encrypt File. */
export class SecretsCodeActions implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  provideCodeActions(document: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    for (const d of context.diagnostics) {
      if (d.source !== DIAGNOSTIC_SOURCE) continue;
      if (d.code === PLAINTEXT_CODE) {
        const a = new vscode.CodeAction('Encrypt File', vscode.CodeActionKind.QuickFix);
        a.command = { command: 'kmsWorkbench.encryptFile', title: 'Encrypt File', arguments: [document.uri] };
        a.diagnostics = [d];
        a.isPreferred = true;
        actions.push(a);
        continue;
      }
      const problem = problemOf.get(d);
      if (!problem) continue;
      const keyArg = { keyId: problem.known?.arn ?? problem.keyRef, connection: problem.known?.connectionId };
      for (const fix of problem.fixes) {
        const title = fix === 'enableKey' ? 'Enable Key' : fix === 'cancelKeyDeletion' ? 'Cancel Key Deletion' : 'Re-key File…';
        const a = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
        a.diagnostics = [d];
        if (fix === 'enableKey') a.command = { command: 'kmsWorkbench.enableKey', title, arguments: [keyArg] };
        else if (fix === 'cancelKeyDeletion') a.command = { command: 'kmsWorkbench.cancelKeyDeletion', title, arguments: [keyArg] };
        else a.command = { command: RE_ENCRYPT_FILES, title, arguments: [document.uri] };
        if (fix !== 'reKey') a.isPreferred = true;
        actions.push(a);
      }
    }
    return actions;
  }
}
