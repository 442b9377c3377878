// One e2e environment: a KMS emulator, a copy of a fixture workspace, code-server with the
// extension (development folder or packaged .vsix) and the emulator in its environment,
// and a Chromium page on the workbench.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Page } from 'playwright-core';
import { startEmulator } from '../../emulator/server';
import { awsEnvironment } from '../../harness/awsEnvironment';
import { launchBrowser, type LaunchedBrowser } from '../../harness/browser';
import { repoRoot, startCodeServer, type CodeServer } from '../../harness/codeServer';
import { openWorkbench } from './workbench';

export interface E2eEnvironmentOptions {
  /** Folder under test/fixtures to copy and open; default "workspace". */
  fixture?: string;
  /** Emulator seed (object or path); default: the emulator's default state. */
  seed?: NonNullable<Parameters<typeof startEmulator>[0]>['seed'];
  /** User settings, given the emulator's URL; default: one connection to the emulator. */
  settings?: (emulatorUrl: string) => Record<string, unknown>;
  /** Install this .vsix instead of loading the development folder. */
  vsixPath?: string;
}

export interface E2eEnvironment {
  readonly page: Page;
  readonly server: CodeServer;
  readonly emulatorUrl: string;
  /** The opened workspace (a temp copy of the fixture). */
  readonly workspace: string;
  /** Closes the browser, code-server and the emulator, and removes the temp folders. */
  close(): Promise<void>;
}

export const defaultSettings = (emulatorUrl: string): Record<string, unknown> => ({
  'kmsWorkbench.connections': [{ label: 'Local KMS emulator', region: 'us-east-1', endpoint: emulatorUrl }],
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
});

/** Starts everything and opens the workbench; call `close()` in `after`. */
export async function startE2eEnvironment(options: E2eEnvironmentOptions = {}): Promise<E2eEnvironment> {
  const scratch = mkdtempSync(join(tmpdir(), 'kms-e2e-'));
  const workspace = join(scratch, 'workspace');
  cpSync(join(repoRoot, 'test', 'fixtures', options.fixture ?? 'workspace'), workspace, { recursive: true });

  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(scratch, { recursive: true, force: true })];
  const close = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch {
        // keep closing the rest
      }
    }
  };
  try {
    const emulator = await startEmulator({ port: 0, seed: options.seed });
    cleanups.push(() => emulator.close());
    const server = await startCodeServer({
      env: awsEnvironment({ emulatorUrl: emulator.url, dir: join(scratch, 'aws') }),
      settings: (options.settings ?? defaultSettings)(emulator.url),
      installVsix: options.vsixPath ? [options.vsixPath] : undefined,
    });
    cleanups.push(() => server.stop());
    const browser: LaunchedBrowser = await launchBrowser();
    cleanups.push(() => browser.close());
    const { page } = browser;
    // Without a .vsix the development folder is loaded, as with `--extensionDevelopmentPath`.
    await openWorkbench(page, server, workspace, { extensionDevelopmentPath: options.vsixPath ? undefined : repoRoot });
    return { page, server, emulatorUrl: emulator.url, workspace, close };
  } catch (err) {
    await close();
    throw err;
  }
}
