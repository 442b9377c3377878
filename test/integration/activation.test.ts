// Runs first (files run in name order): activation must not load the AWS SDK, the
// Encryption SDK or the YAML parser (dist/secretsScan.js); they load on first use.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { extensionId } from './util/env';

function loadedBundles(): string[] {
  return Object.keys(require.cache).filter((p) => /[\\/]dist[\\/](awsSdk|encryptionSdk|secretsScan)\.js$/.test(p));
}

describe('activation', () => {
  it('activates without loading the AWS SDK, the Encryption SDK or the YAML parser', async () => {
    const ext = vscode.extensions.getExtension(extensionId);
    assert.ok(ext, `${extensionId} is not installed`);
    assert.deepEqual(loadedBundles(), [], 'an SDK bundle was loaded before activation');
    await ext.activate();
    assert.equal(ext.isActive, true);
    assert.deepEqual(loadedBundles(), [], 'activation loaded an SDK bundle');
  });

  it('loads the AWS SDK on first use', async () => {
    const connection = await vscode.commands
      .executeCommand<{ region: string }>('kmsWorkbench.selectConnection', { connection: 'environment · us-east-1' })
      .then(
        (c) => c,
        () => undefined,
      );
    // Whether or not that connection exists here, resolving connections reads the AWS
    // config files through the SDK's parser, which lives in the lazily loaded bundle.
    void connection;
    assert.ok(
      loadedBundles().some((p) => p.endsWith('awsSdk.js')),
      'the AWS SDK bundle was not loaded on first use',
    );
  });
});
