#!/usr/bin/env node
// Provisions code-server (a real VS Code workbench + Node extension host, see
// ../shared/REAL-VSCODE.md) from the npm registry into .vscode-test/code-server/, the way
// @vscode/test-electron provisions VS Code into .vscode-test/: idempotent, in a folder of
// its own (git-ignored), never as a dependency of the extension.
//
//   node scripts/provision-code-server.mjs          install if needed, print the binary path
//   node scripts/provision-code-server.mjs --force  reinstall
//
// As a module: `import { provisionCodeServer, codeServerBinary } from './provision-code-server.mjs'`.
//
// What it does, and why:
// - code-server's install runs `npm install` in lib/vscode, whose @vscode/ripgrep downloads
//   rg from GitHub (unreachable here). It first looks in
//   $TMPDIR/vscode-ripgrep-cache-<ver>/ripgrep-<tag>-<target>.tar.gz, so Debian's `rg` is
//   packed there beforehand.
// - As root, npm needs `--unsafe-perm` (code-server's postinstall refuses otherwise) and
//   `npm_config_yes=true` (node-pty's build runs `npx node-gyp`, which would prompt).
// - Native modules (node-pty, kerberos) build against the local Node headers
//   (/usr/include/node) when present, since nodejs.org is unreachable.
import { spawn, spawnSync } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  copyFileSync,
  chmodSync,
} from 'node:fs';
import { tmpdir, arch } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.100.3';
const RIPGREP_PACKAGE_VERSION = '1.15.11'; // @vscode/ripgrep pinned by code-server 4.100.3's lib/vscode
const RIPGREP_TAG = 'v13.0.0-10';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const codeServerRoot = join(repoRoot, '.vscode-test', 'code-server');
/** The code-server launcher (a node script) inside the provisioned folder. */
export const codeServerBinary = join(codeServerRoot, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const markerFile = join(codeServerRoot, '.provisioned.json');

const log = (msg) => console.log(`[provision-code-server] ${msg}`);

class ProvisionError extends Error {
  constructor(message, fix) {
    super(fix ? `${message}\n  Fix: ${fix}` : message);
  }
}

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The installed version, or undefined when nothing complete is installed. */
export function installedCodeServerVersion() {
  if (!existsSync(markerFile) || !existsSync(codeServerBinary)) return undefined;
  try {
    return JSON.parse(readFileSync(markerFile, 'utf8')).version;
  } catch {
    return undefined;
  }
}

function checkPrerequisites() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major !== 20) {
    throw new ProvisionError(
      `code-server ${CODE_SERVER_VERSION} needs Node 20; this is Node ${process.versions.node}.`,
      'run with Node 20 (e.g. `nvm use 20`).',
    );
  }
  const missing = [];
  if (!which('rg')) missing.push('ripgrep');
  if (!which('krb5-config') && !existsSync('/usr/include/gssapi/gssapi.h')) missing.push('libkrb5-dev');
  if (!which('make') || !which('g++')) missing.push('build-essential');
  if (!which('python3')) missing.push('python3');
  if (missing.length) {
    throw new ProvisionError(
      `missing system packages needed to install code-server: ${missing.join(', ')}.`,
      `apt-get install -y ${missing.join(' ')}`,
    );
  }
}

function ripgrepTarget() {
  switch (process.env.npm_config_arch || arch()) {
    case 'x64':
      return 'x86_64-unknown-linux-musl';
    case 'arm64':
      return 'aarch64-unknown-linux-musl';
    default:
      throw new ProvisionError(`no ripgrep cache layout known for architecture ${arch()}.`, 'provision on x64 or arm64 Linux.');
  }
}

