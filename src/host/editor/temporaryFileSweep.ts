// Temporary files of in-place writes (`.<name>.kmswb-<16 hex>.tmp`, beside the file) left by a
// crash or a killed window are removed when the extension starts: in the background, a few
// seconds after activation, across the workspace folders. Only files untouched for two minutes
// are removed: a write in progress in another window touches its file more often than that
// (each KMS call has a 100 s limit).
import * as vscode from 'vscode';
import { removeIfStaleTemporaryFile } from '../../core/files/atomicReplace';
import type { Services } from '../services';

/** The name pattern, as a glob (see isTemporaryFileName for the exact one). */
export const TEMPORARY_FILE_GLOB = '**/.*.kmswb-*.tmp';
const STARTUP_DELAY_MS = 5_000;
const UNTOUCHED_MS = 2 * 60 * 1000;

export async function sweepTemporaryFiles(services: Services, untouchedMs = UNTOUCHED_MS): Promise<string[]> {
  const removed: string[] = [];
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    if (folder.uri.scheme !== 'file') continue;
    const found = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, TEMPORARY_FILE_GLOB));
    for (const uri of found) {
      if (await removeIfStaleTemporaryFile(uri.fsPath, untouchedMs)) removed.push(uri.fsPath);
    }
  }
  if (removed.length)
    services.log.info(`Removed ${removed.length} temporary file(s) left by an interrupted encrypt or decrypt: ${removed.join(', ')}`);
  return removed;
}

/** Starts the sweep in the background after activation; never slows activation or fails it. */
export function scheduleTemporaryFileSweep(services: Services): vscode.Disposable {
  const timer = setTimeout(() => {
    sweepTemporaryFiles(services).catch((error: unknown) =>
      services.log.warn(`Could not look for left-over temporary files: ${error instanceof Error ? error.message : String(error)}`),
    );
  }, STARTUP_DELAY_MS);
  return { dispose: () => clearTimeout(timer) };
}
