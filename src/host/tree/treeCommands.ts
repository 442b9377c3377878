import * as vscode from 'vscode';
import { Args } from '../../core/args/readArgs';
import type { Connection } from '../../core/aws/connection';
import { inertLabel } from '../../core/text/inertText';
import { KmsError } from '../../core/kms/errors';
import { collect } from '../../core/kms/gateway';
import { isAwsAlias, shortAliasName } from '../../core/tree/aliasIndex';
import { consoleUrl, keyLabel } from '../../core/tree/keyPresentation';
import { type CommandSpec, runSsoLogin } from '../commands/commandRunner';
import type { Services } from '../services';
import { keyTargetOf, targetOf } from '../targets';
import { type ResolvedKey, resolveKeyOf } from '../keys/keyResolver';
import { connectionNodeId } from './connectionNodes';
import type { KmsTreeProvider } from './kmsTreeProvider';
import type { PolicyDocuments } from './policyDocuments';
import { ErrorNode, LoadMoreNode, SignInNode, TreeNode } from './treeNode';

const keyFields = ['keyId', 'connection'];

/**
 * The key a view command acts on (a node, `{ keyId, connection }`, or a picker that also
 * lists AWS managed keys), described only when the command needs its metadata: what the
 * view knows first, else DescribeKey.
 */
async function chooseKey(commandId: string, arg: unknown, services: Services, tree: KmsTreeProvider, title: string, extraFields: readonly string[] = []): Promise<{ key: ResolvedKey; args: Args }> {
  const args = Args.from(commandId, keyTargetOf(arg) ? undefined : arg, [...keyFields, ...extraFields]);
  const key = await resolveKeyOf(arg, args, services, {
    title,
    includeAwsManaged: true,
    describe: 'whenNeeded',
    known: (connection, ref) => tree.directoryOf(connection.id)?.peekMetadata(ref),
  });
  return { key, args };
}

async function copy(text: string, what: string): Promise<string> {
  await vscode.env.clipboard.writeText(text);
  vscode.window.setStatusBarMessage(`$(copy) Copied ${what}: ${text}`, 4000);
  return text;
}

/**
 * Reveals and selects a node. A refresh the view is still applying (after a change the
 * extension made, or pages just loaded) can re-render the folder after the reveal and drop
 * the selection: pending changes are sent first, and the reveal is repeated (up to 3 times)
 * until the workbench reports the node selected.
 */
async function revealAndSelect(view: vscode.TreeView<TreeNode>, tree: KmsTreeProvider, node: TreeNode): Promise<void> {
  await tree.settled();
  for (let attempt = 1; ; attempt++) {
    const selected = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        listener.dispose();
        resolve(view.selection.includes(node));
      }, 1500);
      const listener = view.onDidChangeSelection((e) => {
        if (!e.selection.includes(node)) return;
        clearTimeout(timer);
        listener.dispose();
        resolve(true);
      });
    });
    await view.reveal(node, { select: true, focus: true, expand: false });
    if (view.selection.includes(node) || (await selected) || attempt === 3) return;
  }
}

/** What `kmsWorkbench.revealKey` returns. */
export interface RevealKeyResult {
  readonly keyId: string;
  readonly connection: string;
  /** False when the view's filter hides the key (the filter is kept). */
  readonly revealed: boolean;
}

