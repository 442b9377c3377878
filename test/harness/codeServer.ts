// Starts and stops code-server (a real VS Code server, see ../shared/REAL-VSCODE.md) for
// tests, the e2e suite and the demo: 127.0.0.1 on a free port, fresh user-data and
// extensions folders, HOME and XDG_* pointed at a temp folder, the given environment
// (which the extension host inherits) and user settings.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stopProcessGroup, trackProcessGroup } from './processes';

export const repoRoot = resolve(__dirname, '..', '..');

/** Where scripts/provision-code-server.mjs installs code-server. */
export const defaultCodeServerBinary = join(
  repoRoot,
  '.vscode-test',
  'code-server',
  'node_modules',
  'code-server',
  'out',
  'node',
  'entry.js',
);

export interface CodeServerOptions {
  /** code-server's entry script (run with this Node); default: the provisioned one. */
  binary?: string;
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** Extra environment for code-server and so for the extension host (e.g. AWS_*). */
  env?: Record<string, string | undefined>;
  /** User settings, written to `<user-data>/User/settings.json`. */
  settings?: Record<string, unknown>;
  /** .vsix files installed into the fresh extensions folder before start (`--install-extension`). */
  installVsix?: string[];
  /** Folder opened when the workbench URL has no `folder` query (code-server's positional argument). */
  folder?: string;
  /** Root of the temp folder (user data, extensions, HOME); default: a new one under the OS temp dir. */
  tempRoot?: string;
  /** Keep the temp folder after stop (default false; the demo keeps its state elsewhere). */
  keepTemp?: boolean;
  /** Receives code-server's stdout/stderr lines; default: dropped unless KMS_HARNESS_VERBOSE is set. */
  onOutput?: (line: string) => void;
  /** How long to wait for /healthz; default 60 s. */
  startTimeoutMs?: number;
}

