// The Workspace Secrets view and its Problems entries in the real workbench: files in several
// formats under three keys (one disabled, one pending deletion) and a plaintext .env.local,
// written after the workbench opened (the view picks them up through its file watcher).
// Screenshots: test-output/screenshots/workspace-secrets*.png (copied to docs/images for the README).
import * as assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from '../../src/core/aws/connection';
import { EnvelopeCrypto } from '../../src/core/envelope/envelopeCrypto';
import { encryptFileInPlace } from '../../src/core/envelope/fileEncryption';
import { regionalGateways } from '../../src/core/envelope/regionalGateways';
import { encryptSecret } from '../../src/core/envelope/secretText';
import { KmsClientFactory } from '../../src/core/kms/client';
import { encryptNew } from '../../src/core/sops/sopsFile';
import { startE2eEnvironment, type E2eEnvironment } from './support/environment';
import { openActivity, runCommand, screenshot, treeItem, viewPane, waitForSideBarIdle } from './support/workbench';

describe('Workspace Secrets view in the workbench', function () {
  this.timeout(240_000);
  let env: E2eEnvironment | undefined;
  let awsDir: string;

  before(async () => {
    env = await startE2eEnvironment({ fixture: 'inventory-workspace' });
    awsDir = mkdtempSync(join(tmpdir(), 'kmswb-e2e-aws-'));
    writeFileSync(join(awsDir, 'config'), '[profile e2e]\nregion = us-east-1\n');
    writeFileSync(join(awsDir, 'credentials'), '[e2e]\naws_access_key_id = test\naws_secret_access_key = test\n');
    const factory = new KmsClientFactory({
      env: { AWS_CONFIG_FILE: join(awsDir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(awsDir, 'credentials'), HOME: awsDir },
      maxAttempts: 1,
    });
    const connection: Connection = { id: 'e2e', label: 'e2e', profile: 'e2e', region: 'us-east-1', endpoint: env.emulatorUrl };
    const gatewayFor = regionalGateways(factory, connection);
    const gw = gatewayFor(undefined);
    const key = async (alias: string): Promise<string> => {
      const meta = await gw.createKey({});
      await gw.createAlias(alias, meta.KeyId!);
      return meta.Arn!;
    };
    const app = await key('alias/app-secrets');
    const old = await key('alias/legacy');
    const retiring = await key('alias/retiring');
    const job = { envelope: new EnvelopeCrypto(gatewayFor), gatewayFor };
    const dir = join(env.workspace, 'config');
    mkdirSync(dir, { recursive: true });
    const put = (name: string, content: string): string => {
      writeFileSync(join(dir, name), content);
      return join(dir, name);
    };
    await encryptFileInPlace(put('notes.txt', 'release notes'), { keyId: app, encryptionContext: { app: 'web' } }, job);
    await encryptFileInPlace(put('cert.bin', 'binary'), { keyId: app, format: 'binary' }, job);
    const blob = await encryptSecret(Buffer.from('pw'), { keyId: app }, job);
    put('app.env', `USER=web\nPASSWORD=${blob.ciphertext}\n`);
    const keys = {
      decryptDataKey: async () => Promise.reject(new Error('not used')),
      encryptDataKey: async (k: { arn: string }, dataKey: Uint8Array) =>
        (await gw.encrypt({ keyId: k.arn, plaintext: dataKey })).ciphertext,
    };
    put('db.sops.yaml', await encryptNew(Buffer.from('password: x\n'), { format: 'yaml', keys: [{ arn: app }] }, keys));
    await encryptFileInPlace(put('old.txt', 'old data'), { keyId: old }, job);
    await encryptFileInPlace(put('token.kms', 'tok'), { keyId: retiring, format: 'blob' }, job);
    put('.env.local', 'API_TOKEN=not-encrypted\n');
    await gw.disableKey(old.split('/').pop()!);
    await gw.scheduleKeyDeletion(retiring.split('/').pop()!, 7);
    factory.forget();
  });

  after(async () => {
    await env?.close();
    rmSync(awsDir, { recursive: true, force: true });
  });

  it('shows files grouped by key, their warnings, and the Problems panel', async () => {
    const { page } = env!;
    await openActivity(page, 'KMS');
    await runCommand(page, 'KMS: Refresh Workspace Secrets');
    const pane = viewPane(page, 'Workspace Secrets');
    await pane.locator('.pane-body').waitFor({ state: 'visible', timeout: 60_000 });
    await treeItem(page, /alias\/app-secrets/).waitFor({ state: 'visible', timeout: 60_000 });
    await treeItem(page, /alias\/legacy/).waitFor({ state: 'visible', timeout: 60_000 });
    await treeItem(page, /Plaintext secrets files/).waitFor({ state: 'visible', timeout: 60_000 });
    await waitForSideBarIdle(page);
    const shot = await screenshot(page, 'workspace-secrets');
    console.log(`      screenshot: ${shot}`);
    await runCommand(page, 'View: Focus Problems (Errors, Warnings, Infos)');
    await page
      .getByText(/scheduled for deletion/)
      .first()
      .waitFor({ state: 'visible', timeout: 30_000 });
    const problems = await screenshot(page, 'workspace-secrets-problems');
    console.log(`      screenshot: ${problems}`);
    assert.ok(
      await page
        .getByText(/matches a secrets pattern/)
        .first()
        .isVisible(),
    );
    mkdirSync('docs/images', { recursive: true });
    copyFileSync(shot, 'docs/images/workspace-secrets.png');
    copyFileSync(problems, 'docs/images/workspace-secrets-problems.png');
  });
});