export function treeCommands(tree: KmsTreeProvider, policies: PolicyDocuments, view: vscode.TreeView<TreeNode>): CommandSpec[] {
  /** `kmsWorkbench.refreshView`: reloads the whole KMS view (and re-reads settings and AWS config files). No arguments; returns nothing. */
  const refresh: CommandSpec<void> = {
    id: 'kmsWorkbench.refreshView',
    action: 'refresh the KMS view',
    run: (arg) => {
      Args.from('kmsWorkbench.refreshView', arg, []);
      tree.refreshAll();
      return Promise.resolve();
    },
  };

  /**
   * `kmsWorkbench.refreshNode` `{ connection?, keyId? }`: refreshes a node of the view (from
   * its menu), or a key (`keyId`) or a connection; with neither, the whole view. Returns nothing.
   */
  const refreshNode: CommandSpec<void> = {
    id: 'kmsWorkbench.refreshNode',
    action: 'refresh',
    run: async (arg, services) => {
      if (arg instanceof TreeNode) {
        tree.refreshNode(arg);
        return;
      }
      const args = Args.from('kmsWorkbench.refreshNode', arg, keyFields);
      const ref = args.string('connection', 'a connection label or id');
      const keyId = args.string('keyId', 'a key id');
      if (ref === undefined && keyId === undefined) {
        tree.refreshAll();
        return;
      }
      const connection = await services.connections.find(ref);
      if (keyId) await tree.keyChanged({ connectionId: connection.id, keyId });
      else tree.resetConnection(connection);
    },
  };

  /**
   * `kmsWorkbench.filterKeys` `{ filter? }`: shows only keys whose alias, key id, description
   * or tags (`key=value`) contain every word of the filter; an empty filter clears it.
   * Without `filter`, asks for it. Returns the filter in effect ('' when none).
   */
  const filterKeys: CommandSpec<string> = {
    id: 'kmsWorkbench.filterKeys',
    action: 'filter the keys',
    run: async (arg, services) => {
      const args = Args.from('kmsWorkbench.filterKeys', arg, ['filter']);
      let text: string;
      if (args.has('filter')) {
        const raw = args.raw('filter');
        if (typeof raw !== 'string') throw new KmsError('InvalidArgument', `kmsWorkbench.filterKeys: "filter" must be a string (empty to clear), not ${typeof raw}.`);
        text = raw;
      } else {
        text = await services.ui.input({
          title: 'Filter keys',
          prompt: 'Words to find in aliases, key ids, descriptions or tags (key=value). Every word must match. Empty clears the filter.',
          placeholder: 'e.g. payments prod',
          value: tree.filter?.text ?? '',
        });
      }
      tree.setFilter(text);
      return tree.filter?.text ?? '';
    },
  };

  /** `kmsWorkbench.clearFilter`: shows every key again. No arguments; returns nothing. */
  const clearFilter: CommandSpec<void> = {
    id: 'kmsWorkbench.clearFilter',
    action: 'clear the filter',
    run: (arg) => {
      Args.from('kmsWorkbench.clearFilter', arg, []);
      tree.setFilter(undefined);
      return Promise.resolve();
    },
  };

  /**
   * `kmsWorkbench.copyArn` `{ keyId?, connection? }`: copies the ARN of a key (or, from an
   * alias node, of the alias). Without a node or keyId, asks for the key. Returns the ARN.
   */
  const copyArn: CommandSpec<string> = {
    id: 'kmsWorkbench.copyArn',
    action: 'copy the ARN',
    run: async (arg, services) => {
      const target = targetOf(arg);
      if (target?.kind === 'alias') {
        const known = tree.directoryOf(target.connection.id)?.peekAliases()?.find(target.aliasName)?.AliasArn;
        if (known) return copy(known, 'alias ARN');
        if (!target.targetKeyId) throw new KmsError('NotFoundException', `Alias ${target.aliasName} points at no key yet, and its ARN is not known. Refresh the KMS view.`);
        const { key } = await chooseKey('kmsWorkbench.copyArn', arg, services, tree, 'Copy key ARN');
        const keyArn = (await key.describe()).Arn ?? '';
        return copy(keyArn.replace(/:key\/.*$/, `:${target.aliasName}`), 'alias ARN');
      }
      const { key } = await chooseKey('kmsWorkbench.copyArn', arg, services, tree, 'Copy key ARN');
      const arn = (await key.describe()).Arn;
      if (!arn) throw new KmsError('MalformedResponse', 'DescribeKey answered without the key ARN: the endpoint does not behave like KMS.');
      return copy(arn, 'key ARN');
    },
  };

  /** `kmsWorkbench.copyKeyId` `{ keyId?, connection? }`: copies a key id (`keyId` may be an alias or ARN). Returns the key id. */
  const copyKeyId: CommandSpec<string> = {
    id: 'kmsWorkbench.copyKeyId',
    action: 'copy the key id',
    run: async (arg, services) => {
      const target = targetOf(arg);
      if (target?.kind === 'alias' && !target.targetKeyId) throw new KmsError('NotFoundException', `Alias ${target.aliasName} points at no key yet.`);
      const { key } = await chooseKey('kmsWorkbench.copyKeyId', arg, services, tree, 'Copy key id');
      const keyId = /^(mrk-)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$|^mrk-[0-9a-f]{32}$/i.test(key.keyId)
        ? key.keyId
        : ((await key.describe()).KeyId ?? key.keyId);
      return copy(keyId, 'key id');
    },
  };

  /**
   * `kmsWorkbench.copyAlias` `{ keyId?, connection? }`: copies an alias name (`alias/…`): the
   * alias node's, or the key's (asks which when it has several). Returns the alias name.
   */
  const copyAlias: CommandSpec<string> = {
    id: 'kmsWorkbench.copyAlias',
    action: 'copy the alias',
    run: async (arg, services) => {
      const target = targetOf(arg);
      if (target?.kind === 'alias') return copy(target.aliasName, 'alias');
      const { key } = await chooseKey('kmsWorkbench.copyAlias', arg, services, tree, 'Copy alias of key');
      let aliases = key.aliases;
      if (!aliases.length) {
        const gateway = key.gateway;
        const keyId = (await key.describe()).KeyId ?? key.keyId;
        aliases = (await collect(gateway.listAliases(keyId))).flatMap((a) => (a.AliasName ? [a.AliasName] : []));
      }
      if (!aliases.length) throw new KmsError('NotFoundException', `The key ${key.keyId} has no alias. Create one first (KMS: Create Alias), then copy it.`);
      const alias = aliases.length === 1 ? aliases[0] : await services.ui.pick(aliases.map((a) => ({ label: inertLabel(a), value: a })), { title: `Copy which alias of ${keyLabel(key.keyId, aliases)}?` });
      return copy(alias, 'alias');
    },
  };

  /**
   * `kmsWorkbench.openInConsole` `{ keyId?, connection? }`: opens the key (or, from a
   * connection node, the region's key list) in the AWS console of the region's partition.
   * Refused for connections with a custom endpoint (LocalStack…): the console shows only
   * AWS KMS. Returns the URL.
   */
  const openInConsole: CommandSpec<string> = {
    id: 'kmsWorkbench.openInConsole',
    action: 'open the AWS console',
    run: async (arg, services) => {
      const target = targetOf(arg);
      const refuseEndpoint = (connection: Connection): void => {
        if (connection.endpoint) {
          throw new KmsError('ConsoleUnavailable', `The connection "${connection.label}" uses the endpoint ${connection.endpoint}; the AWS console only shows keys in AWS KMS itself.`);
        }
      };
      let url: string;
      if (target?.kind === 'connection') {
        refuseEndpoint(target.connection);
        url = consoleUrl(target.connection.region);
      } else {
        if (target?.kind === 'alias' && !target.targetKeyId) throw new KmsError('NotFoundException', `Alias ${target.aliasName} points at no key yet.`);
        const { key } = await chooseKey('kmsWorkbench.openInConsole', arg, services, tree, 'Open key in the AWS console');
        refuseEndpoint(key.connection);
        const metadata = await key.describe();
        const aliases = key.aliases.length ? key.aliases : tree.directoryOf(key.connection.id)?.peekAliases()?.aliasesOf(metadata.KeyId ?? key.keyId) ?? [];
        const awsManaged = metadata.KeyManager === 'AWS' || aliases.some(isAwsAlias);
        url = consoleUrl(key.connection.region, { keyId: metadata.KeyId ?? key.keyId, awsManaged });
      }
      await vscode.env.openExternal(vscode.Uri.parse(url, true));
      return url;
    },
  };

  /**
   * `kmsWorkbench.showKeyPolicy` `{ keyId?, connection?, policyName? }`: opens the key policy
   * as read-only, formatted JSON. Returns the policy text (formatted).
   */
  const showKeyPolicy: CommandSpec<string> = {
    id: 'kmsWorkbench.showKeyPolicy',
    action: 'show the key policy',
    run: async (arg, services) => {
      const { key, args } = await chooseKey('kmsWorkbench.showKeyPolicy', arg, services, tree, 'Show key policy', ['policyName']);
      const policyName = args.string('policyName', 'a policy name (KMS keys have one: "default")') ?? 'default';
      const policy = await key.gateway.getKeyPolicy(key.keyId, policyName);
      const aliases = key.aliases.length ? key.aliases : tree.directoryOf(key.connection.id)?.peekAliases()?.aliasesOf(key.keyId) ?? [];
      await policies.show({ connectionLabel: key.connection.label, connectionId: key.connection.id, keyLabel: aliases.length ? shortAliasName(aliases[0]) : key.keyId, keyId: key.keyId, policyName, policy });
      return policy;
    },
  };

  /**
   * `kmsWorkbench.loadMore` `{ connection?, folder }`: loads the next page under a "Load
   * more" node, or of a connection's folder (`customerKeys`, `awsKeys` or `aliases`).
   * Returns how many entries the folder shows now.
   */
  const loadMore: CommandSpec<number> = {
    id: 'kmsWorkbench.loadMore',
    action: 'load more',
    run: async (arg, services) => {
      if (arg instanceof LoadMoreNode) {
        await arg.load().catch(() => undefined); // the failure shows in the tree, under the folder
        return arg.owner.shownCount();
      }
      const args = Args.from('kmsWorkbench.loadMore', arg, ['connection', 'folder']);
      const folder = args.oneOf('folder', ['customerKeys', 'awsKeys', 'aliases'] as const);
      if (!folder) throw new KmsError('InvalidArgument', 'kmsWorkbench.loadMore needs "folder": customerKeys, awsKeys or aliases (or a "Load more" node).');
      const connection = await services.connections.find(args.string('connection', 'a connection label or id'));
      const id = `${connectionNodeId(connection)}/${{ customerKeys: 'customer', awsKeys: 'aws', aliases: 'aliases' }[folder]}`;
      const node = tree.nodeById(id);
      if (!node || !('loadMore' in node)) throw new KmsError('InvalidArgument', `Open the "${folder}" folder of ${connection.label} in the KMS view first.`);
      const pageable = node as TreeNode & { loadMore(): Promise<void>; shownCount(): number };
      await pageable.loadMore();
      tree.changed(node);
      await tree.getChildren(node);
      return pageable.shownCount();
    },
  };

  /** `kmsWorkbench.retryNode` `{ connection? }`: retries what failed under an error node; scripted, reloads a connection (or everything). */
  const retry: CommandSpec<void> = {
    id: 'kmsWorkbench.retryNode',
    action: 'retry',
    run: async (arg, services) => {
      if (arg instanceof ErrorNode) {
        arg.retry();
        return;
      }
      const args = Args.from('kmsWorkbench.retryNode', arg, ['connection']);
      const ref = args.string('connection', 'a connection label or id');
      if (ref === undefined) tree.refreshAll();
      else tree.resetConnection(await services.connections.find(ref));
    },
  };

  /**
   * `kmsWorkbench.ssoLogin` `{ profile? }`: runs `aws sso login --profile <profile>` in a
   * terminal (from a "Sign in" node, its profile; else asks among the SSO profiles). Returns the profile.
   */
  const ssoLogin: CommandSpec<string> = {
    id: 'kmsWorkbench.ssoLogin',
    action: 'sign in with AWS SSO',
    run: async (arg, services) => {
      let profile: string | undefined;
      if (arg instanceof SignInNode) profile = arg.profile;
      else {
        const args = Args.from('kmsWorkbench.ssoLogin', arg, ['profile']);
        profile = args.string('profile', 'a profile name');
      }
      if (!profile) {
        const files = await services.connections.files();
        const sso = files.profiles().filter((p) => p.kind === 'sso');
        if (!sso.length) throw new KmsError('NoSsoProfile', `No SSO profile in ${files.configPath}. Set one up with: aws configure sso`);
        profile = await services.ui.pick(
          sso.map((p) => ({ label: p.name, description: p.region, value: p.name })),
          { title: 'Sign in to which SSO profile?' },
        );
      }
      runSsoLogin(profile);
      return profile;
    },
  };

  /**
   * `kmsWorkbench.revealKey` `{ keyId?, connection? }`: shows a key in the KMS view and selects
   * it, loading further pages of its folder as needed (`keyId`: key id, key ARN, alias name or
   * alias ARN; without it, a key picker). Returns `{ keyId, connection, revealed }`; `revealed`
   * is false when the view's filter hides the key.
   */
  const revealKey: CommandSpec<RevealKeyResult> = {
    id: 'kmsWorkbench.revealKey',
    action: 'reveal the key in the KMS view',
    run: async (arg, services) => {
      const { key } = await chooseKey('kmsWorkbench.revealKey', arg, services, tree, 'Reveal which key in the KMS view?');
      const metadata = await key.describe();
      const keyId = metadata.KeyId ?? key.keyId;
      await vscode.commands.executeCommand('kmsWorkbench.keys.focus');
      const node = await tree.findKeyNode(key.connection, keyId, metadata.KeyManager === 'AWS');
      if (node) await revealAndSelect(view, tree, node);
      else if (!tree.filter) throw new KmsError('NotShown', `The KMS view does not show ${key.connection.label}: add it to kmsWorkbench.connections.`);
      else if (arg === undefined || arg instanceof TreeNode) {
        const filter = tree.filter.text;
        void vscode.window.showInformationMessage(`${keyId} is hidden by the KMS view's filter "${filter}".`, 'Clear Filter').then((choice) => {
          if (choice) void vscode.commands.executeCommand('kmsWorkbench.clearFilter');
        });
      }
      return { keyId, connection: key.connection.id, revealed: node !== undefined };
    },
  };

  return [refresh, refreshNode, filterKeys, clearFilter, copyArn, copyKeyId, copyAlias, openInConsole, showKeyPolicy, loadMore, retry, ssoLogin, revealKey] as CommandSpec[];
}