export interface CodeServer {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  readonly tempRoot: string;
  /** `code-server --version` first line, e.g. "4.100.3 409c64e… with Code 1.100.3". */
  readonly version: string;
  /** Workbench URL for a folder (absolute path on this machine), optionally with a `payload`. */
  workbenchUrl(folder?: string, payload?: [string, string][]): string;
  /** Everything code-server printed so far. */
  output(): string;
  /** Kills the whole process group (SIGTERM, then SIGKILL) and removes the temp folder. Idempotent. */
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function assertBinary(binary: string): void {
  if (!existsSync(binary)) {
    throw new Error(`code-server is not provisioned (${binary} is missing). Run: node scripts/provision-code-server.mjs`);
  }
}

/** Environment that keeps code-server away from the real home directory. */
function isolatedEnv(tempRoot: string, extra: Record<string, string | undefined> | undefined): NodeJS.ProcessEnv {
  const home = join(tempRoot, 'home');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_STATE_HOME: join(home, '.local', 'state'),
    XDG_RUNTIME_DIR: join(home, '.run'),
  };
  // Variables that would make code-server or the extension host behave differently from a
  // user's VS Code if they leaked in from a developer's shell or a parent VS Code.
  for (const name of Object.keys(env)) {
    if (/^(VSCODE_|ELECTRON_RUN_AS_NODE$|PASSWORD$|HASHED_PASSWORD$|GITHUB_TOKEN$|PORT$|CODE_SERVER_|CS_)/.test(name)) delete env[name];
  }
  for (const [name, value] of Object.entries(extra ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  for (const dir of ['HOME', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_CACHE_HOME', 'XDG_STATE_HOME', 'XDG_RUNTIME_DIR']) {
    mkdirSync(env[dir]!, { recursive: true, mode: 0o700 });
  }
  return env;
}

/** `code-server --version`, first line that looks like a version. */
export function codeServerVersion(binary = defaultCodeServerBinary): string {
  assertBinary(binary);
  const home = mkdtempSync(join(tmpdir(), 'code-server-version-'));
  try {
    const r = spawnSync(process.execPath, [binary, '--version'], { encoding: 'utf8', env: isolatedEnv(home, undefined) });
    const line = r.stdout
      .split('\n')
      .map((l) => l.trim())
      .find((l) => /^\d+\.\d+\.\d+ /.test(l));
    if (r.status !== 0 || !line) throw new Error(`code-server --version failed: ${r.stderr || r.stdout}`);
    return line;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** Installs a .vsix into an extensions folder (`code-server --install-extension`). */
export function installExtension(
  vsix: string,
  dirs: { extensionsDir: string; userDataDir: string; tempRoot: string },
  binary = defaultCodeServerBinary,
): void {
  assertBinary(binary);
  if (!existsSync(vsix)) throw new Error(`no such .vsix: ${vsix} (run npm run package)`);
  const r = spawnSync(
    process.execPath,
    [binary, '--extensions-dir', dirs.extensionsDir, '--user-data-dir', dirs.userDataDir, '--install-extension', resolve(vsix), '--force'],
    { encoding: 'utf8', env: isolatedEnv(dirs.tempRoot, undefined), timeout: 120_000 },
  );
  const out = `${r.stdout}${r.stderr}`;
  if (r.status !== 0 || !/successfully installed/i.test(out)) {
    throw new Error(`installing ${vsix} into code-server failed (exit ${r.status}):\n${out}`);
  }
}

async function waitForHealthz(url: string, timeoutMs: number, exited: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    const why = exited();
    if (why) throw new Error(`code-server exited before it was ready (${why})`);
    try {
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
      lastError = `HTTP ${response.status}`;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`code-server did not answer ${url}/healthz within ${timeoutMs} ms (${lastError})`);
}

/** Starts code-server and waits until it answers /healthz. Call `stop()` in a `finally`. */
export async function startCodeServer(options: CodeServerOptions = {}): Promise<CodeServer> {
  const binary = options.binary ?? defaultCodeServerBinary;
  assertBinary(binary);
  const host = options.host ?? '127.0.0.1';
  const tempRoot = options.tempRoot ?? mkdtempSync(join(tmpdir(), 'kms-code-server-'));
  const userDataDir = join(tempRoot, 'user-data');
  const extensionsDir = join(tempRoot, 'extensions');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  const removeTemp = (): void => {
    if (!options.keepTemp) rmSync(tempRoot, { recursive: true, force: true });
  };

  try {
    writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify(options.settings ?? {}, null, 2));
    for (const vsix of options.installVsix ?? []) installExtension(vsix, { extensionsDir, userDataDir, tempRoot }, binary);
  } catch (err) {
    removeTemp();
    throw err;
  }
  const version = codeServerVersion(binary);
  const port = options.port || (await freePort(host));
  const url = `http://${host}:${port}`;

  const args = [
    binary,
    '--auth',
    'none',
    '--bind-addr',
    `${host}:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
  ];
  if (options.folder) args.push(options.folder);

  // KMS_TEST_USER_DATA_DIR: tests in the extension host look there for what VS Code wrote (backups, state).
  const env = isolatedEnv(tempRoot, { KMS_TEST_USER_DATA_DIR: userDataDir, ...options.env });
  const child = spawn(process.execPath, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  trackProcessGroup(child);

  let output = '';
  const verbose = Boolean(process.env.KMS_HARNESS_VERBOSE);
  const onOutput = options.onOutput ?? (verbose ? (line: string) => process.stderr.write(`[code-server] ${line}\n`) : undefined);
  let partial = '';
  const onData = (chunk: Buffer): void => {
    const text = chunk.toString('utf8');
    output += text;
    if (!onOutput) return;
    partial += text;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) onOutput(line);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let exitReason: string | undefined;
  child.once('exit', (code, signal) => {
    exitReason = signal ? `signal ${signal}` : `exit code ${code}`;
  });
  child.once('error', (err) => {
    exitReason = err.message;
  });

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= stopProcessGroup(child).finally(removeTemp);
    return stopped;
  };

  try {
    await waitForHealthz(url, options.startTimeoutMs ?? 60_000, () => exitReason);
  } catch (err) {
    await stop();
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`${message}\n--- code-server output ---\n${output.split('\n').slice(-30).join('\n')}`);
  }

  return {
    url,
    port,
    pid: child.pid!,
    userDataDir,
    extensionsDir,
    tempRoot,
    version,
    workbenchUrl(folder?: string, payload?: [string, string][]): string {
      const query: string[] = [];
      // Slashes stay readable in the folder path (code-server accepts them unencoded).
      if (folder) query.push(`folder=${encodeURIComponent(resolve(folder)).replace(/%2F/g, '/')}`);
      if (payload) query.push(`payload=${encodeURIComponent(JSON.stringify(payload))}`);
      return query.length ? `${url}/?${query.join('&')}` : `${url}/`;
    },
    output: () => output,
    stop,
  };
}
