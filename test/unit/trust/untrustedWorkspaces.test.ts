// Restricted Mode as declared in package.json, and read through one function. (The integration
// tests run code-server with trust disabled, so what VS Code does with the declaration is not
// observable there; the extension's own behaviour is, through the trust override.)
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(__dirname, '..', '..', '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  capabilities?: { untrustedWorkspaces?: { supported?: unknown; description?: unknown; restrictedConfigurations?: unknown } };
  contributes: { configuration: { properties: Record<string, { scope?: string }> } };
};
const properties = manifest.contributes.configuration.properties;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('workspace trust', () => {
  it('declares limited support for untrusted workspaces, with a description', () => {
    const declared = manifest.capabilities?.untrustedWorkspaces;
    assert.equal(declared?.supported, 'limited');
    assert.equal(typeof declared?.description, 'string');
    assert.ok(String(declared?.description).length > 40);
  });

  it('restricts every workspace-settable setting that chooses keys, connections or what decrypting does', () => {
    const restricted = manifest.capabilities?.untrustedWorkspaces?.restrictedConfigurations as string[];
    for (const name of [
      'kmsWorkbench.proposedConnections',
      'kmsWorkbench.defaultKey',
      'kmsWorkbench.openEncryptedFiles',
      'kmsWorkbench.promptForEncryptionContext',
      'kmsWorkbench.fileFormat',
      'kmsWorkbench.secretsFiles',
    ]) {
      assert.ok(restricted.includes(name), `${name} is not in restrictedConfigurations`);
    }
    for (const name of restricted) {
      assert.ok(properties[name], `${name} is restricted but not a setting`);
      assert.notEqual(
        properties[name].scope,
        'application',
        `${name} is application-scoped: a workspace cannot set it, so restricting it says nothing`,
      );
    }
  });

  it('lets only the user set what routes traffic: connections and the insecure-endpoint allowance are application-scoped', () => {
    assert.equal(properties['kmsWorkbench.connections'].scope, 'application');
    assert.equal(properties['kmsWorkbench.allowInsecureEndpoints'].scope, 'application');
    // Whether policies go to IAM Access Analyzer is the user's to say, too.
    assert.equal(properties['kmsWorkbench.policyEditor.accessAnalyzer'].scope, 'application');
    assert.equal(properties['kmsWorkbench.proposedConnections'].scope, 'resource');
  });

  it('leaves no workspace-settable setting unrestricted (a new one must be judged and listed)', () => {
    const restricted = new Set(manifest.capabilities?.untrustedWorkspaces?.restrictedConfigurations as string[]);
    const workspaceSettable = Object.entries(properties)
      .filter(([, p]) => p.scope !== 'application' && p.scope !== 'machine')
      .map(([name]) => name);
    assert.deepEqual(
      workspaceSettable.filter((name) => !restricted.has(name)),
      [],
    );
  });

  it('reads trust through one function (src/host/trust/workspaceTrust.ts)', () => {
    const readers = sourceFiles(join(root, 'src'))
      .filter((file) => /workspace\.isTrusted|onDidGrantWorkspaceTrust/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(root, file).split('\\').join('/'));
    assert.deepEqual(readers, ['src/host/trust/workspaceTrust.ts']);
  });
});
