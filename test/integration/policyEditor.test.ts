// The key-policy editor (issue 7) in the real extension host against the KMS emulator: the
// panel per key, the ready handshake with the real webview, the JSON tab kept in sync both
// ways with its schema, saving (diff, confirmation, PutKeyPolicy: the emulator holds the new
// policy), the conflict path and the lockout path. Messages "from the webview" go through
// the host's own validation (the testing API's `policyEditor`, driven by util/policyEditorDriver).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Connection } from '../../src/core/aws/connection';
import type { KmsGateway } from '../../src/core/kms/gateway';
import { policyValueOf, samePolicyText } from '../../src/core/policy/policyDiff';
import { addRoleMember } from '../../src/core/policy/policyForm';
import { formatPolicy } from '../../src/core/policy/formatPolicy';
import { statementsOf } from '../../src/core/policy/policyModel';
import type { KmsWorkbenchApi } from '../../src/extension';
import type { EditKeyPolicyResult } from '../../src/host/policyEditor/registerPolicyEditor';
import type { KeyChange } from '../../src/host/services';
import { type ScriptedAnswer, ScriptedUserInput } from '../support/scriptedUserInput';
import type { UserInput } from '../../src/host/ui/userInput';
import type { HostMessage, InitMessage, SaveResult } from '../../src/shared/policyProtocol';
import { EmulatorControl } from '../emulator/control';
import { activeExtension, emulatorUrl } from './util/env';
import { type PolicyEditorDriver, PolicyEditorRecorder } from './util/policyEditorDriver';

