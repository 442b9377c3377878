// The extension's contract with VS Code, checked in a real extension host: it activates,
// what package.json declares is what the code registers, and the KMS view is reachable.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activeExtension, extensionId, manifestOf, type Manifest } from './util/env';

/** Commands VS Code itself registers for each contributed view (`<viewId>.focus`, …). */
function viewIds(manifest: Manifest): string[] {
  return Object.values(manifest.contributes?.views ?? {}).flatMap((views) => views.map((v) => v.id));
}

describe('foundation', () => {
  it('activates', async () => {
    const ext = vscode.extensions.getExtension(extensionId);
    assert.ok(ext, `${extensionId} is not installed`);
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  it('registers every command declared in package.json', async () => {
    const manifest = manifestOf(await activeExtension());
    const declared = (manifest.contributes?.commands ?? []).map((c) => c.command);
    assert.ok(declared.length > 0, 'package.json declares no commands');
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = declared.filter((id) => !registered.has(id));
    assert.deepEqual(missing, [], `declared but not registered: ${missing.join(', ')}`);
  });

  it('declares every kmsWorkbench.* command it registers', async () => {
    const manifest = manifestOf(await activeExtension());
    const declared = new Set((manifest.contributes?.commands ?? []).map((c) => c.command));
    const viewPrefixes = viewIds(manifest).map((id) => `${id}.`);
    const registered = (await vscode.commands.getCommands(true)).filter(
      (id) => id.startsWith('kmsWorkbench.') && !viewPrefixes.some((prefix) => id.startsWith(prefix)),
    );
    const undeclared = registered.filter((id) => !declared.has(id));
    assert.deepEqual(undeclared, [], `registered but not declared in package.json: ${undeclared.join(', ')}`);
  });

  it('names commands kmsWorkbench.<verb><Noun> in category "KMS"', async () => {
    const commands = manifestOf(await activeExtension()).contributes?.commands ?? [];
    const wrong = commands.filter((c) => !/^kmsWorkbench\.[a-z]+[A-Z][A-Za-z0-9]*$/.test(c.command) || c.category !== 'KMS');
    assert.deepEqual(
      wrong.map((c) => `${c.command} (category ${c.category ?? 'none'})`),
      [],
    );
  });

  it('declares the KMS activity-bar container with the kmsWorkbench.keys view', async () => {
    const manifest = manifestOf(await activeExtension());
    const container = manifest.contributes?.viewsContainers?.activitybar?.find((c) => c.id === 'kms');
    assert.ok(container, 'no activity-bar view container "kms"');
    assert.equal(container.title, 'KMS');
    const views = manifest.contributes?.views?.kms ?? [];
    assert.ok(
      views.some((v) => v.id === 'kmsWorkbench.keys'),
      'view container "kms" has no view "kmsWorkbench.keys"',
    );
  });

  it('opens the KMS container and focuses the keys view', async () => {
    await activeExtension();
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.ok(registered.has('workbench.view.extension.kms'), 'VS Code has no command to open the "kms" container');
    assert.ok(registered.has('kmsWorkbench.keys.focus'), 'VS Code has no command to focus the "kmsWorkbench.keys" view');
    await vscode.commands.executeCommand('workbench.view.extension.kms');
    await vscode.commands.executeCommand('kmsWorkbench.keys.focus');
  });
});
