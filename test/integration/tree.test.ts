// The KMS view in the real extension host against the emulator: what it shows for seeded
// data, how it refreshes, pages, filters and fails, the welcome view, and what first paint costs.
import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { EmulatorControl } from '../emulator/control';
import { BULK_REGION, bulkSeed, ids, PAGING_REGION, RICH_REGION, richSeed } from './tree/treeSeeds';
import { type ConnectionSetting, eventually, setConnections, type Shown, type Testing, testing, TreeDriver } from './tree/treeDriver';
import { emulatorUrl } from './util/env';
import { collect } from '../../src/core/kms/gateway';

const ACCOUNT = '111122223333';

describe('KMS view (tree)', function () {
  this.timeout(120_000);
  let t: Testing;
  let tree: TreeDriver;
  let control: EmulatorControl;
  let url: string;
  let previousConnections: unknown;
  const rich = (): ConnectionSetting => ({ label: 'Rich', region: RICH_REGION, endpoint: url });
  const bulk = (): ConnectionSetting => ({ label: 'Bulk', region: BULK_REGION, endpoint: url });
  const paging = (): ConnectionSetting => ({ label: 'Paging', region: PAGING_REGION, endpoint: url });

  before(async function () {
    const api = await testing().catch(() => undefined);
    if (!api) {
      // The packaged .vsix runs outside test mode: no testing hook to read the tree through.
      console.log('      (skipped: the extension exposes no testing API in this run)');
      this.skip();
    }
    t = api;
    tree = new TreeDriver(t);
    url = emulatorUrl();
    control = new EmulatorControl(url);
    await control.seed(richSeed());
    await control.seed(bulkSeed(BULK_REGION, 1000));
    await control.seed(bulkSeed(PAGING_REGION, 250, 0));
    previousConnections = vscode.workspace.getConfiguration('kmsWorkbench').inspect('connections')?.globalValue;
    // Only these tests drive the provider: a visible view would render (and count) as well.
    await vscode.commands.executeCommand('workbench.action.closeSidebar');
    await setConnections(tree, [rich(), bulk(), paging()]);
  });

  after(async () => {
    if (!control) return;
    await control.clearFaults();
    await vscode.workspace.getConfiguration('kmsWorkbench').update('connections', previousConnections, vscode.ConfigurationTarget.Global);
  });

  afterEach(async () => {
    if (!control) return;
    await control.clearFaults();
    await vscode.commands.executeCommand('kmsWorkbench.clearFilter');
  });

  describe('content for seeded data', () => {
    it('shows one node per connection with its folders and, once known, the account id', async () => {
      const roots = await tree.children();
      assert.deepEqual(
        roots.map((r) => [r.label, r.contextValue, r.item.collapsibleState]),
        [
          ['Rich', 'connection', vscode.TreeItemCollapsibleState.Collapsed],
          ['Bulk', 'connection', vscode.TreeItemCollapsibleState.Collapsed],
          ['Paging', 'connection', vscode.TreeItemCollapsibleState.Collapsed],
        ],
      );
      const folders = await tree.children(roots[0]);
      assert.deepEqual(
        folders.slice(0, 3).map((f) => [f.label, f.contextValue]),
        [
          ['Customer managed keys', 'customerKeys'],
          ['AWS managed keys', 'awsKeys'],
          ['Aliases', 'aliases'],
        ],
      );
      // The count of customer managed keys shows before the folder is expanded, like its siblings'.
      await eventually(
        () => assert.equal(tree.show(folders[0].node).description, '9'),
        'the customer managed keys counted before expanding',
      );
      const again = tree.show(roots[0].node);
      assert.match(
        again.description,
        new RegExp(`^${RICH_REGION} · ${ACCOUNT} · 127\\.0\\.0\\.1:\\d+$`),
        'the region (not in the label), the account, the endpoint',
      );
      assert.equal((roots[0].node.target as { kind: string }).kind, 'connection');
      await eventually(async () => {
        const later = await tree.children(roots[0]);
        assert.equal(later[3]?.label, 'Custom key stores');
      }, 'the Custom key stores folder (probed after first paint)');
      const stores = await tree.children(await tree.path('Rich', 'Custom key stores'));
      assert.deepEqual(
        stores.map((s) => [s.label, s.description, s.contextValue]),
        [['hsm-store', 'CloudHSM key store · disconnected', 'customKeyStore state-DISCONNECTED type-AWS_CLOUDHSM']],
      );
    });

    it('names customer managed keys by alias (else id) and describes them: spec · state, icon by state and type, context value from the key-state table', async () => {
      const folder = await tree.path('Rich', 'Customer managed keys');
      const first = await tree.children(folder);
      assert.deepEqual(
        first.map((k) => k.label),
        ['byok', 'global', 'in-hsm', 'old-disabled', 'payments/api', 'release-signing', 'to-delete', 'webhook-mac', ids.bare],
        'aliased keys sorted by alias, then keys without one; the AWS managed key is not here',
      );
      await tree.settled();
      const keys = new Map((await tree.children(folder)).map((k) => [k.label, k]));
      const k = (label: string): Shown => {
        const found = keys.get(label);
        assert.ok(found, label);
        return found;
      };
      assert.equal(tree.show(folder.node).description, '9');
      assert.equal(k('payments/api').description, 'Enabled · symmetric');
      assert.equal(k('release-signing').description, 'Enabled · P-256');
      assert.equal(k('webhook-mac').description, 'Enabled · HMAC 256');
      assert.equal(k('old-disabled').description, 'Disabled · symmetric');
      assert.equal(k('to-delete').description, 'Deletes 2031-03-01 · symmetric');
      assert.equal(k('byok').description, 'Pending import · symmetric');
      assert.equal(k('in-hsm').description, 'Unavailable · symmetric');
      // The pending-import key offers its import (inline and in its menu); a KMS key does not.
      assert.match(k('byok').contextValue ?? '', /\bcan-importKeyMaterial\b.*\bstate-PendingImport\b/);
      assert.doesNotMatch(k('byok').contextValue ?? '', /\bcan-deleteImportedKeyMaterial\b/);
      assert.doesNotMatch(k('payments/api').contextValue ?? '', /\bcan-importKeyMaterial\b/);

      assert.deepEqual(
        ['payments/api', 'release-signing', 'webhook-mac', 'old-disabled', 'to-delete', 'byok', 'in-hsm'].map(
          (l) => `${l}:${k(l).icon}:${k(l).iconColor ?? ''}`,
        ),
        [
          'payments/api:key:',
          'release-signing:verified:',
          'webhook-mac:shield:',
          'old-disabled:circle-slash:disabledForeground',
          'to-delete:trash:list.errorForeground',
          'byok:cloud-upload:list.warningForeground',
          'in-hsm:debug-disconnect:list.warningForeground',
        ],
      );

      const tokens = (label: string): string[] => k(label).contextValue.split(' ');
      assert.equal(tokens('payments/api')[0], 'key');
      for (const token of [
        'can-encrypt',
        'can-disable',
        'can-scheduleDeletion',
        'can-changeRotation',
        'can-createGrant',
        'state-Enabled',
        'manager-CUSTOMER',
        'usage-ENCRYPT_DECRYPT',
        'spec-SYMMETRIC_DEFAULT',
        'has-alias',
      ]) {
        assert.ok(tokens('payments/api').includes(token), `payments/api lacks ${token}: ${k('payments/api').contextValue}`);
      }
      assert.ok(!tokens('payments/api').includes('can-enable'));
      assert.ok(!tokens('payments/api').includes('can-sign'));
      assert.ok(
        tokens('old-disabled').includes('can-enable') &&
          !tokens('old-disabled').includes('can-encrypt') &&
          tokens('old-disabled').includes('state-Disabled'),
      );
      assert.ok(tokens('to-delete').includes('can-cancelDeletion') && !tokens('to-delete').includes('can-scheduleDeletion'));
      assert.ok(
        tokens('release-signing').includes('can-sign') &&
          !tokens('release-signing').includes('can-encrypt') &&
          tokens('release-signing').includes('usage-SIGN_VERIFY'),
      );
      assert.ok(tokens('global').includes('mr-primary'));
      assert.ok(!k(ids.bare).contextValue.includes('has-alias'));

      const tip = await tree.tooltip(k('payments/api'));
      // What the tooltip shows: text from the server is markdown-escaped (every ASCII punctuation), so compare unescaped.
      const shown = unescapeMarkdown(tip);
      for (const text of [
        `arn:aws:kms:${RICH_REGION}:${ACCOUNT}:key/${ids.payments}`,
        '`alias/payments/api`, `alias/payments/legacy`',
        'Payments API data key',
        'Origin: AWS_KMS',
        'Rotation: on, every 180 days',
        'Multi-Region: no',
      ]) {
        assert.ok(shown.includes(text), `tooltip lacks ${text}:\n${tip}`);
      }
      assert.match(unescapeMarkdown(await tree.tooltip(k('to-delete'))), /Deletion date: 2031-03-01/);
      assert.match(unescapeMarkdown(await tree.tooltip(k('global'))), /primary key; replicas in us-west-2/);
      const target = k('payments/api').node.target as { kind: string; keyId: string; metadata?: { KeyState?: string }; aliases?: string[] };
      assert.deepEqual(
        [target.kind, target.keyId, target.metadata?.KeyState, target.aliases],
        ['key', ids.payments, 'Enabled', ['alias/payments/api', 'alias/payments/legacy']],
      );
    });

    it('shows a key’s aliases, grants, policy, tags, rotation (with history) and, for multi-Region keys, replicas', async () => {
      const key = await tree.path('Rich', 'Customer managed keys', 'payments/api');
      assert.deepEqual(
        (await tree.children(key)).map((c) => [c.label, c.contextValue]),
        [
          ['Aliases', 'keyAliases'],
          ['Grants', 'grants'],
          ['Key policy', 'policy can-editPolicy'],
          ['Tags', 'tags'],
          ['Rotation', 'rotation'],
          ['Last used', 'info'],
        ],
      );
      assert.deepEqual(
        (await tree.children(await tree.child(key, 'Aliases'))).map((a) => [a.label, a.contextValue]),
        [
          ['payments/api', 'alias'],
          ['payments/legacy', 'alias'],
        ],
      );

      const grants = await tree.child(key, 'Grants');
      const [grant] = await tree.children(grants);
      assert.deepEqual(
        [grant.label, grant.description, grant.contextValue],
        ['payments-worker', `role/payments-worker (${ACCOUNT}) · Decrypt, GenerateDataKey`, 'grant'],
      );
      assert.equal((grant.node.target as { kind: string }).kind, 'grant');
      const facts = Object.fromEntries((await tree.children(grant)).map((f) => [f.label, f.description]));
      assert.equal(facts.Grantee, `arn:aws:iam::${ACCOUNT}:role/payments-worker`);
      assert.equal(facts.Operations, 'Decrypt, GenerateDataKey');
      assert.equal(facts.Constraints, 'encryption context includes {app=payments}');
      assert.equal(facts.Name, 'payments-worker');
      assert.equal(facts['Retiring principal'], `arn:aws:iam::${ACCOUNT}:role/payments-admin`);
      assert.ok(
        (await tree.children(grant)).every((f) => f.icon),
        'every detail row has an icon, so the labels line up',
      );
      assert.equal(tree.show(grants.node).description, '1');

      const policy = await tree.child(key, 'Key policy');
      assert.equal(policy.item.command?.command, t.tree.policyCommand);
      assert.equal(policy.item.command?.arguments?.[0], policy.node);
      assert.equal((policy.node.target as { keyId: string }).keyId, ids.payments);

      assert.deepEqual(
        (await tree.children(await tree.child(key, 'Tags'))).map((x) => `${x.label}=${x.description}`),
        ['env=prod', 'team=payments'],
      );

      const rotation = await tree.child(key, 'Rotation');
      const rotationFacts = (await tree.children(rotation)).map((x) => `${x.label}: ${x.description}`);
      assert.deepEqual(rotationFacts.slice(0, 2), ['Automatic rotation: on', 'Rotation period: 180 days']);
      assert.ok(
        rotationFacts.some((f) => /^Next rotation: \d{4}-\d\d-\d\d$/.test(f)),
        rotationFacts.join('\n'),
      );
      assert.ok(rotationFacts.includes('Rotated 2024-01-15 09:00 UTC: automatic'), rotationFacts.join('\n'));
      assert.ok(rotationFacts.includes('Rotated 2024-06-01 12:30 UTC: on demand'), rotationFacts.join('\n'));
      assert.match(tree.show(rotation.node).description, /^on, every 180 days, next \d{4}-\d\d-\d\d$/);
      assert.ok(
        (await tree.children(rotation)).every((f) => f.icon),
        'facts and history rows all have icons, so their labels line up',
      );
      assert.equal(policy.description, '', 'no "default" beside the policy: it would read as the default policy');

      const signing = await tree.path('Rich', 'Customer managed keys', 'release-signing');
      assert.deepEqual(
        (await tree.children(signing)).map((c) => c.label),
        ['Aliases', 'Grants', 'Key policy', 'Tags', 'Last used'],
        'no rotation for asymmetric keys',
      );

      const global = await tree.path('Rich', 'Customer managed keys', 'global');
      const replicas = await tree.child(global, 'Replicas');
      assert.deepEqual(
        (await tree.children(replicas)).map((r) => [r.label, r.description, r.contextValue]),
        [
          [RICH_REGION, 'primary · this key', 'replica'],
          ['us-west-2', 'replica', 'replica'],
        ],
      );
      const replicaTarget = (await tree.child(replicas, 'us-west-2')).node.target as {
        connection: { region: string; endpoint?: string };
        keyId: string;
      };
      assert.deepEqual(
        [replicaTarget.connection.region, replicaTarget.connection.endpoint, replicaTarget.keyId],
        ['us-west-2', url, ids.global],
      );
    });

    it('lists AWS managed keys through their aliases, and every alias of the region with its target', async () => {
      const awsKeys = await tree.children(await tree.path('Rich', 'AWS managed keys'));
      assert.deepEqual(
        awsKeys.map((k) => k.label),
        ['aws/s3'],
      );
      await tree.settled();
      const s3 = tree.show(awsKeys[0].node);
      assert.ok(s3.contextValue.includes('manager-AWS') && !s3.contextValue.includes('can-disable'), s3.contextValue);
      // Its policy cannot be changed: no edit pencil (the policy's context value), and a click shows it read-only.
      const s3Policy = await tree.child(awsKeys[0], 'Key policy');
      assert.equal(s3Policy.contextValue, 'policyReadOnly');
      assert.equal(s3Policy.item.command?.command, 'kmsWorkbench.showKeyPolicy');
      const aliases = await tree.children(await tree.path('Rich', 'Aliases'));
      const byLabel = new Map(aliases.map((a) => [a.label, a]));
      assert.equal(byLabel.get('payments/api')?.description, '→ payments/legacy', 'the target named by its other alias');
      assert.equal(byLabel.get('payments/legacy')?.description, '→ payments/api');
      assert.equal(byLabel.get('aws/ebs')?.description, 'no key yet (AWS creates it on first use)');
      assert.equal(byLabel.get('aws/s3')?.contextValue, 'alias aws-managed');
      assert.equal(aliases[0].label, 'byok', 'customer aliases first');
      assert.deepEqual(byLabel.get('payments/api')?.node.target, {
        kind: 'alias',
        connection: (byLabel.get('payments/api')?.node.target as { connection: unknown }).connection,
        aliasName: 'alias/payments/api',
        targetKeyId: ids.payments,
      });
    });

    it('opens the key policy as read-only JSON', async () => {
      const policy = await tree.path('Rich', 'Customer managed keys', 'payments/api', 'Key policy');
      const text = await vscode.commands.executeCommand<string>('kmsWorkbench.showKeyPolicy', policy.node);
      const editor = vscode.window.activeTextEditor;
      assert.ok(editor);
      assert.equal(editor.document.uri.scheme, 'kms-key-policy');
      assert.equal(editor.document.languageId, 'json');
      const shown = JSON.parse(editor.document.getText()) as { Statement: unknown[] };
      assert.ok(Array.isArray(shown.Statement) && shown.Statement.length > 0);
      assert.deepEqual(JSON.parse(text), shown);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    });

    it('copies ARN, key id and alias', async () => {
      const key = await tree.path('Rich', 'Customer managed keys', 'release-signing');
      const arn = await vscode.commands.executeCommand<string>('kmsWorkbench.copyArn', key.node);
      assert.equal(arn, `arn:aws:kms:${RICH_REGION}:${ACCOUNT}:key/${ids.signing}`);
      assert.equal(await vscode.env.clipboard.readText(), arn);
      assert.equal(
        await vscode.commands.executeCommand('kmsWorkbench.copyKeyId', { keyId: 'alias/release-signing', connection: 'Rich' }),
        ids.signing,
      );
      assert.equal(await vscode.commands.executeCommand('kmsWorkbench.copyAlias', key.node), 'alias/release-signing');
      const alias = await tree.path('Rich', 'Aliases', 'payments/legacy');
      assert.equal(
        await vscode.commands.executeCommand('kmsWorkbench.copyArn', alias.node),
        `arn:aws:kms:${RICH_REGION}:${ACCOUNT}:alias/payments/legacy`,
      );
      await assert.rejects(
        Promise.resolve(vscode.commands.executeCommand('kmsWorkbench.openInConsole', { keyId: ids.signing, connection: 'Rich' })),
        /the AWS console only shows keys in AWS KMS itself/,
      );
    });
  });

  describe('refresh', () => {
    it('shows a state change made through the emulator after the key is refreshed, and after a change the extension announces', async () => {
      const folder = await tree.path('Rich', 'Customer managed keys');
      const bare = await tree.child(folder, ids.bare);
      await tree.settled();
      assert.equal(tree.show(bare.node).description, 'Enabled · symmetric');
      await control.setKeyState(RICH_REGION, ids.bare, 'Disabled');
      assert.equal(tree.show(bare.node).description, 'Enabled · symmetric', 'cached until refreshed');
      await vscode.commands.executeCommand('kmsWorkbench.refreshNode', bare.node);
      assert.equal((await tree.again(bare)).description, 'Disabled · symmetric');

      await control.setKeyState(RICH_REGION, ids.bare, 'Enabled');
      const connection = (bare.node.target as { connection: { id: string } }).connection;
      t.services.fireKeyChanged({ connectionId: connection.id, keyId: ids.bare });
      await eventually(
        async () => assert.equal((await tree.again(bare)).description, 'Enabled · symmetric'),
        'the announced change to show',
      );
    });

    it('picks up a new alias after a change without a key id, and everything after Refresh', async () => {
      const folder = await tree.path('Rich', 'Customer managed keys');
      const connection = (folder.node.target as { connection: { id: string } }).connection;
      const gateway = t.services.kms.gateway(
        (folder.node.target as { connection: Parameters<Testing['services']['kms']['gateway']>[0] }).connection,
      );
      await gateway.createAlias('alias/0-renamed', ids.bare);
      t.services.fireKeyChanged({ connectionId: connection.id });
      await eventually(
        async () => assert.ok((await tree.children(folder)).some((k) => k.label === '0-renamed')),
        'the new alias to name the key',
      );
      await gateway.deleteAlias('alias/0-renamed');
      await vscode.commands.executeCommand('kmsWorkbench.refreshView');
      await eventually(
        async () => assert.ok((await tree.children(await tree.path('Rich', 'Customer managed keys'))).some((k) => k.label === ids.bare)),
        'Refresh to drop the deleted alias',
      );
    });
  });

  describe('paging', () => {
    it('shows 250 keys 100 at a time with "Load more"', async () => {
      await vscode.commands.executeCommand('kmsWorkbench.refreshNode', { connection: 'Paging' });
      await control.resetCalls();
      const folder = await tree.path('Paging', 'Customer managed keys');
      let shown = await tree.children(folder);
      assert.equal(shown.length, 101);
      const more = shown[100];
      assert.deepEqual(
        [more.label, more.description, more.contextValue, more.item.command?.command],
        ['Load more keys…', '100 shown', 'loadMore', 'kmsWorkbench.loadMore'],
      );
      assert.equal(tree.show(folder.node).description, '100+');
      assert.equal(await vscode.commands.executeCommand('kmsWorkbench.loadMore', more.node), 200);
      shown = await tree.children(folder);
      assert.equal(shown.length, 201);
      assert.equal(shown[200].label, 'Load more keys…');
      await vscode.commands.executeCommand('kmsWorkbench.loadMore', shown[200].node);
      shown = await tree.children(folder);
      assert.equal(shown.length, 250);
      assert.ok(
        shown.every((s) => s.contextValue.startsWith('key')),
        'no Load more after the last page',
      );
      assert.equal(new Set(shown.map((s) => s.label)).size, 250);
      assert.equal(tree.show(folder.node).description, '250');
      assert.equal(await control.callCount('ListKeys'), 3);
    });

    it('after a filter has listed every page, clearing it shows only the pages shown before', async () => {
      await vscode.commands.executeCommand('kmsWorkbench.refreshNode', { connection: 'Paging' });
      const folder = await tree.path('Paging', 'Customer managed keys');
      assert.equal((await tree.children(folder)).length, 101);
      await vscode.commands.executeCommand('kmsWorkbench.filterKeys', { filter: 'no-such-key' });
      assert.deepEqual(
        (await tree.settledChildren(folder)).map((k) => k.label),
        ['No customer managed keys match "no-such-key"'],
      );
      await vscode.commands.executeCommand('kmsWorkbench.clearFilter');
      const shown = await tree.children(folder);
      assert.equal(shown.length, 101);
      assert.equal(shown[100].label, 'Load more keys…');
      assert.equal(await vscode.commands.executeCommand('kmsWorkbench.loadMore', shown[100].node), 200, 'the next page was already loaded');
    });
  });

  describe('first paint', () => {
    it('costs only the ListKeys page and the ListAliases pages for 1,000 keys and 1,000 aliases; DescribeKey follows for the shown page only', async () => {
      await vscode.commands.executeCommand('kmsWorkbench.refreshNode', { connection: 'Bulk' });
      await tree.settled();
      // Probes of custom key stores scheduled by earlier tests (of any connection) must not
      // land in the count: on a loaded machine they fire late.
      await tree.provider.probesDone();
      await control.resetCalls();
      const connection = await tree.child(undefined, 'Bulk');
      const folder = await tree.child(connection, 'Customer managed keys');
      const keys = (await tree.provider.getChildren(folder.node)).filter((n) => !n.id.endsWith('/loadMore'));
      // Nothing renders the keys yet (no getTreeItem): anything sent now would be part of first
      // paint. Give such calls time to arrive.
      await new Promise((r) => setTimeout(r, 600));
      // Expanding the connection schedules one probe of custom key stores for 1.5 s later (after
      // first paint); on a loaded machine it may already have gone out, and is not counted.
      const { DescribeCustomKeyStores: probes = 0, ...atPaint } = await control.calls();
      assert.deepEqual(
        atPaint,
        { ListKeys: 1, ListAliases: 10 },
        'first paint: 1 ListKeys page (100 keys) + 10 ListAliases pages (1,000 aliases)',
      );
      assert.ok(probes <= 1, `${probes} probes of custom key stores`);
      assert.equal(keys.length, 100);
      assert.equal(tree.show(keys[0]).label, 'bulk/key-0000', 'named by alias without DescribeKey');

      for (const key of keys) tree.show(key); // what VS Code does for the nodes it renders
      await tree.settled();
      const after = await control.calls();
      assert.equal(after.DescribeKey, 100, 'each shown key described once');
      assert.equal(
        tree.provider.directoryOf((connection.node.target as { connection: { id: string } }).connection.id)?.limiter.maxInFlight,
        8,
        'at most 8 DescribeKey in flight',
      );
      assert.equal(after.ListKeys, 1);
    });
  });

  describe('failures become nodes', () => {
    it('shows AccessDeniedException as an error node with Retry, and Retry loads it', async () => {
      await vscode.commands.executeCommand('kmsWorkbench.refreshNode', { connection: 'Rich' });
      await control.setFault('ListAliases', {
        failOnCall: 1,
        error: {
          name: 'AccessDeniedException',
          message: `User: arn:aws:iam::${ACCOUNT}:user/dev is not authorized to perform: kms:ListAliases because no identity-based policy allows the kms:ListAliases action`,
        },
      });
      const connection = await tree.child(undefined, 'Rich');
      const [error, retry] = await tree.children(connection);
      assert.equal(error.contextValue, 'error');
      assert.match(error.label, /^Access denied: you need the kms:ListAliases permission/);
      assert.equal(error.icon, 'error');
      assert.equal(error.item.command?.command, 'kmsWorkbench.retryNode');
      assert.equal(retry.label, 'Retry');
      await vscode.commands.executeCommand('kmsWorkbench.retryNode', error.node);
      assert.equal((await tree.children(connection))[0].label, 'Customer managed keys');
    });

    it('shows a failure deeper down in place, and an operation the endpoint lacks as "not supported by this endpoint"', async () => {
      const key = await tree.path('Rich', 'Customer managed keys', 'payments/api');
      await vscode.commands.executeCommand('kmsWorkbench.refreshNode', key.node);
      await control.setFault('ListGrants', {
        failOnCall: 1,
        error: { name: 'UnknownOperationException', message: 'Operation ListGrants is not implemented', status: 501 },
      });
      const grants = await tree.child(key, 'Grants');
      const [notSupported] = await tree.children(grants);
      assert.deepEqual([notSupported.label, notSupported.contextValue], ['Grants: not supported by this endpoint', 'notSupported']);
      assert.equal(tree.show(grants.node).description, 'not supported by this endpoint');
      assert.ok(
        (await tree.children(key)).some((c) => c.label === 'Tags'),
        'the rest of the key still shows',
      );
      await control.setFault('ListResourceTags', {
        failOnCall: 1,
        error: { name: 'AccessDeniedException', message: 'not authorized to perform: kms:ListResourceTags' },
      });
      const tags = await tree.child(key, 'Tags');
      const [tagError] = await tree.children(tags);
      assert.match(tagError.label, /kms:ListResourceTags/);
      await vscode.commands.executeCommand('kmsWorkbench.retryNode', tagError.node);
      assert.deepEqual(
        (await tree.children(tags)).map((x) => x.label),
        ['env', 'team'],
      );
    });

    it('shows bad credentials and an expired SSO session as nodes; Sign in runs aws sso login', async () => {
      const credentialsFile = process.env.AWS_SHARED_CREDENTIALS_FILE!;
      const configFile = process.env.AWS_CONFIG_FILE!;
      const [credentials, config] = [readFileSync(credentialsFile, 'utf8'), readFileSync(configFile, 'utf8')];
      try {
        writeFileSync(
          credentialsFile,
          `${credentials}\n[wrong-secret]\naws_access_key_id = test\naws_secret_access_key = not-the-secret\n`,
        );
        writeFileSync(
          configFile,
          `${config}\n[profile sso-expired]\nsso_session = corp\nsso_account_id = ${ACCOUNT}\nsso_role_name = Admin\nregion = ${RICH_REGION}\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = ${RICH_REGION}\n`,
        );
        t.services.connections.invalidate('test wrote profiles');
        await setConnections(tree, [
          { label: 'Wrong secret', profile: 'wrong-secret', region: RICH_REGION, endpoint: url },
          { label: 'Expired SSO', profile: 'sso-expired', endpoint: url },
        ]);
        const [wrong, retry] = await tree.children(await tree.child(undefined, 'Wrong secret'));
        assert.equal(wrong.contextValue, 'error');
        assert.match(wrong.label, /rejected the request signature: the secret access key of profile "wrong-secret" is wrong/);
        assert.equal(retry.label, 'Retry');
        const sso = await tree.children(await tree.child(undefined, 'Expired SSO'));
        assert.deepEqual(
          sso.map((s) => s.contextValue),
          ['error', 'signIn', 'info'],
        );
        assert.match(sso[0].label, /SSO session of profile "sso-expired" has expired/);
        assert.deepEqual(
          [sso[1].label, sso[1].description, sso[1].item.command?.command],
          ['Sign in', 'aws sso login --profile sso-expired', 'kmsWorkbench.ssoLogin'],
        );
        const before = vscode.window.terminals.length;
        assert.equal(await vscode.commands.executeCommand('kmsWorkbench.ssoLogin', sso[1].node), 'sso-expired');
        await eventually(
          () => assert.ok(vscode.window.terminals.some((term) => term.name === 'aws sso login (sso-expired)')),
          'the sign-in terminal',
        );
        for (const term of vscode.window.terminals.slice(before)) term.dispose();
      } finally {
        writeFileSync(credentialsFile, credentials);
        writeFileSync(configFile, config);
        t.services.connections.invalidate('test restored profiles');
        await setConnections(tree, [rich(), bulk(), paging()]);
      }
    });
  });

  describe('filter', () => {
    it('filters by alias at once, and by description and tag after searching', async () => {
      assert.equal(await vscode.commands.executeCommand('kmsWorkbench.filterKeys', { filter: 'team=payments' }), 'team=payments');
      assert.equal(t.tree.view.description, 'filter: team=payments');
      const folder = await tree.path('Rich', 'Customer managed keys');
      const searching = await tree.children(folder);
      assert.ok(searching.length >= 1 && searching.length <= 2, searching.map((s) => s.label).join(' | '));
      assert.deepEqual(
        (await tree.settledChildren(folder)).map((k) => k.label),
        ['payments/api'],
      );
      assert.equal(tree.show(folder.node).description, '1 matching');

      await vscode.commands.executeCommand('kmsWorkbench.filterKeys', { filter: 'Release signing' });
      assert.deepEqual(
        (await tree.settledChildren(folder)).map((k) => k.label),
        ['release-signing'],
        'by description',
      );

      await vscode.commands.executeCommand('kmsWorkbench.filterKeys', { filter: 'webhook' });
      assert.deepEqual(
        (await tree.settledChildren(folder)).map((k) => k.label),
        ['webhook-mac'],
        'by alias',
      );
      assert.deepEqual(
        (await tree.children(await tree.path('Rich', 'Aliases'))).map((k) => k.label),
        ['webhook-mac'],
      );

      await vscode.commands.executeCommand('kmsWorkbench.filterKeys', { filter: 'no-such-thing' });
      assert.deepEqual(
        (await tree.settledChildren(folder)).map((k) => [k.label, k.contextValue]),
        [['No customer managed keys match "no-such-thing"', 'empty']],
      );

      await vscode.commands.executeCommand('kmsWorkbench.clearFilter');
      assert.equal(t.tree.view.description, undefined);
      assert.equal((await tree.children(folder)).length, 9);
    });
  });

  describe('connections', () => {
    it('shows the welcome view when nothing is configured and the environment has no credentials', async () => {
      const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
      try {
        delete process.env.AWS_ACCESS_KEY_ID;
        delete process.env.AWS_SECRET_ACCESS_KEY;
        await vscode.workspace.getConfiguration('kmsWorkbench').update('connections', [], vscode.ConfigurationTarget.Global);
        await eventually(async () => {
          assert.deepEqual(await tree.children(), []);
          assert.deepEqual(t.tree.state(), { kind: 'welcome', hasProfiles: false });
        }, 'the welcome view');
        await eventually(() => assert.equal(t.tree.statusBarText(), '$(key) KMS: no connection'), 'the status bar to say so');
      } finally {
        process.env.AWS_ACCESS_KEY_ID = saved.id;
        process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
        t.services.connections.invalidate('test restored the environment');
      }
      await eventually(async () => {
        const roots = await tree.children();
        assert.equal(roots.length, 1, 'with credentials in the environment, the environment connection shows');
        assert.equal(t.tree.state().kind, 'connections');
      }, 'the environment connection');
    });

    it('follows the AWS config files without a reload', async () => {
      const credentialsFile = process.env.AWS_SHARED_CREDENTIALS_FILE!;
      const configFile = process.env.AWS_CONFIG_FILE!;
      const [credentials, config] = [readFileSync(credentialsFile, 'utf8'), readFileSync(configFile, 'utf8')];
      try {
        await setConnections(tree, [{ label: 'Late', profile: 'late-profile', region: RICH_REGION, endpoint: url }]);
        const [late] = await tree.children();
        assert.deepEqual([late.contextValue, late.description], ['error', 'not usable']);
        const [problem] = await tree.children(late);
        assert.match(problem.label, /Profile "late-profile" is not in .*Add it \(aws configure --profile late-profile\)/);
        writeFileSync(configFile, `${config}\n[profile late-profile]\nregion = ${RICH_REGION}\n`);
        writeFileSync(credentialsFile, `${credentials}\n[late-profile]\naws_access_key_id = test\naws_secret_access_key = test\n`);
        await eventually(
          async () => {
            const [now] = await tree.children();
            assert.equal(now.contextValue, 'connection');
            assert.equal((await tree.children(now))[0].label, 'Customer managed keys');
          },
          'the view to pick up the new profile (file watcher)',
          30_000,
        );
        await assert.rejects(
          Promise.resolve(vscode.commands.executeCommand('kmsWorkbench.chooseProfile', { profile: 'late-profile' })),
          /already in kmsWorkbench.connections as "Late"/,
        );
        await assert.rejects(
          Promise.resolve(vscode.commands.executeCommand('kmsWorkbench.chooseProfile', { profile: 'nope' })),
          /no profile "nope" in .*Known: .*late-profile/,
        );
        await vscode.workspace.getConfiguration('kmsWorkbench').update('connections', [], vscode.ConfigurationTarget.Global);
        assert.deepEqual(
          await vscode.commands.executeCommand('kmsWorkbench.chooseProfile', { profile: 'late-profile' }),
          { profile: 'late-profile', region: RICH_REGION },
          'the profile’s region, not AWS_REGION',
        );
        await eventually(
          async () =>
            assert.deepEqual(
              (await tree.children()).map((r) => r.label),
              [`late-profile · ${RICH_REGION}`],
            ),
          'the chosen profile’s connection',
        );
      } finally {
        writeFileSync(credentialsFile, credentials);
        writeFileSync(configFile, config);
        t.services.connections.invalidate('test restored profiles');
        await setConnections(tree, [rich(), bulk(), paging()]);
      }
    });

    it('adds a connection from an argument object, and the status bar follows the active connection', async () => {
      await vscode.workspace.getConfiguration('kmsWorkbench').update('connections', [], vscode.ConfigurationTarget.Global);
      const added = await vscode.commands.executeCommand('kmsWorkbench.addConnection', {
        region: RICH_REGION,
        endpoint: url,
        label: 'Added',
      });
      assert.deepEqual(added, { region: RICH_REGION, endpoint: url, label: 'Added' });
      await eventually(
        async () =>
          assert.deepEqual(
            (await tree.children()).map((r) => r.label),
            ['Added'],
          ),
        'the added connection',
      );
      await eventually(() => assert.equal(t.tree.statusBarText(), '$(key) Added'), 'the status bar');
      await assert.rejects(
        Promise.resolve(vscode.commands.executeCommand('kmsWorkbench.addConnection', { region: RICH_REGION, endpoint: url })),
        /already in kmsWorkbench.connections as "Added"/,
      );
      await assert.rejects(
        Promise.resolve(vscode.commands.executeCommand('kmsWorkbench.addConnection', { region: 'Frankfurt' })),
        /not an AWS region name/,
      );
      await setConnections(tree, [rich(), bulk(), paging()]);
      await vscode.commands.executeCommand('kmsWorkbench.selectConnection', { connection: 'Bulk' });
      await eventually(() => assert.equal(t.tree.statusBarText(), '$(key) Bulk'), 'the status bar to show Bulk');
      const roots = await tree.children();
      assert.deepEqual(
        roots.map((r) => r.icon),
        ['cloud', 'plug', 'cloud'],
        'the editor commands’ connection is marked',
      );
    });
  });
  describe('reveal', () => {
    after(async () => {
      await vscode.commands.executeCommand('kmsWorkbench.clearFilter');
      // The other suites drive the provider themselves: a visible view would render as well.
      await vscode.commands.executeCommand('workbench.action.closeSidebar');
    });

    it('reveals and selects a key by id on a later page (loading the pages before it), by alias, and an AWS managed key; not one the filter hides', async () => {
      await vscode.commands.executeCommand('kmsWorkbench.refreshNode', { connection: 'Paging' });
      await tree.settled();
      const paging = await t.services.connections.find('Paging');
      const listed = await collect(t.services.kms.gateway(paging).listKeys(1000));
      assert.equal(listed.length, 250);
      const target = listed[240].KeyId!; // on the third ListKeys page
      const selectedId = (): string | undefined => t.tree.view.selection[0]?.id;

      const result = await vscode.commands.executeCommand('kmsWorkbench.revealKey', { connection: 'Paging', keyId: target });
      assert.deepEqual(result, { keyId: target, connection: paging.id, revealed: true });
      await eventually(
        () => assert.ok(selectedId()?.endsWith(`/customer/${target}`), `selected ${selectedId()}`),
        'the selection (it arrives from the workbench after reveal)',
      );
      const folder = await tree.path('Paging', 'Customer managed keys');
      assert.equal(tree.show(folder.node).description, '250', 'the three pages are loaded');

      const rich = await t.services.connections.find('Rich');
      assert.deepEqual(
        await vscode.commands.executeCommand('kmsWorkbench.revealKey', { connection: 'Rich', keyId: 'alias/payments/api' }),
        { keyId: ids.payments, connection: rich.id, revealed: true },
      );
      await eventually(
        () => assert.ok(selectedId()?.endsWith(`/customer/${ids.payments}`), `selected ${selectedId()}`),
        'the selection (it arrives from the workbench after reveal)',
      );
      await vscode.commands.executeCommand('kmsWorkbench.revealKey', { connection: 'Rich', keyId: 'alias/aws/s3' });
      await eventually(
        () => assert.ok(selectedId()?.endsWith(`/aws/${ids.awsS3}`), `selected ${selectedId()}`),
        'the selection (it arrives from the workbench after reveal)',
      );

      await vscode.commands.executeCommand('kmsWorkbench.filterKeys', { filter: 'no-key-has-this-name' });
      assert.deepEqual(await vscode.commands.executeCommand('kmsWorkbench.revealKey', { connection: 'Rich', keyId: ids.payments }), {
        keyId: ids.payments,
        connection: rich.id,
        revealed: false,
      });
      await assert.rejects(
        Promise.resolve(vscode.commands.executeCommand('kmsWorkbench.revealKey', { connection: 'Rich', keyId: 'alias/does-not-exist' })),
        /Failed to reveal the key in the KMS view: .*alias\/does-not-exist/,
      );
    });
  });
});

/** Markdown as it reads: backslash escapes of ASCII punctuation removed. */
function unescapeMarkdown(markdown: string): string {
  return markdown.replace(/\\([!-/:-@[-`{-~])/g, '$1');
}
