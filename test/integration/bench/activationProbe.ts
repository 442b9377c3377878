// Loaded as the extension tests module by test/bench/foundation.bench.ts (not a test file):
// measures, inside the real extension host, how long activation takes and, in the same
// process, how long requiring each lazily loaded SDK bundle takes.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';

export async function run(): Promise<void> {
  const out = process.env.KMS_BENCH_OUT;
  if (!out) throw new Error('KMS_BENCH_OUT is not set');
  const extensionId = process.env.KMS_BENCH_EXTENSION_ID ?? 'kms-workbench.kms-workbench';
  const ext = vscode.extensions.getExtension(extensionId);
  if (!ext) throw new Error(`${extensionId} is not installed`);
  if (ext.isActive) throw new Error('the extension was already active: the measurement would be meaningless');
  // Let the freshly started extension host settle, so its own start-up work is not counted.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const t0 = performance.now();
  await ext.activate();
  const activationMs = performance.now() - t0;
  const sdkLoadMs: Record<string, number> = {};
  for (const bundle of ['awsSdk', 'encryptionSdk']) {
    const path = join(ext.extensionPath, 'dist', `${bundle}.js`);
    const t = performance.now();
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(path);
      sdkLoadMs[bundle] = performance.now() - t;
    } catch {
      // that bundle does not exist in this build
    }
  }
  writeFileSync(out, JSON.stringify({ activationMs, sdkLoadMs }));
}
