// Who uses a key and who could (issue 16) in the real extension host against the emulator:
// last use after an Encrypt (command, tree row and tooltip), the Disable and Schedule Deletion
// confirmations showing it with the safer path, the usage view's data for a key used by two
// principals (CloudTrail LookupEvents from the emulator), and effective access for the fixture
// policy and grants.
import * as assert from 'node:assert/strict';
import { EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import * as vscode from 'vscode';
import type { KeyAccessResult } from '../../src/host/insight/keyAccess';
import type { KeyLastUse } from '../../src/core/usage/lastUse';
import type { KeyUsageReport } from '../../src/core/usage/keyEvents';
import type { TreeNode } from '../../src/host/tree/treeNode';
import { EmulatorControl } from '../emulator/control';
import { ACCOUNT, fixtureGrants, OTHER_ACCOUNT, reviewedPolicy } from '../unit/access/accessFixtures';
import { closeEditors, createKey, type Env, keyNode, lifecycleEnv, run, stateOf, testing, withAnswers } from './lifecycle/support';
import { TreeDriver, eventually } from './tree/treeDriver';
import { emulatorUrl } from './util/env';

const day = 24 * 60 * 60 * 1000;

describe('key insight: last use, usage, effective access', function () {
  this.timeout(90_000);
  let env: Env;

  before(async function () {
    const t = await testing().catch(() => undefined);
    if (!t) {
      console.log('      (skipped: the extension under test exposes no test API; this suite runs against the development folder)');
      this.skip();
    }
    env = await lifecycleEnv();
  });

  after(async () => {
    env?.dispose();
    await closeEditors();
  });

  describe('last use', () => {
    it('reports no use for a new key, then the Encrypt, in the command, the tree row and the tooltip', async () => {
      const meta = await createKey({});
      const keyId = meta.KeyId!;
      const fresh = await run<KeyLastUse>('showKeyLastUsage', { keyId });
      assert.equal(fresh.tracked, true);
      assert.equal(fresh.operation, undefined);
      assert.ok(fresh.trackingStartDate);

      await env.gateway.encrypt({ keyId, plaintext: Buffer.from('hello') });
      const used = await run<KeyLastUse>('showKeyLastUsage', { keyId });
      assert.equal(used.operation, 'Encrypt');
      assert.ok(Date.now() - Date.parse(used.time!) < 5 * 60_000, `recent: ${used.time}`);

      const t = env.testing;
      const tree = new TreeDriver(t);
      await run('revealKey', { keyId });
      let node: TreeNode | undefined;
      await eventually(() => {
        node = t.tree.view.selection[0];
        assert.ok(node?.id.endsWith(`/${keyId}`), `selected ${node?.id}`);
      }, 'the revealed key selected');
      // Forget what the tree cached about the key before the Encrypt.
      await run('refreshNode', node);
      await tree.settled();
      await eventually(async () => {
        const row = (await tree.children(node)).find((s) => s.label === 'Last used');
        assert.ok(row, 'a Last used row under the key');
        assert.match(row.description, /^Encrypt, (just now|\d+ minutes? ago)/);
      }, 'the Last used row');
      // Tooltips escape server text for markdown: read it as it renders.
      assert.match((await tree.tooltip(tree.show(node!))).replace(/\\([!-/:-@[-`{-~])/g, '$1'), /- Last used: Encrypt, /);
    });

    it('shows the last use in the Disable and Schedule Deletion confirmations, and offers disabling instead of deleting', async () => {
      const meta = await createKey({});
      const keyId = meta.KeyId!;
      await env.gateway.encrypt({ keyId, plaintext: Buffer.from('x') });

      const deletion = await withAnswers(env, ['Disable Key Instead'], () => run('scheduleKeyDeletion', keyNode(env, keyId)));
      const shown = deletion.ui.shown.find((s) => s.kind === 'confirm');
      assert.ok(shown, 'a confirmation was shown');
      assert.match(shown.message, /Schedule deletion of/);
      assert.match(shown.detail ?? '', /Last used: Encrypt, /);
      assert.match(shown.detail ?? '', /Safer: disable the key first and watch for failed calls/);
      assert.deepEqual(deletion.ui.asked.find((a) => a.kind === 'confirm')?.labels, ['Continue…', 'Disable Key Instead']);
      assert.equal(await stateOf(env, keyId), 'Disabled', 'disabled instead of scheduled for deletion');

      const other = await createKey({});
      const disabling = await withAnswers(env, [false], () => run('disableKey', keyNode(env, other.KeyId!)));
      assert.match(disabling.ui.shown[0]?.detail ?? '', /Last use: not used since tracking began/);
      assert.equal(await stateOf(env, other.KeyId!), 'Enabled', 'cancelled');
    });
  });

  describe('usage over time', () => {
    it('counts the calls of two principals per day and operation, with the top principals and sources, and shows them', async () => {
      const meta = await createKey({});
      const keyId = meta.KeyId!;
      const keyArn = meta.Arn!;
      const control = new EmulatorControl(emulatorUrl());
      await control.addCredential({ accessKeyId: 'AKIDREPORTING', secretAccessKey: 'reporting-secret', principal: 'reporting-job' });
      const second = new KMSClient({
        endpoint: emulatorUrl(),
        region: env.connection.region,
        credentials: { accessKeyId: 'AKIDREPORTING', secretAccessKey: 'reporting-secret' },
        maxAttempts: 1,
      });
      try {
        await second.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('a') }));
        await second.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('b') }));
      } finally {
        second.destroy();
      }
      const { ciphertext } = await env.gateway.encrypt({ keyId, plaintext: Buffer.from('c') });
      await env.gateway.decrypt({ ciphertext });
      await control.addCloudTrailEvents([
        { eventName: 'Decrypt', time: Date.now() - 3 * day, keyArn, principal: 'reporting-job', sourceIPAddress: '10.0.0.7' },
        { eventName: 'Decrypt', time: Date.now() - 3 * day - 60_000, keyArn, principal: 'reporting-job', sourceIPAddress: '10.0.0.7' },
      ]);

      const report = await run<KeyUsageReport>('showKeyUsage', { keyId, days: 7 });
      assert.equal(report.keyArn, keyArn);
      assert.equal(report.days, 7);
      const reporting = `arn:aws:iam::${ACCOUNT}:user/reporting-job`;
      const test = `arn:aws:iam::${ACCOUNT}:user/test`;
      const byPrincipal = Object.fromEntries(report.topPrincipals.map((p) => [p.principal, p.count]));
      assert.equal(byPrincipal[reporting], 4, JSON.stringify(report.topPrincipals));
      // The extension's own identity: CreateKey, Encrypt, Decrypt, and the DescribeKey calls of
      // the command and the tree (as many as the tree made: CloudTrail logs those too).
      const ours = report.events.filter((e) => e.principal === test);
      assert.equal(byPrincipal[test], ours.length);
      assert.deepEqual(
        ours
          .filter((e) => e.eventName !== 'DescribeKey')
          .map((e) => e.eventName)
          .sort(),
        ['CreateKey', 'Decrypt', 'Encrypt'],
      );
      const today = new Date().toISOString().slice(0, 10);
      const todays = report.daily.find((d) => d.date === today);
      assert.equal(todays?.byOperation.Encrypt, 3);
      assert.equal(todays?.byOperation.Decrypt, 1);
      assert.equal(todays?.byOperation.CreateKey, 1);
      assert.equal(report.daily.length, 8, 'a bar for every day of the window');
      assert.equal(report.daily.find((d) => d.date === new Date(Date.now() - 3 * day).toISOString().slice(0, 10))?.byOperation.Decrypt, 2);
      assert.deepEqual(
        report.topSources.find((s) => s.address === '10.0.0.7'),
        { address: '10.0.0.7', count: 2 },
      );
      assert.equal(report.topSources.find((s) => s.address === '127.0.0.1')?.count, report.totalEvents - 2);
      assert.equal(report.events[report.events.length - 1]?.principal, reporting, 'the oldest event is the one of 3 days ago');

      await eventually(() => {
        const panel = env.testing.insight.panels().find((p) => p.id.endsWith(`|${keyId}`) && p.id.startsWith('usage|'));
        assert.ok(panel, 'the usage view is open');
        assert.equal((panel.state as { type?: string } | undefined)?.type, 'usage');
        assert.equal((panel.state as { view: { totalEvents: number } }).view.totalEvents, report.totalEvents);
      }, 'the usage view given the report');

      await assert.rejects(Promise.resolve(run('showKeyUsage', { keyId, days: 91 })), /"days" must be from 1 to 90, not 91/);
    });
  });

  describe('effective access', () => {
    it('lists the principals of the fixture policy and grants, grouped, with the findings, and says IAM policies are not included', async () => {
      const meta = await env.gateway.createKey({ Policy: JSON.stringify(reviewedPolicy), Description: 'access fixture' });
      const keyId = meta.KeyId!;
      for (const g of fixtureGrants) {
        await env.gateway.createGrant({
          KeyId: keyId,
          Name: g.name,
          GranteePrincipal: g.granteePrincipal,
          RetiringPrincipal: g.retiringPrincipal,
          Operations: g.operations as never,
          Constraints: g.constraints,
        });
      }
      const result = await run<KeyAccessResult>('showKeyAccess', { keyId });
      const groupOf = (principal: string, source: 'policy' | 'grant'): string | undefined =>
        result.principals.find((p) => p.principal === principal && p.source === source)?.group;
      assert.equal(groupOf(`arn:aws:iam::${ACCOUNT}:root`, 'policy'), 'administrators');
      assert.equal(groupOf(`arn:aws:iam::${ACCOUNT}:role/KeyAdmin`, 'policy'), 'administrators');
      assert.equal(groupOf(`arn:aws:iam::${ACCOUNT}:role/App`, 'policy'), 'users');
      assert.equal(groupOf('*', 'policy'), 'everyone');
      assert.equal(groupOf(`arn:aws:iam::${OTHER_ACCOUNT}:user/partner`, 'policy'), 'otherAccounts');
      assert.equal(groupOf(`arn:aws:iam::${ACCOUNT}:role/Worker`, 'grant'), 'users');
      const org = result.principals.find((p) => p.statementSid === 'OrgRead');
      assert.deepEqual(org?.conditions, ['only principals in AWS organization "o-a1b2c3d4e5" (aws:PrincipalOrgID)']);
      const constrained = result.principals.find((p) => p.source === 'grant' && p.principal.endsWith('role/App'));
      assert.ok(constrained?.grantId, 'the grant id is given');
      assert.deepEqual(constrained?.actions, ['kms:Decrypt', 'kms:GenerateDataKey']);
      assert.deepEqual(result.findings.map((f) => f.code).sort(), ['CrossAccountDecrypt', 'GrantContextCase', 'GrantWithoutConstraints']);
      assert.match(result.notes[0] ?? '', /IAM identity policies.*are not included/);

      await eventually(() => {
        const panel = env.testing.insight.panels().find((p) => p.id === `access|${env.connection.id}|${keyId}`);
        assert.equal((panel?.state as { type?: string } | undefined)?.type, 'access');
      }, 'the access view given the analysis');

      const quiet = await run<KeyAccessResult>('showKeyAccess', { keyId, show: false });
      assert.equal(quiet.principals.length, result.principals.length);
      await assert.rejects(Promise.resolve(run('showKeyAccess', { keyId, extra: 1 })), /does not take "extra"/);
    });
  });

  after(() => vscode.commands.executeCommand('workbench.action.closeAllEditors'));
});
