// The connection side of the trust boundary, in a MALICIOUS WORKSPACE (test/fixtures/
// malicious-workspace, its own integration run): the workspace's settings set
// kmsWorkbench.connections (which only user settings may) and propose a connection, both
// pointing at a loopback listener this test starts, which records every request (and passes
// it on to the emulator, so an approved proposal really works). The user's own connection
// (user settings) is the emulator. Every encrypt, decrypt, open-decrypted and tree command,
// run scripted without an approval, must send nothing to the listener; after approveConnection
// it is used. Skipped in other workspaces.
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ApprovalResult } from '../../src/host/connections/approvalCommands';
import { ScriptedUserInput } from '../support/scriptedUserInput';
import type { ConfirmOptions } from '../../src/host/ui/userInput';
import { closeAllEditors, openWithSelections, refused, run, withAnswers } from './encryption/support';
import { TreeDriver, testing, type Testing } from './tree/treeDriver';
import { emulatorUrl } from './util/env';

const MARKER = 'MALICIOUS-WORKSPACE.md';
const PROPOSED = 'Team KMS';
const REMOTE = 'Team KMS (remote)';
const MINE = 'Mine';

interface Recorded {
  readonly method: string;
  readonly target: string;
  readonly host: string;
}

/** A loopback listener that records every request and passes it on to the emulator unchanged (the signature covers the Host header it keeps). */
async function recordingListener(upstream: string): Promise<{ url: string; requests: Recorded[]; server: Server }> {
  const requests: Recorded[] = [];
  const target = new URL(upstream);
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? '?', target: String(req.headers['x-amz-target'] ?? ''), host: String(req.headers.host ?? '') });
    const forward = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', (error) => {
      res.writeHead(502, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ __type: 'KMSInternalException', message: String(error) }));
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Records confirm dialogs (message and detail) and answers them from the script. */
class ConfirmRecorder extends ScriptedUserInput {
  readonly confirms: { message: string; detail?: string }[] = [];
  override confirm(message: string, options: ConfirmOptions): Promise<void> {
    this.confirms.push({ message, detail: options.detail });
    return super.confirm(message, options);
  }
}

