// The integration stage of `npm test`: each run gets its own KMS emulator, its own copy of a
// fixture workspace and its own code-server, and runs (some of) the mocha files in
// out/test/integration inside the real extension host.
//
// Add a run to `integrationRuns` when a suite needs a different workspace or settings.
import { runTests } from '@vscode/test-electron';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../emulator/server';
import { awsEnvironment } from './awsEnvironment';
import { repoRoot } from './codeServer';
import { runExtensionTests } from './extensionTests';

export interface IntegrationRun {
  name: string;
  /** Globs relative to out/test/integration (KMS_INTEGRATION_FILES); default: every *.test.js. */
  files?: string;
  /** Test the packaged .vsix installed into code-server instead of the development folder. */
  vsix?: boolean;
  /** Start through @vscode/test-electron's runTests + scripts/code-server-test-host (proves that route). */
  viaTestElectron?: boolean;
  /** Folder under test/fixtures copied to a temp folder and opened; default "workspace". */
  fixture?: string;
  /** Emulator seed (object or path); default: the emulator's default state. */
  seed?: NonNullable<Parameters<typeof startEmulator>[0]>['seed'];
  /** User settings, given the emulator's URL. */
  settings?: (emulatorUrl: string) => Record<string, unknown>;
  /**
   * Also start a foreign account's emulator (account 999988887777, reached through the main
   * emulator as KMS reaches another account's keys) and a server without STS (account
   * 444455556666, like local-kms): their URLs in KMS_FOREIGN_EMULATOR_URL and KMS_NO_STS_EMULATOR_URL.
   */
  otherAccounts?: boolean;
}

/** Accounts of the emulators of a run with otherAccounts. */
export const FOREIGN_ACCOUNT_ID = '999988887777';
export const NO_STS_ACCOUNT_ID = '444455556666';

export const integrationRuns: IntegrationRun[] = [
  {
    name: 'development folder via @vscode/test-electron runTests, default connection from the environment',
    viaTestElectron: true,
  },
  {
    // The artefact users install: its contract and activation. (Suites that drive the
    // extension through its development-only test API run against the development folder.)
    name: 'packaged .vsix, connection from settings',
    vsix: true,
    files: 'foundation.test.js,activation.test.js,commandArguments.test.js',
    settings: (url) => ({ 'kmsWorkbench.connections': [{ label: 'Local KMS emulator', region: 'us-east-1', endpoint: url }] }),
  },
  {
    // A cloned repository that tries to route the user's requests: its settings set
    // kmsWorkbench.connections and propose a connection (the test points both at a recording
    // loopback listener); the user's own connection (user settings) is the emulator.
    name: 'malicious workspace: workspace connections ignored, proposals used only once approved',
    fixture: 'malicious-workspace',
    files: 'trustBoundary.test.js',
    settings: (url) => ({ 'kmsWorkbench.connections': [{ label: 'Mine', region: 'us-east-1', endpoint: url }] }),
  },
  {
    // A workspace choosing a key, and a planted file, in another account; a server without STS.
    name: 'keys of other accounts: a foreign account behind the emulator, a server without STS',
    files: 'accounts.test.js',
    otherAccounts: true,
  },
  {
    // Files written by the real sops 3.8.1, and the seed with their keys' material.
    name: 'SOPS files: the fixtures written by sops 3.8.1 as the workspace',
    fixture: 'sops',
    seed: join(repoRoot, 'test', 'fixtures', 'sops', 'seed.yaml'),
    files: 'sops.test.js',
  },
  {
    // Workspace secrets: files in every format written at run time under keys of this run's
    // emulator; .gitignore and files.exclude hide folders the inventory must not list.
    name: 'workspace secrets: inventory, key state, plaintext guard, re-keying many files',
    fixture: 'inventory-workspace',
    files: 'inventory.test.js',
  },
];

export interface MochaSummary {
  passes: number;
  failures: number;
  pending: number;
  tests: number;
  /** Tests that passed only when run again. */
  flaky?: string[];
}

