// Runs extension tests inside code-server's real extension host, the way VS Code's own
// browser integration tests do (see ../shared/REAL-VSCODE.md): the workbench is opened with
// a `payload` naming extensionDevelopmentPath and extensionTestsPath; the run's log arrives
// through `codeAutomationLog` and its exit code through `codeAutomationExit`.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { format } from 'node:util';
import { launchBrowser, type LaunchedBrowser } from './browser';
import { startCodeServer, type CodeServer } from './codeServer';

export interface ExtensionTestRunOptions {
  /** The tests' index module (exports `run()`), e.g. out/test/integration/index.js. */
  extensionTestsPath: string;
  /** Folder of the extension under development. Omit when `vsixPath` is given. */
  extensionDevelopmentPath?: string;
  /**
   * A packaged extension to install into the fresh extensions folder and test instead of a
   * development folder (VS Code still needs a development extension to start a test run, so
   * an empty stand-in one is used).
   */
  vsixPath?: string;
  /** Workspace folder to open; default: an empty temp folder. */
  folder?: string;
  /** Environment for code-server, inherited by the extension host. */
  env?: Record<string, string | undefined>;
  /** User settings (`<user-data>/User/settings.json`). */
  settings?: Record<string, unknown>;
  /** Whole-run limit, from starting code-server to the exit code; default 5 minutes. */
  timeoutMs?: number;
  /** Receives each line of the test run's output; default: written to stdout. */
  onLine?: (line: string) => void;
  /** code-server entry script; default: the provisioned one. */
  codeServerBinary?: string;
}

export interface ExtensionTestRunResult {
  /** 0 when every test passed. */
  exitCode: number;
  /** `code-server --version`, e.g. "4.100.3 409c64e… with Code 1.100.3". */
  codeServerVersion: string;
  /** The VS Code version, e.g. "1.100.3". */
  vscodeVersion: string;
  durationMs: number;
}

/**
 * The arguments of one `codeAutomationLog` call are those of a `console.log` in the extension
 * host or of a workbench log message (format string first, e.g. mocha's "  %d passing (%s)").
 */
function formatLogArgs(args: unknown): string {
  const list: unknown[] = Array.isArray(args) ? args : [args];
  return typeof list[0] === 'string' ? format(...list) : list.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
}

/** Workbench log lines that say nothing about the tests (shown with KMS_HARNESS_VERBOSE=1). */
const workbenchChatter = [
  /^Resolv(ing|ed) connection token/,
  /^Creating a socket \(renderer-/,
  /^Updating additional builtin extensions cache/,
  /^\[Service Worker\]/,
  /^ChatSessionStore:/,
  /ENOTFOUND open-vsx\.org/,
  /vsda/,
];

/**
 * VS Code newer than about 1.10x honours `payload` only with the smoke-test driver enabled,
 * which code-server cannot be told on its command line: patch the workbench configuration in
 * the page before the workbench reads it. (1.100.3 does not need this; it is harmless there.)
 */
function enableSmokeTestDriver(): void {
  const patch = (): boolean => {
    const element = document.getElementById('vscode-workbench-web-configuration');
    const raw = element?.getAttribute('data-settings');
    if (!element || !raw) return false;
    try {
      const config = JSON.parse(raw) as { developmentOptions?: Record<string, unknown> };
      config.developmentOptions = { ...config.developmentOptions, enableSmokeTestDriver: true };
      element.setAttribute('data-settings', JSON.stringify(config));
    } catch {
      // leave the page alone
    }
    return true;
  };
  if (!patch()) {
    const observer = new MutationObserver(() => {
      if (patch()) observer.disconnect();
    });
    observer.observe(document, { childList: true, subtree: true });
  }
}

/** A development extension that contributes nothing: lets a test run start against an installed .vsix. */
function standInDevelopmentExtension(root: string): string {
  const dir = join(root, 'test-runner-extension');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'test-runner', publisher: 'kms-workbench-tests', version: '0.0.0', engines: { vscode: '*' } }, null, 2),
  );
  return dir;
}

