// Text from servers and files is shown as text in the real VS Code: a key whose description
// and tags carry Markdown, links, command URIs, HTML and control characters, and a message
// whose header names a crafted "key ARN", yield tooltips and hovers whose Markdown, once
// rendered, has no heading, link, image or HTML of theirs (only the hover's own command link).
import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import MarkdownIt from 'markdown-it';
import * as vscode from 'vscode';
import { parseMessageHeader, rewriteHeaderBody } from '../../src/core/envelope/messageFormat';
import { EmulatorControl } from '../emulator/control';
import { type ConnectionSetting, eventually, setConnections, type Testing, testing, TreeDriver } from './tree/treeDriver';
import { emulatorUrl } from './util/env';

const REGION = 'ca-central-1';
const KEY_ID = '0a1b2c3d-0000-4000-8000-0000000000e1';
const EVIL =
  'prod\r\r# Injected heading\n[Run](command:workbench.action.terminal.new) <img src=x onerror=alert(1)> ``x`` \u202Egnp.exe https://evil.example';
const md = new MarkdownIt({ html: true, linkify: true });

/** The HTML elements rendered Markdown has, as tag names. */
function elements(markdown: string): string[] {
  return [...md.render(markdown).matchAll(/<([a-z0-9]+)[\s>/]/gi)].map((m) => m[1].toLowerCase());
}

const INJECTED = ['h1', 'h2', 'a', 'img', 'script', 'pre', 'blockquote'];

describe('inert text from servers and files', function () {
  this.timeout(120_000);
  let t: Testing;
  let tree: TreeDriver;
  let previousConnections: unknown;

  before(async function () {
    const api = await testing().catch(() => undefined);
    if (!api) {
      console.log('      (skipped: the extension exposes no testing API in this run)');
      this.skip();
    }
    t = api;
    tree = new TreeDriver(t);
    await new EmulatorControl(emulatorUrl()).seed({
      keys: [
        {
          region: REGION,
          id: KEY_ID,
          description: EVIL,
          tags: { team: EVIL.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, ' '), 'evil\u202Ekey': 'v' },
        },
      ],
    });
    previousConnections = vscode.workspace.getConfiguration('kmsWorkbench').inspect('connections')?.globalValue;
    await vscode.commands.executeCommand('workbench.action.closeSidebar');
    const inert: ConnectionSetting = { label: 'Inert', region: REGION, endpoint: emulatorUrl() };
    await setConnections(tree, [inert]);
  });

  after(async () => {
    if (t)
      await vscode.workspace.getConfiguration('kmsWorkbench').update('connections', previousConnections, vscode.ConfigurationTarget.Global);
  });

  it('a key whose description is hostile has a tooltip with no live heading, link or HTML', async () => {
    const key = await tree.path('Inert', 'Customer managed keys', KEY_ID);
    let tooltip = '';
    await eventually(async () => {
      tooltip = await tree.tooltip(key);
      assert.match(tooltip, /Description: /);
    }, 'the tooltip to describe the key');
    const found = elements(tooltip).filter((e) => INJECTED.includes(e));
    assert.deepEqual(found, [], tooltip);
    const text = md.render(tooltip).replace(/<[^>]*>/g, '');
    assert.ok(text.includes('prod\\r\\r# Injected heading\\n[Run](command:workbench.action.terminal.new)'), text);
    assert.ok(text.includes('\\u202Egnp.exe'), 'the bidi override is shown, not applied');
  });

  it('tag names and values are shown with their controls visible', async () => {
    const tags = await tree.children(await tree.path('Inert', 'Customer managed keys', KEY_ID, 'Tags'));
    const shown = tags.map((s) => `${s.label}=${s.description}`);
    assert.ok(shown.includes('evil\\u202Ekey=v'), shown.join(' | '));
    for (const s of tags)
      assert.doesNotMatch(`${s.label}${s.description}${typeof s.item.tooltip === 'string' ? s.item.tooltip : ''}`, /[\r\n\u202e]/);
  });

  it('a message whose header names a crafted key ARN gets a hover with only its own command link', async () => {
    const connection = await t.services.connections.active();
    const keyArn = (await t.services.kms.gateway(connection).createKey({ Description: 'inert text test' })).Arn ?? '';
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(root);
    const file = join(root, `inert-${Date.now().toString(36)}.env`);
    writeFileSync(file, 'secret');
    await vscode.commands.executeCommand('kmsWorkbench.encryptFile', {
      uri: file,
      keyId: keyArn,
      format: 'binary',
      encryptionContext: { note: '`](command:workbench.action.terminal.new) # x' },
    });
    const message = readFileSync(file);
    const header = parseMessageHeader(message);
    assert.ok(header);
    // A header edited by hand (its authentication no longer matches: the hover only reads it).
    const body = rewriteHeaderBody(header, {
      encryptedDataKeys: [
        { ...header.encryptedDataKeys[0], providerInfo: `${keyArn}\`](command:workbench.action.terminal.new)\r\r# heading` },
      ],
    });
    const crafted = Buffer.concat([body, message.subarray(header.headerBody.length)]);
    writeFileSync(file, `X=${crafted.toString('base64')}\n`);
    const uri = vscode.Uri.file(file);
    await vscode.window.showTextDocument(uri);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(0, 10));
    const parts = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : '')));
    const all = parts.join('\n\n');
    assert.match(all, /AWS Encryption SDK message/);
    const links = [...md.render(all).matchAll(/<a href="([^"]*)"/g)].map((m) => m[1]);
    assert.equal(links.length, 1, all);
    assert.match(links[0], /^command:kmsWorkbench\.peekCiphertext\?/);
    assert.deepEqual(
      elements(all).filter((e) => ['h1', 'h2', 'img', 'script'].includes(e)),
      [],
      all,
    );
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });
});