/** Packs Debian's `rg` where @vscode/ripgrep's postinstall looks before downloading. */
function seedRipgrepCache(tmp) {
  const cacheDir = join(tmp, `vscode-ripgrep-cache-${RIPGREP_PACKAGE_VERSION}`);
  const archive = join(cacheDir, `ripgrep-${RIPGREP_TAG}-${ripgrepTarget()}.tar.gz`);
  if (existsSync(archive)) {
    log(`ripgrep cache present: ${archive}`);
    return;
  }
  const rg = which('rg');
  const staging = mkdtempSync(join(tmp, 'rg-pack-'));
  try {
    copyFileSync(rg, join(staging, 'rg'));
    chmodSync(join(staging, 'rg'), 0o755);
    mkdirSync(cacheDir, { recursive: true });
    const r = spawnSync('tar', ['-czf', archive, '-C', staging, 'rg'], { stdio: 'inherit' });
    if (r.status !== 0) throw new ProvisionError(`could not pack ${rg} into ${archive}.`, 'check that `tar` and `gzip` are installed.');
    log(`packed ${rg} into the ripgrep cache: ${archive}`);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function hintFor(logText) {
  if (/gssapi|krb5/i.test(logText)) return 'apt-get install -y libkrb5-dev';
  if (/api\.github\.com|ripgrep/i.test(logText) && /ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN/.test(logText)) {
    return 'apt-get install -y ripgrep (its rg is packed into the ripgrep cache so nothing is downloaded from GitHub)';
  }
  if (/requires node v20/i.test(logText)) return 'run with Node 20';
  if (/unsafe-perm/i.test(logText))
    return 'install as root with --unsafe-perm (this script does; check npm_config_unsafe_perm is not overridden)';
  if (/node-gyp|gyp ERR/i.test(logText)) {
    return 'apt-get install -y build-essential python3 (and make sure Node headers are available: /usr/include/node, or set npm_config_nodedir)';
  }
  if (/ENOTFOUND|EAI_AGAIN|ETIMEDOUT/.test(logText)) return 'check access to the npm registry (npm config get registry)';
  return undefined;
}

function runLogged(cmd, args, options, logPath) {
  return new Promise((resolvePromise) => {
    const out = createWriteStream(logPath, { flags: 'a' });
    out.write(`\n$ ${cmd} ${args.join(' ')}\n`);
    const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    const started = Date.now();
    const ticker = setInterval(() => log(`  … still installing (${Math.round((Date.now() - started) / 1000)} s)`), 20_000);
    child.on('error', (err) => {
      clearInterval(ticker);
      out.end(`\n${err.stack}\n`, () => resolvePromise(1));
    });
    child.on('close', (code) => {
      clearInterval(ticker);
      out.end(() => resolvePromise(code ?? 1));
    });
  });
}

/**
 * `code-server --version`, e.g. "4.100.3 1d0... with Code 1.100.3", run with a throwaway HOME
 * so nothing is written to the real one. Undefined when it does not run.
 */
export function readCodeServerVersion(binary = codeServerBinary) {
  const home = mkdtempSync(join(tmpdir(), 'code-server-version-'));
  try {
    const r = spawnSync(process.execPath, [binary, '--version'], {
      encoding: 'utf8',
      env: { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_DATA_HOME: join(home, 'data') },
    });
    if (r.status !== 0) return undefined;
    return r.stdout
      .split('\n')
      .map((l) => l.trim())
      .find((l) => /^\d+\.\d+\.\d+ /.test(l));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/**
 * Installs code-server into .vscode-test/code-server unless that version is already there.
 * @returns {Promise<{ binary: string, version: string, root: string }>}
 */
export async function provisionCodeServer({ force = false } = {}) {
  const current = installedCodeServerVersion();
  if (!force && current === CODE_SERVER_VERSION) {
    log(`code-server ${current} already provisioned in ${codeServerRoot}`);
    return { binary: codeServerBinary, version: current, root: codeServerRoot };
  }
  if (current)
    log(
      current === CODE_SERVER_VERSION
        ? `reinstalling code-server ${current} (--force)`
        : `replacing code-server ${current} with ${CODE_SERVER_VERSION}`,
    );
  checkPrerequisites();

  const tmp = tmpdir();
  seedRipgrepCache(tmp);

  const staging = `${codeServerRoot}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  writeFileSync(
    join(staging, 'package.json'),
    JSON.stringify(
      { name: 'code-server-test-install', private: true, description: 'Provisioned by scripts/provision-code-server.mjs' },
      null,
      2,
    ),
  );
  const logPath = join(dirname(codeServerRoot), 'code-server-install.log');
  writeFileSync(logPath, `code-server ${CODE_SERVER_VERSION} install, ${new Date().toISOString()}\n`);

  const env = {
    ...process.env,
    TMPDIR: tmp,
    npm_config_yes: 'true',
    npm_config_unsafe_perm: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    npm_config_ignore_scripts: 'false',
  };
  if (!env.npm_config_nodedir && existsSync('/usr/include/node/common.gypi')) env.npm_config_nodedir = '/usr';

  log(`installing code-server@${CODE_SERVER_VERSION} into ${codeServerRoot} (about 80 s, 300 MB; log: ${logPath})`);
  const started = Date.now();
  const code = await runLogged(
    'npm',
    ['install', `code-server@${CODE_SERVER_VERSION}`, '--unsafe-perm', '--no-save', '--no-package-lock', '--foreground-scripts'],
    { cwd: staging, env },
    logPath,
  );
  const logText = readFileSync(logPath, 'utf8');
  if (code !== 0 || !existsSync(join(staging, 'node_modules', 'code-server', 'lib', 'vscode', 'node_modules'))) {
    const tail = logText.split('\n').slice(-40).join('\n');
    console.error(tail);
    const why = code !== 0 ? `npm install exited with ${code}` : "code-server's postinstall did not run (lib/vscode has no node_modules)";
    throw new ProvisionError(`installing code-server failed: ${why}. Full log: ${logPath}`, hintFor(logText) ?? `read ${logPath}`);
  }

  const versionLine = readCodeServerVersion(join(staging, 'node_modules', 'code-server', 'out', 'node', 'entry.js'));
  if (!versionLine)
    throw new ProvisionError('the installed code-server does not start (`code-server --version` failed).', `read ${logPath}`);
  writeFileSync(join(staging, '.provisioned.json'), JSON.stringify({ version: CODE_SERVER_VERSION, versionOutput: versionLine }, null, 2));

  rmSync(codeServerRoot, { recursive: true, force: true });
  renameSync(staging, codeServerRoot);
  log(`installed code-server ${versionLine} in ${Math.round((Date.now() - started) / 1000)} s`);
  return { binary: codeServerBinary, version: CODE_SERVER_VERSION, root: codeServerRoot };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const { binary } = await provisionCodeServer({ force: process.argv.includes('--force') });
    console.log(binary);
  } catch (err) {
    console.error(`[provision-code-server] ERROR: ${err.message}`);
    process.exit(1);
  }
}