/** Starts code-server, opens the workbench with the test payload, returns the tests' exit code. */
export async function runExtensionTests(options: ExtensionTestRunOptions): Promise<ExtensionTestRunResult> {
  const started = Date.now();
  const verbose = Boolean(process.env.KMS_HARNESS_VERBOSE);
  const timeoutMs = options.timeoutMs ?? 5 * 60_000;
  const onLine = options.onLine ?? ((line: string) => process.stdout.write(`${line}\n`));
  if (!options.extensionDevelopmentPath && !options.vsixPath)
    throw new Error('runExtensionTests needs extensionDevelopmentPath or vsixPath');

  const scratch = mkdtempSync(join(tmpdir(), 'kms-ext-tests-'));
  const folder = options.folder ?? join(scratch, 'workspace');
  mkdirSync(folder, { recursive: true });
  const developmentPath = options.vsixPath ? standInDevelopmentExtension(scratch) : resolve(options.extensionDevelopmentPath!);

  let server: CodeServer | undefined;
  let browser: LaunchedBrowser | undefined;
  let timer: NodeJS.Timeout | undefined;
  let finished = false;
  /** After a timeout the run may still be starting things: stop them as they appear. */
  const abandoned = async (): Promise<boolean> => {
    if (!finished) return false;
    await browser?.close();
    await server?.stop();
    return true;
  };
  try {
    const run = async (): Promise<ExtensionTestRunResult> => {
      server = await startCodeServer({
        binary: options.codeServerBinary,
        env: options.env,
        settings: options.settings,
        installVsix: options.vsixPath ? [options.vsixPath] : undefined,
      });
      if (await abandoned()) throw new Error('abandoned');
      const vscodeVersion = /with Code (\S+)/.exec(server.version)?.[1] ?? 'unknown';
      onLine(`[harness] code-server ${server.version} (VS Code ${vscodeVersion}) at ${server.url}`);
      onLine(`[harness] extension: ${options.vsixPath ? `installed from ${options.vsixPath}` : `development folder ${developmentPath}`}`);

      browser = await launchBrowser();
      if (await abandoned()) throw new Error('abandoned');
      const { page } = browser;
      let resolveExit: (code: number) => void = () => undefined;
      const exited = new Promise<number>((r) => (resolveExit = r));
      await page.exposeFunction('codeAutomationLog', (_type: string, args: unknown) => {
        const text = formatLogArgs(args);
        if (!verbose && workbenchChatter.some((re) => re.test(text))) return;
        for (const line of text.split('\n')) onLine(line);
      });
      await page.exposeFunction('codeAutomationExit', (code: number) => resolveExit(Number(code)));
      await page.addInitScript(enableSmokeTestDriver);
      page.on('crash', () => resolveExit(98));
      page.on('pageerror', (err) => {
        if (verbose) onLine(`[page error] ${err.message}`);
      });

      const authority = new URL(server.url).host;
      const remote = (path: string): string => `vscode-remote://${authority}${resolve(path)}`;
      const payload: [string, string][] = [
        ['extensionDevelopmentPath', remote(developmentPath)],
        ['extensionTestsPath', remote(options.extensionTestsPath)],
        ['skipWelcome', 'true'],
      ];
      await page.goto(server.workbenchUrl(folder, payload), { waitUntil: 'domcontentloaded', timeout: 60_000 });
      const exitCode = await exited;
      return { exitCode, codeServerVersion: server.version, vscodeVersion, durationMs: Date.now() - started };
    };
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`extension test run timed out after ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
    });
    return await Promise.race([run(), timeout]);
  } catch (err) {
    if (server) onLine(`[harness] last code-server output:\n${server.output().split('\n').slice(-20).join('\n')}`);
    throw err;
  } finally {
    finished = true;
    clearTimeout(timer);
    await browser?.close();
    await server?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}