describe('trust boundary: connections in a malicious workspace', function () {
  this.timeout(120_000);
  let t: Testing;
  let tree: TreeDriver;
  let root: string;
  let listener: Awaited<ReturnType<typeof recordingListener>>;
  let settingsFile: string;
  let keyArn: string;

  /** The workspace's settings, written as the attacker would: the listener as connection and as proposal. */
  function writeWorkspaceSettings(proposal: Record<string, string>): void {
    writeFileSync(
      settingsFile,
      JSON.stringify(
        {
          'kmsWorkbench.connections': [{ label: 'Team KMS (from workspace)', region: 'us-east-1', endpoint: listener.url }],
          'kmsWorkbench.proposedConnections': [
            proposal,
            { label: REMOTE, region: 'us-east-1', endpoint: 'http://kms.attacker.example:4566' },
          ],
          'kmsWorkbench.openEncryptedFiles': 'decrypted',
        },
        null,
        2,
      ),
    );
  }

  async function proposalSettled(label: string, region: string): Promise<void> {
    await waitFor(`the proposal "${label}" in ${region} to be read`, async () => {
      const all = await t.services.connections.allProposals();
      return (
        all.some((p) => p.config.label === label && p.config.region === region && p.config.endpoint === listener.url) && all.length === 2
      );
    });
  }

  before(async function () {
    root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    if (!root || !existsSync(join(root, MARKER))) this.skip();
    t = await testing();
    tree = new TreeDriver(t);
    listener = await recordingListener(emulatorUrl());
    settingsFile = join(root, '.vscode', 'settings.json');
    mkdirSync(join(root, '.vscode'), { recursive: true });
    writeWorkspaceSettings({ label: PROPOSED, region: 'us-east-1', endpoint: listener.url });
    await proposalSettled(PROPOSED, 'us-east-1');
    const mine = await t.services.connections.find(MINE);
    const gateway = t.services.kms.gateway(mine);
    keyArn = (await gateway.createKey({ Description: 'trust boundary test' })).Arn ?? '';
    assert.equal(listener.requests.length, 0);
  });

  after(async () => {
    t?.setWorkspaceTrust(undefined);
    await closeAllEditors().catch(() => undefined);
    await new Promise<void>((resolve) => (listener ? listener.server.close(() => resolve()) : resolve()));
  });

  it("ignores the workspace's kmsWorkbench.connections: only the user's connection is used", async () => {
    const connections = await t.services.connections.connections();
    assert.deepEqual(
      connections.map((c) => c.label),
      [MINE],
    );
    assert.equal(connections[0].endpoint, emulatorUrl());
    const active = await t.services.connections.active();
    assert.equal(active.label, MINE);
  });

  it('shows the proposals as proposed, with Approve, and the http:// one to another host as not usable', async () => {
    const roots = await tree.children();
    assert.deepEqual(
      roots.map((r) => r.label),
      [MINE, PROPOSED, REMOTE],
    );
    const proposed = roots[1];
    assert.equal(proposed.contextValue, 'proposedConnection');
    assert.equal(proposed.description, 'proposed by this workspace · not approved');
    assert.equal(proposed.icon, 'workspace-untrusted');
    const children = await tree.children(proposed);
    assert.deepEqual(
      children.map((c) => c.label),
      ['Not used until you approve it', 'Profile', 'Region', 'Endpoint', 'Approve…'],
    );
    assert.equal(children[3].description, new URL(listener.url).href);
    assert.equal(children[4].item.command?.command, 'kmsWorkbench.approveConnection');
    const remote = roots[2];
    assert.equal(remote.description, 'proposed by this workspace · not usable');
    const remoteChildren = await tree.children(remote);
    assert.match(remoteChildren[0].description, /plain http:\/\/ to kms\.attacker\.example.*kmsWorkbench\.allowInsecureEndpoints/);
    assert.ok(!remoteChildren.some((c) => c.label === 'Approve…'));
    assert.equal(listener.requests.length, 0);
  });

  it('sends nothing to the listener from any encrypt, decrypt, open-decrypted or tree command run without approval', async () => {
    const folder = join(root, 'secrets');
    mkdirSync(folder, { recursive: true });
    const file = join(folder, 'app.env');
    writeFileSync(file, 'TOKEN=plain-text-secret\n');
    const uri = vscode.Uri.file(file);

    // Naming the proposed connection is refused by every command that takes a connection.
    const notApproved = /proposed by this workspace and not approved/;
    for (const [command, arg] of [
      ['encryptFile', { uri: file, keyId: keyArn, connection: PROPOSED }],
      ['describeKey', { keyId: keyArn, connection: PROPOSED }],
      ['selectConnection', { connection: PROPOSED }],
      ['createKey', { connection: PROPOSED, description: 'x' }],
      ['generateRandom', { connection: PROPOSED, numberOfBytes: 16 }],
      ['revealKey', { keyId: keyArn, connection: PROPOSED }],
    ] as const) {
      await refused(command, arg, notApproved);
    }
    await openWithSelections(uri, [[0, 6, 0, 23]]);
    await refused('encryptSelection', { keyId: keyArn, connection: PROPOSED }, notApproved);

    // The user's own connection works: the whole round trip of every editor command.
    await run('encryptSelection', { keyId: keyArn });
    const encryptedLine = vscode.window.activeTextEditor?.document.lineAt(0).text ?? '';
    assert.doesNotMatch(encryptedLine, /plain-text-secret/);
    const ciphertextAt = encryptedLine.indexOf('=') + 1;
    vscode.window.activeTextEditor!.selections = [new vscode.Selection(0, ciphertextAt, 0, encryptedLine.length)];
    await withAnswers(t, [false], () => run('peekCiphertext', { uri: uri.toString(), line: 0, character: ciphertextAt + 2 }));
    await run('reEncryptSelection', { keyId: keyArn });
    vscode.window.activeTextEditor!.selections = [
      new vscode.Selection(0, ciphertextAt, 0, vscode.window.activeTextEditor!.document.lineAt(0).text.length),
    ];
    await run('decryptSelection', {});
    assert.equal(vscode.window.activeTextEditor?.document.lineAt(0).text, 'TOKEN=plain-text-secret');
    await vscode.commands.executeCommand('workbench.action.files.save');
    await closeAllEditors();
    await run('encryptFile', { uri: file, keyId: keyArn });
    const encrypted = readFileSync(file);
    for (const [command, arg] of [
      ['decryptFile', { uri: file, connection: PROPOSED }],
      ['reEncryptFile', { uri: file, keyId: keyArn, connection: PROPOSED }],
      ['openDecrypted', { uri: file, connection: PROPOSED }],
    ] as const) {
      await refused(command, arg, notApproved);
    }
    assert.ok(readFileSync(file).equals(encrypted), 'the file is untouched by the refused commands');
    await run('reEncryptFile', { uri: file, keyId: keyArn });
    await run('openDecrypted', { uri: file });
    await closeAllEditors();
    await run('decryptFile', { uri: file });
    assert.equal(readFileSync(file, 'utf8'), 'TOKEN=plain-text-secret\n');
    await run('describeKey', { keyId: keyArn });
    await run('selectConnection', { connection: MINE });

    // The tree: every connection and folder expanded, refreshed, filtered; the key revealed.
    await run('refreshView', {});
    const roots = await tree.children();
    for (const r of roots) {
      for (const child of await tree.children(r)) await tree.children(child);
    }
    await run('filterKeys', { filter: 'trust boundary' });
    for (const r of await tree.children()) for (const child of await tree.children(r)) await tree.children(child);
    await run('clearFilter', {});
    await run('revealKey', { keyId: keyArn });
    await t.tree.provider.settled();
    await t.tree.provider.probesDone();

    // Every declared command, scripted with the proposed connection named: none uses it.
    const manifest = (vscode.extensions.getExtension('kms-workbench.kms-workbench')?.packageJSON ?? {}) as {
      contributes?: { commands?: { command: string }[] };
    };
    for (const { command } of manifest.contributes?.commands ?? []) {
      if (command === 'kmsWorkbench.approveConnection' || command === 'kmsWorkbench.revokeConnectionApproval') continue;
      const outcome = await Promise.race([
        Promise.resolve(vscode.commands.executeCommand(command, { connection: PROPOSED })).then(
          () => 'resolved',
          (e: Error) => e.message,
        ),
        new Promise<string>((resolve) => setTimeout(() => resolve('pending'), 5_000)),
      ]);
      if (outcome === 'pending') {
        await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
        await vscode.commands.executeCommand('workbench.action.closeMessages');
      }
      assert.notEqual(outcome, 'resolved', `${command} accepted the proposed connection`);
      if (/connection/.test(outcome) && !/does not take "connection"/.test(outcome))
        assert.match(outcome, notApproved, `${command}: ${outcome}`);
    }
    assert.equal(listener.requests.length, 0, `nothing reached the listener: ${JSON.stringify(listener.requests)}`);
  });

  it('in Restricted Mode shows no proposal, refuses approval and says what is limited', async () => {
    t.setWorkspaceTrust(false);
    try {
      const roots = await tree.children();
      assert.equal(roots[0].contextValue, 'restrictedMode');
      assert.equal(roots[0].description, '2 proposed connections not shown');
      assert.equal(roots[0].item.command?.command, 'workbench.trust.manage');
      assert.ok(!roots.some((r) => r.contextValue === 'proposedConnection'));
      assert.deepEqual(await t.services.connections.proposals(), []);
      await refused('approveConnection', { connection: PROPOSED, confirm: true }, /Restricted Mode/);
      await refused('describeKey', { keyId: keyArn, connection: PROPOSED }, /Restricted Mode: proposed connections are not used/);
    } finally {
      t.setWorkspaceTrust(undefined);
    }
    assert.equal(listener.requests.length, 0);
  });

  it('approves only with confirm (scripted) or the modal (interactive), showing every field in full; then the listener is used', async () => {
    await run('revokeConnectionApproval', { connection: PROPOSED }); // (a retried attempt starts from no approval)
    await refused('approveConnection', { connection: PROPOSED }, /"confirm": true/);
    await refused(
      'approveConnection',
      { connection: REMOTE, confirm: true },
      /cannot be used.*plain http:\/\/ to kms\.attacker\.example.*kmsWorkbench\.allowInsecureEndpoints/,
    );
    await refused(
      'approveConnection',
      { connection: 'nothing like it', confirm: true },
      /proposes no connection "nothing like it".*"Team KMS"/,
    );

    // Interactive, from the tree's Approve node: the modal shows profile, region and endpoint; declining approves nothing.
    const approveNode = (await tree.children((await tree.children()).find((r) => r.label === PROPOSED))).find(
      (c) => c.label === 'Approve…',
    )!.node;
    const declining = new ConfirmRecorder([false]);
    const previous = t.setUserInput(declining);
    try {
      await vscode.commands.executeCommand('kmsWorkbench.approveConnection', approveNode);
    } finally {
      t.setUserInput(previous);
    }
    assert.equal(declining.confirms.length, 1);
    const detail = declining.confirms[0].detail ?? '';
    assert.match(declining.confirms[0].message, /Approve the connection "Team KMS" that this workspace proposes\?/);
    assert.ok(detail.includes(`Endpoint: ${new URL(listener.url).href}`), detail);
    assert.match(detail, /Region: us-east-1/);
    assert.match(detail, /Profile: \(none: your environment credentials/);
    assert.match(detail, /Proposed in: workspace settings/);
    assert.equal((await t.services.connections.proposals()).length, 2, 'still proposed after declining');
    assert.equal(listener.requests.length, 0);

    const approved = await run<ApprovalResult>('approveConnection', { connection: PROPOSED, confirm: true });
    assert.equal(approved.approved, true);
    assert.equal(approved.connection?.endpoint, listener.url);
    const roots = await tree.children();
    const node = roots.find((r) => r.label === PROPOSED);
    assert.ok(node);
    assert.equal(node.contextValue, 'connection approvedProposal');
    assert.match(node.description, /proposed by the workspace, approved/);
    await tree.children(node);
    await waitFor("the listener to get the tree's requests", () => listener.requests.length > 0);
    assert.ok(
      listener.requests.some((r) => /ListAliases|ListKeys/.test(r.target)),
      JSON.stringify(listener.requests),
    );
    const before = listener.requests.length;
    await run('describeKey', { keyId: keyArn, connection: PROPOSED });
    assert.ok(listener.requests.slice(before).some((r) => r.target.endsWith('DescribeKey')));
  });

  it('asks again when the proposal changes, remembers the approval of the same values, and revokes', async () => {
    writeWorkspaceSettings({ label: PROPOSED, region: 'us-west-2', endpoint: listener.url });
    await proposalSettled(PROPOSED, 'us-west-2');
    const changed = (await t.services.connections.proposals()).find((p) => p.config.label === PROPOSED);
    assert.equal(changed?.approved, false, 'a changed region needs a new approval');
    await refused('describeKey', { keyId: keyArn, connection: PROPOSED }, /not approved/);

    writeWorkspaceSettings({ label: PROPOSED, region: 'us-east-1', endpoint: listener.url });
    await proposalSettled(PROPOSED, 'us-east-1');
    assert.deepEqual(
      (await t.services.connections.connections()).map((c) => c.label),
      [MINE, PROPOSED],
      'the same values are approved still',
    );

    const revoked = await run<ApprovalResult>('revokeConnectionApproval', { connection: PROPOSED });
    assert.equal(revoked.approved, false);
    assert.deepEqual(
      (await t.services.connections.connections()).map((c) => c.label),
      [MINE],
    );
    const count = listener.requests.length;
    await refused('describeKey', { keyId: keyArn, connection: PROPOSED }, /not approved/);
    const roots = await tree.children();
    assert.equal(roots.find((r) => r.label === PROPOSED)?.contextValue, 'proposedConnection');
    assert.equal(listener.requests.length, count, 'nothing more reached the listener after the revoke');
  });

  it('refuses a user connection with plain http:// to another host, naming the fix, unless the user allows it', async () => {
    const config = vscode.workspace.getConfiguration('kmsWorkbench');
    const previous = config.inspect('connections')?.globalValue;
    try {
      await config.update(
        'connections',
        [
          { label: MINE, region: 'us-east-1', endpoint: emulatorUrl() },
          { label: 'LAN', region: 'us-east-1', endpoint: 'http://kms.lan.example:4566' },
        ],
        vscode.ConfigurationTarget.Global,
      );
      const entry = await waitFor('the LAN connection', async () =>
        (await t.services.connections.entries()).find((e) => e.config.label === 'LAN'),
      );
      assert.match(
        entry.error?.message ?? '',
        /Endpoint "http:\/\/kms\.lan\.example:4566" \(from connection\) uses plain http:\/\/ to kms\.lan\.example.*Use https:\/\/.*"kmsWorkbench\.allowInsecureEndpoints": true/,
      );
      await refused('describeKey', { keyId: keyArn, connection: 'LAN' }, /No connection "LAN"/);
      await refused(
        'addConnection',
        { region: 'us-east-1', endpoint: 'http://kms.other.example:1' },
        /plain http:\/\/ to kms\.other\.example.*allowInsecureEndpoints/,
      );
      await config.update('allowInsecureEndpoints', true, vscode.ConfigurationTarget.Global);
      const allowed = await waitFor('the LAN connection to resolve', async () =>
        (await t.services.connections.entries()).find((e) => e.config.label === 'LAN' && e.connection),
      );
      assert.equal(allowed.connection?.endpoint, 'http://kms.lan.example:4566');
    } finally {
      await config.update('allowInsecureEndpoints', undefined, vscode.ConfigurationTarget.Global);
      await config.update('connections', previous, vscode.ConfigurationTarget.Global);
    }
  });
});