export interface IntegrationRunResult {
  run: IntegrationRun;
  exitCode: number;
  /** Undefined when the run ended before mocha finished (crash, timeout, no tests). */
  summary?: MochaSummary;
  durationMs: number;
}

export const hostExecutable = join(repoRoot, 'scripts', 'code-server-test-host');
export const testsIndex = join(repoRoot, 'out', 'test', 'integration', 'index.js');

export function vsixPathOf(): string {
  const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string };
  return join(repoRoot, `${manifest.name}-${manifest.version}.vsix`);
}

function readSummary(file: string): MochaSummary | undefined {
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as MochaSummary;
}

/** Runs one integration run; never throws for test failures (see exitCode). */
export async function runIntegration(run: IntegrationRun, timeoutMs = 5 * 60_000): Promise<IntegrationRunResult> {
  const started = Date.now();
  if (!existsSync(testsIndex)) throw new Error(`${testsIndex} is missing: run npm run build first`);
  const vsixPath = run.vsix ? vsixPathOf() : undefined;
  if (vsixPath && !existsSync(vsixPath)) throw new Error(`${vsixPath} is missing: run npm run package first`);

  const scratch = mkdtempSync(join(tmpdir(), 'kms-integration-'));
  const others = run.otherAccounts
    ? {
        foreign: await startEmulator({ port: 0, accountId: FOREIGN_ACCOUNT_ID }),
        noSts: await startEmulator({ port: 0, accountId: NO_STS_ACCOUNT_ID, sts: false }),
      }
    : undefined;
  const emulator = await startEmulator({
    port: 0,
    seed: run.seed,
    peers: others ? { [FOREIGN_ACCOUNT_ID]: others.foreign.url } : undefined,
  });
  try {
    const workspace = join(scratch, 'workspace');
    cpSync(join(repoRoot, 'test', 'fixtures', run.fixture ?? 'workspace'), workspace, { recursive: true });
    const summaryFile = join(scratch, 'summary.json');
    const env: Record<string, string | undefined> = {
      ...awsEnvironment({ emulatorUrl: emulator.url, dir: join(scratch, 'aws') }),
      KMS_TEST_SUMMARY_FILE: summaryFile,
      KMS_INTEGRATION_FILES: run.files ?? process.env.KMS_INTEGRATION_FILES,
      KMS_FOREIGN_EMULATOR_URL: others?.foreign.url,
      KMS_NO_STS_EMULATOR_URL: others?.noSts.url,
    };
    const settings = run.settings?.(emulator.url) ?? {};
    console.log(`[integration] emulator ${emulator.url}, workspace ${workspace}`);

    let exitCode: number;
    if (run.viaTestElectron) {
      // runTests passes process.env plus extensionTestsEnv on to the host executable.
      for (const [name, value] of Object.entries(env)) if (value === undefined) delete process.env[name];
      const extensionTestsEnv = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
      extensionTestsEnv.CODE_SERVER_TEST_SETTINGS = JSON.stringify(settings);
      extensionTestsEnv.CODE_SERVER_TEST_TIMEOUT_MS = String(timeoutMs);
      if (vsixPath) extensionTestsEnv.CODE_SERVER_TEST_VSIX = vsixPath;
      try {
        exitCode = await runTests({
          vscodeExecutablePath: hostExecutable,
          extensionDevelopmentPath: repoRoot,
          extensionTestsPath: testsIndex,
          launchArgs: [workspace],
          extensionTestsEnv,
        });
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        exitCode = typeof code === 'number' && code !== 0 ? code : 1;
        console.log(`[integration] ${err instanceof Error ? err.message : String(err)}`);
      }
    } else {
      const result = await runExtensionTests({
        extensionDevelopmentPath: vsixPath ? undefined : repoRoot,
        vsixPath,
        extensionTestsPath: testsIndex,
        folder: workspace,
        env,
        settings,
        timeoutMs,
      });
      exitCode = result.exitCode;
    }
    return { run, exitCode, summary: readSummary(summaryFile), durationMs: Date.now() - started };
  } finally {
    await emulator.close();
    await others?.foreign.close();
    await others?.noSts.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}