const ACCOUNT = '111122223333';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/AppRole`;

type Testing = NonNullable<KmsWorkbenchApi['testing']>;
const isInit = (m: HostMessage): m is InitMessage => m.type === 'init';

/** A panel's tab label and title, whether or not either carries the unsaved marker yet. */
function sameTitle(label: string, title: string): boolean {
  return label.replace(/^\u25cf /, '') === title.replace(/^\u25cf /, '');
}

async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('key-policy editor', function () {
  this.timeout(90_000);
  let testing: Testing;
  let editors: PolicyEditorRecorder;
  let connection: Connection;
  let gateway: KmsGateway;
  let previousUi: UserInput | undefined;
  const changes: KeyChange[] = [];
  let subscription: vscode.Disposable | undefined;

  before(async function () {
    const ext = (await activeExtension()) as vscode.Extension<KmsWorkbenchApi>;
    if (!ext.exports.testing) {
      // The packaged .vsix runs outside test mode: no testing API to read the editors through.
      console.log('      (skipped: the extension exposes no testing API in this run)');
      this.skip();
    }
    testing = ext.exports.testing;
    editors = new PolicyEditorRecorder(testing.policyEditor);
    connection = await testing.services.connections.find(undefined);
    gateway = testing.services.kms.gateway(connection);
    subscription = testing.services.onDidChangeKey((c) => changes.push(c));
  });

  after(async () => {
    subscription?.dispose();
    editors?.dispose();
    if (previousUi) testing.setUserInput(previousUi);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  /** Answers the next prompts; returns the scripted input to check what was asked. */
  function answer(...answers: ScriptedAnswer[]): ScriptedUserInput {
    const ui = new ScriptedUserInput(answers);
    const previous = testing.setUserInput(ui);
    previousUi ??= previous;
    return ui;
  }

  async function newKey(description: string): Promise<string> {
    const meta = await gateway.createKey({ Description: description });
    return meta.KeyId!;
  }

  async function open(keyId: string): Promise<{ result: EditKeyPolicyResult; session: PolicyEditorDriver }> {
    const result = await vscode.commands.executeCommand<EditKeyPolicyResult>('kmsWorkbench.editKeyPolicy', { keyId });
    const session = editors.session(result.keyId);
    assert.ok(session, 'no editor session after editKeyPolicy');
    return { result, session };
  }

  /** The current text with a key user added, as the form would make it. */
  function withKeyUser(text: string, principal = ROLE): string {
    const added = addRoleMember(policyValueOf(text), 'users', principal, { accountId: ACCOUNT });
    assert.ok('value' in added, 'error' in added ? added.error : '');
    return formatPolicy(added.value, text);
  }

  async function save(session: PolicyEditorDriver, text: string): Promise<SaveResult> {
    const reply = await session.request({ kind: 'save', text });
    assert.ok(reply.ok, reply.ok ? '' : reply.error);
    return reply.result as SaveResult;
  }

  it('opens one editor per key: the real webview says ready, and gets the policy in init', async () => {
    const keyId = await newKey('policy editor: open');
    const { result, session } = await open(keyId);
    assert.equal(result.keyId, keyId);
    assert.equal(result.opened, true);
    // The name people recognise as the whole path (breadcrumb, tooltip); the session in the query.
    const uri = vscode.Uri.parse(result.uri);
    assert.equal(uri.scheme, 'kms-policy');
    assert.match(uri.path, /^\/[\w.-]+\.key-policy\.json$/);
    assert.match(new URLSearchParams(uri.query).get('session') ?? '', /^c\w+\/[0-9a-f-]+$/);
    assert.match(result.keyArn ?? '', new RegExp(`^arn:aws:kms:us-east-1:${ACCOUNT}:key/${keyId}$`));
    const init = await session.init();
    assert.equal(session.isReady(), true);
    assert.equal(init.key.keyId, keyId);
    assert.equal(init.key.accountId, ACCOUNT);
    assert.ok(samePolicyText(init.text, await gateway.getKeyPolicy(keyId)));
    assert.equal(init.readOnly, undefined);

    // Opened again (by id, or from a tree node of the key): the same editor comes forward.
    const again = await vscode.commands.executeCommand<EditKeyPolicyResult>('kmsWorkbench.editKeyPolicy', { keyId });
    assert.equal(again.opened, false);
    // A tree node is a class instance with a `target` (not a plain argument object).
    class KeyNodeStandIn {
      constructor(readonly target: { kind: 'key'; connection: Connection; keyId: string }) {}
    }
    const node = new KeyNodeStandIn({ kind: 'key', connection, keyId });
    const fromNode = await vscode.commands.executeCommand<EditKeyPolicyResult>('kmsWorkbench.editKeyPolicy', node);
    assert.equal(fromNode.opened, false);
    assert.equal(editors.sessions().filter((s) => s.keyId === keyId).length, 1);
    const tabs = vscode.window.tabGroups.all
      .flatMap((g) => g.tabs)
      .filter((t) => t.input instanceof vscode.TabInputWebview && sameTitle(t.label, session.title));
    assert.equal(tabs.length, 1, `one panel titled "${session.title}"`);
  });

  it('refuses bad arguments with a sentence naming the fix', async () => {
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('kmsWorkbench.editKeyPolicy', { keyId: 'x', policy: '{}' })),
      /does not take "policy"\. It takes: keyId, connection/,
    );
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('kmsWorkbench.editKeyPolicy', { keyId: '00000000-0000-0000-0000-000000000000' })),
      /Failed to open the key policy/,
    );
  });

  it('validates every message from the webview: invalid ones change nothing, invalid requests get an error reply', async () => {
    const { session } = await open(await newKey('policy editor: protocol'));
    const before = session.text();
    await session.receive({ type: 'edit', text: 42 });
    await session.receive({ type: 'edit', text: '{}', extra: true });
    await session.receive('not even an object');
    assert.equal(session.text(), before);
    const reply = await session.request({ kind: 'deleteEverything' });
    assert.equal(reply.ok, false);
    assert.match(reply.ok ? '' : reply.error, /invalid request \(unknown request kind "deleteEverything"\)/);
  });

  it('keeps the JSON tab and the form in sync both ways, and the tab has the key-policy schema', async () => {
    const { session } = await open(await newKey('policy editor: json tab'));
    const opened = await session.request({ kind: 'openJson' });
    assert.ok(opened.ok);
    const doc = await until('the JSON tab', () => vscode.workspace.textDocuments.find((d) => d.uri.toString() === session.uri));
    assert.equal(doc.languageId, 'json');
    assert.equal(doc.getText(), session.text());

    // Form → JSON tab.
    const edited = withKeyUser(session.text());
    await session.receive({ type: 'edit', text: edited });
    await until('the JSON tab to follow the form', () => doc.getText() === edited);
    await until('the JSON tab to be saved into the session', () => !doc.isDirty);

    // JSON tab → form (as the person types).
    const waiting = session.waitForPosted((m) => m.type === 'text' && m.source === 'jsonEditor');
    const typed = new vscode.WorkspaceEdit();
    const at = doc.getText().indexOf('"Allow use of the key"');
    typed.replace(
      doc.uri,
      new vscode.Range(doc.positionAt(at), doc.positionAt(at + '"Allow use of the key"'.length)),
      '"Allow use of the key by the app"',
    );
    assert.ok(await vscode.workspace.applyEdit(typed));
    const posted = (await waiting) as Extract<HostMessage, { type: 'text' }>;
    assert.ok(posted.text.includes('"Allow use of the key by the app"'));
    assert.equal(session.text(), posted.text);

    // The schema of key policies applies to the tab.
    const bad = new vscode.WorkspaceEdit();
    const effect = doc.getText().indexOf('"Allow"');
    bad.replace(doc.uri, new vscode.Range(doc.positionAt(effect), doc.positionAt(effect + '"Allow"'.length)), '"Maybe"');
    assert.ok(await vscode.workspace.applyEdit(bad));
    const diagnostics = await until(
      'schema diagnostics on the JSON tab',
      () => {
        const found = vscode.languages.getDiagnostics(doc.uri);
        return found.length ? found : undefined;
      },
      30_000,
    );
    assert.ok(
      diagnostics.some((d) => /Allow|Deny|not accepted/i.test(d.message)),
      diagnostics.map((d) => d.message).join('\n'),
    );
  });

  it('saves: a diff, one confirmation, PutKeyPolicy; the emulator holds the new policy', async () => {
    const keyId = await newKey('policy editor: save');
    const { session } = await open(keyId);
    const text = withKeyUser(session.text());
    await session.receive({ type: 'edit', text });
    const ui = answer(true);
    changes.length = 0;
    const result = await save(session, text);
    assert.equal(result.saved, true, result.message);
    assert.equal(await gateway.getKeyPolicy(keyId), text, 'the emulator holds exactly the saved text');
    assert.equal(ui.asked.length, 1);
    assert.match(ui.asked[0].message ?? '', /^Save the key policy of .* to KMS\?$/);
    assert.equal(session.serverText(), text);
    assert.ok(
      changes.some((c) => c.keyId === keyId),
      'the key was announced as changed',
    );
    const saved = session
      .posted()
      .filter((m) => m.type === 'status')
      .pop();
    assert.equal(saved?.type === 'status' && saved.status, 'saved');

    // Nothing to save now; saving again asks nothing.
    const again = await save(session, text);
    assert.equal(again.saved, false);
    assert.match(again.message, /No changes to save/);
  });

  it('Ctrl+S in the JSON tab saves to KMS through the same diff and confirmation', async () => {
    const keyId = await newKey('policy editor: save from the JSON tab');
    const { session } = await open(keyId);
    await session.request({ kind: 'openJson' });
    const doc = await until('the JSON tab', () => vscode.workspace.textDocuments.find((d) => d.uri.toString() === session.uri));
    const text = withKeyUser(doc.getText());
    const edit = new vscode.WorkspaceEdit();
    edit.replace(doc.uri, new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), text);
    assert.ok(await vscode.workspace.applyEdit(edit));
    await vscode.window.showTextDocument(doc);
    const ui = answer(true);
    // The save is done when the page hears so (KMS holds the text a moment before the editor knows).
    const saved = session.waitForPosted((m) => m.type === 'status' && m.status === 'saved', 60_000);
    await vscode.commands.executeCommand('workbench.action.files.save');
    await saved;
    assert.equal(await gateway.getKeyPolicy(keyId), text, 'the policy on KMS is the one typed in the JSON tab');
    assert.match(ui.asked[0]?.message ?? '', /^Save the key policy of .* to KMS\?$/);
    assert.equal(session.serverText(), text);
  });

  it('a webview that loads again (hidden and shown) gets the current text in a new init', async () => {
    const { session } = await open(await newKey('policy editor: re-init'));
    const edited = withKeyUser(session.text());
    await session.receive({ type: 'edit', text: edited });
    const init = session.waitForPosted(isInit);
    await session.receive({ type: 'ready' });
    const message = (await init) as InitMessage;
    assert.equal(message.text, edited);
    assert.notEqual(message.serverText, edited);
  });

  it('cancelling the confirmation saves nothing', async () => {
    const keyId = await newKey('policy editor: cancel');
    const { session } = await open(keyId);
    const original = await gateway.getKeyPolicy(keyId);
    answer(false);
    const result = await save(session, withKeyUser(session.text()));
    assert.equal(result.saved, false);
    assert.equal(await gateway.getKeyPolicy(keyId), original);
  });

  it('refuses to save a policy with errors, before asking anything', async () => {
    const keyId = await newKey('policy editor: errors');
    const { session } = await open(keyId);
    const ui = answer();
    const result = await save(session, session.text().replace('"Effect" : "Allow"', '"Effect" : "Maybe"'));
    assert.equal(result.saved, false);
    assert.match(result.message, /Not saved: the policy has 1 error\. Line \d+: .*Effect must be "Allow" or "Deny"/);
    assert.equal(ui.asked.length, 0);
  });

  it('conflict: a policy changed on the server since opening is not overwritten; Compare, then save on purpose', async () => {
    const keyId = await newKey('policy editor: conflict');
    const { session } = await open(keyId);
    const theirs = withKeyUser(await gateway.getKeyPolicy(keyId), `arn:aws:iam::${ACCOUNT}:role/SomeoneElse`);
    await gateway.putKeyPolicy(keyId, theirs);
    const mine = withKeyUser(session.text());

    const ui = answer('Compare');
    const refused = await save(session, mine);
    assert.equal(refused.saved, false);
    assert.match(refused.message, /was changed on KMS since you opened it/);
    assert.equal(ui.asked[0].kind, 'choose');
    assert.deepEqual(ui.asked[0].labels, ['Compare', 'Reload']);
    assert.equal(await gateway.getKeyPolicy(keyId), theirs, 'the other change is kept');
    const diff = await until('a diff of the server policy against mine', () =>
      vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .find((t) => t.input instanceof vscode.TabInputTextDiff && t.input.original.toString() === session.serverUri),
    );
    assert.ok(diff);
    assert.equal((await vscode.workspace.openTextDocument(vscode.Uri.parse(session.serverUri))).getText(), theirs);

    // Having compared, saving again replaces it (after the usual confirmation).
    answer(true);
    const saved = await save(session, mine);
    assert.equal(saved.saved, true, saved.message);
    assert.equal(await gateway.getKeyPolicy(keyId), mine);
  });

  it('Reload with unsaved changes asks first; backing out keeps them and is not an error', async () => {
    const { session } = await open(await newKey('policy editor: reload'));
    const edited = withKeyUser(session.text());
    await session.receive({ type: 'edit', text: edited });
    const ui = answer(false);
    const reply = await session.request({ kind: 'reload' });
    assert.deepEqual(reply.ok && reply.result, { done: false });
    assert.match(ui.asked[0].message ?? '', /Discard your changes/);
    assert.equal(session.text(), edited);
    answer(true);
    const reloaded = await session.request({ kind: 'reload' });
    assert.deepEqual(reloaded.ok && reloaded.result, { done: true });
    assert.equal(session.text(), session.serverText());
  });

  it('conflict: Reload replaces the editor’s policy with the server’s', async () => {
    const keyId = await newKey('policy editor: conflict reload');
    const { session } = await open(keyId);
    const theirs = withKeyUser(await gateway.getKeyPolicy(keyId), `arn:aws:iam::${ACCOUNT}:role/SomeoneElse`);
    await gateway.putKeyPolicy(keyId, theirs);
    answer('Reload');
    const result = await save(session, withKeyUser(session.text()));
    assert.equal(result.saved, false);
    assert.equal(session.text(), theirs);
    assert.equal(session.serverText(), theirs);
    assert.ok(session.posted().some((m) => m.type === 'text' && m.source === 'reload' && m.text === theirs));
  });

  it('lockout: a policy that leaves nobody able to change it needs an explicit second confirmation', async () => {
    const keyId = await newKey('policy editor: lockout');
    const { session } = await open(keyId);
    const original = await gateway.getKeyPolicy(keyId);
    const lockedOut = JSON.stringify(
      {
        Version: '2012-10-17',
        Statement: [
          { Sid: 'Allow use of the key', Effect: 'Allow', Principal: { AWS: ROLE }, Action: ['kms:Encrypt', 'kms:Decrypt'], Resource: '*' },
        ],
      },
      null,
      2,
    );

    let ui = answer(true, false);
    const refused = await save(session, lockedOut);
    assert.equal(refused.saved, false);
    assert.equal(ui.asked.length, 2);
    assert.match(ui.asked[1].message ?? '', /nobody could change this key policy: you would lock yourself out/);
    assert.equal(await gateway.getKeyPolicy(keyId), original, 'nothing was written');

    ui = answer(true, true);
    const saved = await save(session, lockedOut);
    assert.equal(saved.saved, true, saved.message);
    assert.equal(ui.asked.length, 2);
    assert.equal(await gateway.getKeyPolicy(keyId), lockedOut);
  });

  it('adding a key user keeps the account in control: one confirmation, no lockout warning', async () => {
    const keyId = await newKey('policy editor: safe');
    const { session } = await open(keyId);
    const ui = answer(true);
    const result = await save(session, withKeyUser(session.text()));
    assert.equal(result.saved, true);
    assert.equal(ui.asked.length, 1);
  });

  it('shows an AWS managed key read-only and refuses to save it', async () => {
    const seeded = await new EmulatorControl(emulatorUrl()).seed({
      keys: [
        { ref: 'managed', region: connection.region, manager: 'AWS', aliases: [`alias/aws/policyeditortest-${Date.now().toString(36)}`] },
      ],
    }); // a new alias each attempt (a retry seeds again)
    const keyId = seeded.keys.find((k) => k.ref === 'managed')?.keyId;
    assert.ok(keyId, `the emulator seeded no managed key: ${JSON.stringify(seeded)}`);
    const { session } = await open(keyId);
    const init = await session.init();
    assert.match(init.readOnly ?? '', /AWS managed key/);
    const before = session.text();
    await session.receive({ type: 'edit', text: '{}' });
    assert.equal(session.text(), before, 'edits are ignored');
    const result = await save(session, before);
    assert.equal(result.saved, false);
    assert.match(result.message, /AWS managed key/);
    assert.ok(statementsOf(policyValueOf(before)).length > 0);
  });

  it('an AWS managed key\u2019s JSON document refuses edits: read-only in VS Code, writes refused, the session unchanged (issue 14)', async () => {
    const seeded = await new EmulatorControl(emulatorUrl()).seed({
      keys: [
        { ref: 'managedJson', region: connection.region, manager: 'AWS', aliases: [`alias/aws/policyjson${Date.now().toString(36)}`] },
      ],
    });
    const keyId = seeded.keys.find((k) => k.ref === 'managedJson')?.keyId;
    assert.ok(keyId);
    const { session } = await open(keyId);
    await session.init();
    const before = session.text();
    const reply = await session.request({ kind: 'openJson' });
    assert.ok(reply.ok);
    const uri = vscode.Uri.parse(session.uri);
    const stat = await vscode.workspace.fs.stat(uri);
    assert.equal(stat.permissions, vscode.FilePermission.Readonly, 'the JSON document is read-only');
    await assert.rejects(Promise.resolve(vscode.workspace.fs.writeFile(uri, Buffer.from('{}'))), (e: Error) => {
      assert.match(`${e.message} ${(e as vscode.FileSystemError).code ?? ''}`, /AWS managed key|NoPermissions/);
      return true;
    });
    const doc = await until('the JSON document', () => vscode.workspace.textDocuments.find((d) => d.uri.toString() === session.uri));
    // Typing, as a person would, changes nothing: the editor is read-only.
    await vscode.window.showTextDocument(doc, { preview: false });
    await vscode.commands.executeCommand('type', { text: 'oops' });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(doc.getText().includes('oops'), false, 'typing is refused');
    assert.equal(doc.isDirty, false, 'no unsaved changes');
    assert.equal(session.text(), before);
    assert.equal(session.title.startsWith('\u25cf'), false, 'no unsaved marker on the page\u2019s tab');
  });

  it('the editor\u2019s tab carries the unsaved marker while the page holds unsaved changes (issue 14)', async () => {
    const { session } = await open(await newKey('policy editor: unsaved marker'));
    await session.init();
    const original = session.text();
    const tabLabel = (): string | undefined =>
      vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .find((t) => t.input instanceof vscode.TabInputWebview && t.label.endsWith(session.title.replace(/^\u25cf /, '')))?.label;
    assert.equal(tabLabel()?.startsWith('\u25cf'), false);
    await session.receive({ type: 'edit', text: withKeyUser(original) });
    await until('the marker', () => tabLabel()?.startsWith('\u25cf '));
    await session.receive({ type: 'edit', text: original });
    await until('the marker to go once the change is undone', () => tabLabel() !== undefined && !tabLabel()!.startsWith('\u25cf'));
    await session.receive({ type: 'edit', text: withKeyUser(original) });
    await until('the marker again', () => tabLabel()?.startsWith('\u25cf '));
    answer(true);
    const result = await save(session, withKeyUser(original));
    assert.equal(result.saved, true);
    await until('the marker to go once saved', () => tabLabel() !== undefined && !tabLabel()!.startsWith('\u25cf'));
  });

  it('closing the panel ends the session and closes its JSON tab', async () => {
    const { session } = await open(await newKey('policy editor: close'));
    await session.request({ kind: 'openJson' });
    await until('the JSON tab', () =>
      vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .find((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === session.uri),
    );
    const panelTab = vscode.window.tabGroups.all
      .flatMap((g) => g.tabs)
      .find((t) => t.input instanceof vscode.TabInputWebview && sameTitle(t.label, session.title));
    assert.ok(panelTab);
    await vscode.window.tabGroups.close(panelTab);
    await until('the session to end', () => !editors.sessions().some((s) => s.keyId === session.keyId));
    await until(
      'the JSON tab to close',
      () =>
        !vscode.window.tabGroups.all
          .flatMap((g) => g.tabs)
          .some((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === session.uri),
    );
  });
  it('keeps the unsaved changes of a closed editor: Reopen restores them (a save still sees a change made on KMS since), Discard lets them go', async () => {
    const keyId = await newKey('policy editor: closed with changes');
    const closePanel = async (session: PolicyEditorDriver): Promise<void> => {
      const tab = vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .find((t) => t.input instanceof vscode.TabInputWebview && sameTitle(t.label, session.title));
      assert.ok(tab, 'the editor’s tab');
      const closed = session.closed();
      await vscode.window.tabGroups.close(tab);
      await closed;
    };

    const first = (await open(keyId)).session;
    await first.init();
    const original = first.text();
    const edited = withKeyUser(original);
    await first.receive({ type: 'edit', text: edited });
    const ui = answer('Reopen');
    await closePanel(first);
    const reopened = await until('the editor to be reopened', () => {
      const now = editors.session(keyId);
      return now && now.text() === edited ? now : undefined;
    });
    assert.equal(ui.asked[0].kind, 'choose');
    assert.match(ui.asked[0].message ?? '', /closed with unsaved changes/);
    assert.deepEqual(ui.asked[0].labels, ['Reopen', 'Discard Changes']);
    const init = await reopened.init();
    assert.equal(init.text, edited, 'the edit is back');
    assert.equal(init.serverText, original, 'compared against the version it was made on');
    assert.match(init.statusMessage ?? '', /Restored the unsaved changes/);
    assert.equal(await gateway.getKeyPolicy(keyId), original, 'nothing was saved by closing');

    // Someone changes the policy on KMS meanwhile: saving the restored edit is a conflict, not an overwrite.
    const theirs = withKeyUser(original, `arn:aws:iam::${ACCOUNT}:role/SomeoneElse`);
    await gateway.putKeyPolicy(keyId, theirs);
    answer('Compare');
    const refused = await save(reopened, edited);
    assert.equal(refused.saved, false);
    assert.match(refused.message, /was changed on KMS since you opened it/);
    assert.equal(await gateway.getKeyPolicy(keyId), theirs);

    answer('Discard Changes');
    await closePanel(reopened);
    await until('the draft to be let go', () => editors.draft(keyId, connection.id) === undefined);
    const fresh = (await open(keyId)).session;
    const freshInit = await fresh.init();
    assert.equal(freshInit.text, theirs, 'a new editor starts from the server');
    assert.equal(freshInit.statusMessage, undefined);
    const none = answer();
    await closePanel(fresh);
    await until('the clean editor to close', () => !editors.sessions().some((s) => s.keyId === keyId));
    assert.deepEqual(none.asked, [], 'closing an editor without changes asks nothing');
    assert.equal(editors.draft(keyId, connection.id), undefined);
  });
});
