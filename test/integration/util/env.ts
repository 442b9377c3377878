// What the harness (test/harness) gives the extension host through the environment.
import * as vscode from 'vscode';

export const extensionId = 'kms-workbench.kms-workbench';

/** Base URL of the KMS emulator the run was started with (also AWS_ENDPOINT_URL_KMS). */
export function emulatorUrl(): string {
  const url = process.env.KMS_EMULATOR_URL;
  if (!url) throw new Error('KMS_EMULATOR_URL is not set: run the integration tests through scripts/test.mjs or test/harness.');
  return url.replace(/\/+$/, '');
}

/** The extension under test, activated. */
export async function activeExtension(): Promise<vscode.Extension<unknown>> {
  const ext = vscode.extensions.getExtension(extensionId);
  if (!ext) throw new Error(`Extension ${extensionId} is not installed in this extension host.`);
  await ext.activate();
  return ext;
}

export interface ManifestCommand {
  command: string;
  title: string;
  category?: string;
}

export interface Manifest {
  contributes?: {
    commands?: ManifestCommand[];
    viewsContainers?: Record<string, { id: string; title: string; icon?: string }[]>;
    views?: Record<string, { id: string; name: string; type?: string }[]>;
  };
}

/** The package.json of the extension as VS Code loaded it (dev folder or installed .vsix). */
export function manifestOf(ext: vscode.Extension<unknown>): Manifest {
  return ext.packageJSON as Manifest;
}
