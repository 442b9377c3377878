// `npm run emulator` (test/emulator/cli.ts) as a process: configuration from the environment,
// the ready line, a clean stop on SIGINT and SIGTERM, state kept in KMS_EMULATOR_PERSIST.
import { CreateKeyCommand, DescribeKeyCommand, KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import * as assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rejectsWith } from './helpers';

const repoRoot = join(__dirname, '..', '..', '..');

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

function startCli(env: NodeJS.ProcessEnv): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', join('test', 'emulator', 'cli.ts')], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line within 15 s:\n${output}`)), 15_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const ready = /KMS emulator listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (ready) {
        clearTimeout(timer);
        resolve({ child, url: ready[1], output: () => output });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before it was ready:\n${output}`));
    });
  });
}

function stop(started: Started, signal: NodeJS.Signals): Promise<number | null> {
  return new Promise((resolve) => {
    started.child.removeAllListeners('exit');
    started.child.once('exit', (code) => resolve(code));
    started.child.kill(signal);
  });
}

describe('KMS emulator: npm run emulator', function () {
  this.timeout(40_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kms-cli-run-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('takes port, credentials, account, seed and state file from the environment, and stops cleanly on SIGTERM and SIGINT', async () => {
    const env = {
      KMS_EMULATOR_PORT: '0',
      KMS_EMULATOR_ACCESS_KEY_ID: 'AKIALOCALDEMO',
      KMS_EMULATOR_SECRET_ACCESS_KEY: 'local-secret',
      KMS_EMULATOR_ACCOUNT_ID: '999988887777',
      KMS_EMULATOR_SEED: join(repoRoot, 'test', 'emulator', 'demo-seed.yaml'),
      KMS_EMULATOR_PERSIST: join(dir, 'state.json'),
    };
    const first = await startCli(env);
    try {
      const client = new KMSClient({
        endpoint: first.url,
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIALOCALDEMO', secretAccessKey: 'local-secret' },
        maxAttempts: 1,
      });
      assert.match(
        (await client.send(new DescribeKeyCommand({ KeyId: 'alias/app-secrets' }))).KeyMetadata!.Arn!,
        /^arn:aws:kms:us-east-1:999988887777:key\//,
      );
      const created = (await client.send(new CreateKeyCommand({ Description: 'made before the restart' }))).KeyMetadata!.KeyId!;
      const defaults = new KMSClient({
        endpoint: first.url,
        region: 'us-east-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        maxAttempts: 1,
      });
      await rejectsWith(defaults.send(new ListKeysCommand({})), 'UnrecognizedClientException');
      assert.equal(await stop(first, 'SIGTERM'), 0);
      assert.ok(existsSync(env.KMS_EMULATOR_PERSIST));

      const second = await startCli(env);
      const again = new KMSClient({
        endpoint: second.url,
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIALOCALDEMO', secretAccessKey: 'local-secret' },
        maxAttempts: 1,
      });
      assert.equal((await again.send(new DescribeKeyCommand({ KeyId: created }))).KeyMetadata?.Description, 'made before the restart');
      assert.equal(await stop(second, 'SIGINT'), 0);
      assert.match(second.output(), /SIGINT, stopping/);
    } finally {
      first.child.kill('SIGKILL');
    }
  });

  it('defaults to port 4599 when KMS_EMULATOR_PORT is not set (and says so when the port is taken)', async () => {
    const busy = await fetch('http://127.0.0.1:4599/').then(
      () => true,
      () => false,
    );
    const unset = { KMS_EMULATOR_PORT: undefined, KMS_EMULATOR_SEED: undefined, KMS_EMULATOR_PERSIST: undefined };
    if (busy) {
      await assert.rejects(startCli(unset), /exited with 1 before it was ready:[\s\S]*EADDRINUSE[\s\S]*127\.0\.0\.1:4599/);
      return;
    }
    const started = await startCli(unset);
    try {
      assert.equal(started.url, 'http://127.0.0.1:4599');
      const health = (await (await fetch(`${started.url}/_emulator/health`)).json()) as { accountId: string };
      assert.equal(health.accountId, '111122223333');
    } finally {
      assert.equal(await stop(started, 'SIGTERM'), 0);
    }
  });
});
