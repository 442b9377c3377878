#!/usr/bin/env node
// `npm run demo`: the packaged extension in a real VS Code (code-server) against the local KMS
// emulator, offline.
//
//   1. npm run package          → kms-workbench-<version>.vsix (the artefact users install)
//   2. provision code-server    → .vscode-test/code-server (once)
//   3. KMS emulator             → seeded from test/emulator/demo-seed.yaml, state kept in .demo/
//   4. sample workspace         → .demo/workspace (created once from test/fixtures/workspace)
//   5. code-server              → 127.0.0.1:8080 (PORT overrides), the .vsix installed, the
//                                  connection "Local KMS emulator" in the user settings,
//                                  credentials test/test in its environment
//
// Ctrl-C stops code-server and the emulator. `rm -rf .demo` starts over.
// Environment: PORT (default 8080), KMS_EMULATOR_PORT (default 4599), DEMO_HOST (default 127.0.0.1).
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { provisionCodeServer } from './provision-code-server.mjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const demoDir = join(repoRoot, '.demo');
const workspace = join(demoDir, 'workspace');
const host = process.env.DEMO_HOST || '127.0.0.1';
const port = Number(process.env.PORT || 8080);
const emulatorPort = Number(process.env.KMS_EMULATOR_PORT || 4599);
const seedPath = join(repoRoot, 'test', 'emulator', 'demo-seed.yaml');

const step = (msg) => console.log(`\n[demo] ${msg}`);

function sh(cmd, args) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolvePromise() : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}`))));
  });
}

function createWorkspace() {
  if (existsSync(workspace)) {
    console.log(`[demo] keeping the existing workspace ${workspace}`);
    return;
  }
  cpSync(join(repoRoot, 'test', 'fixtures', 'workspace'), workspace, { recursive: true });
  writeFileSync(
    join(workspace, 'secrets.txt'),
    [
      '# Plain-text secrets to try the in-place encrypt/decrypt commands on (made-up values).',
      'admin-password: tr0ub4dor-and-3',
      'backup-encryption-passphrase: demo passphrase, not real',
      '',
    ].join('\n'),
  );
  console.log(`[demo] created the sample workspace ${workspace}`);
}

async function main() {
  mkdirSync(demoDir, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
  const vsix = join(repoRoot, `${manifest.name}-${manifest.version}.vsix`);

  step('building and packaging the extension (npm run package)');
  await sh('npm', ['run', '-s', 'package']);

  step('provisioning code-server');
  await provisionCodeServer();

  require('tsx/cjs/api').register();
  const { startEmulator } = require('../test/emulator/server.ts');
  const { startCodeServer } = require('../test/harness/codeServer.ts');
  const { awsEnvironment } = require('../test/harness/awsEnvironment.ts');

  step(`starting the KMS emulator (seed ${seedPath}, state in ${join(demoDir, 'emulator')})`);
  const emulator = await startEmulator({
    port: emulatorPort,
    seed: existsSync(seedPath) ? seedPath : undefined,
    persistDir: join(demoDir, 'emulator'),
  });
  console.log(`[demo] KMS emulator listening on ${emulator.url}`);

  createWorkspace();

  let server;
  let stopping = false;
  const stop = async (signal) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n[demo] ${signal ?? 'stopping'}: stopping code-server and the emulator…`);
    await server?.stop().catch(() => undefined);
    await emulator.close().catch(() => undefined);
    console.log('[demo] stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('Ctrl-C'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  step(`starting code-server on ${host}:${port} with ${vsix}`);
  server = await startCodeServer({
    host,
    port,
    tempRoot: join(demoDir, 'code-server'),
    keepTemp: true,
    installVsix: [vsix],
    env: awsEnvironment({ emulatorUrl: emulator.url, dir: join(demoDir, 'aws') }),
    settings: {
      'kmsWorkbench.connections': [{ label: 'Local KMS emulator', region: 'us-east-1', endpoint: emulator.url }],
      'workbench.startupEditor': 'none',
      'security.workspace.trust.enabled': false,
      // .demo/workspace sits inside this repository: do not offer to open it in Git.
      'git.openRepositoryInParentFolders': 'never',
    },
  });

  const url = server.workbenchUrl(workspace);
  console.log(`\n${'═'.repeat(72)}`);
  console.log(`  KMS Workbench demo (${server.version.replace(/^(\S+) \S+/, 'code-server $1')})`);
  console.log(`  Open: ${url}`);
  console.log(`  KMS emulator: ${emulator.url} (credentials test/test, account 111122223333)`);
  console.log('  Ctrl-C stops everything.');
  console.log(`${'═'.repeat(72)}\n`);
}

main().catch((err) => {
  console.error(`[demo] ERROR: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
