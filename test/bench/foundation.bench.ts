// Foundation benchmark: sizes of what users install, and activation in the real VS Code
// (code-server) beside the time to load the AWS SDK measured in the same extension host.
// Needs `npm run package` and `node scripts/build.mjs --tests-only` first (scripts/bench.mjs does both).
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../harness/codeServer';
import { runExtensionTests } from '../harness/extensionTests';
import { vsixPathOf } from '../harness/integrationRuns';

const RUNS = 5;

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const vsix = vsixPathOf();
  const bundle = join(repoRoot, 'dist', 'extension.js');
  const probe = join(repoRoot, 'out', 'test', 'integration', 'bench', 'activationProbe.js');
  for (const f of [vsix, bundle, probe])
    if (!existsSync(f)) throw new Error(`${f} is missing: run npm run bench (it packages and builds first)`);

  console.log('Sizes (limits: dist/extension.js 1.2 MB, .vsix 1.5 MB)');
  for (const f of ['extension.js', 'awsSdk.js', 'encryptionSdk.js']) {
    const p = join(repoRoot, 'dist', f);
    if (existsSync(p)) console.log(`  dist/${f.padEnd(18)} ${kib(statSync(p).size)}`);
  }
  console.log(`  ${vsix.replace(repoRoot + '/', '').padEnd(23)} ${kib(statSync(vsix).size)}`);

  // Baseline measured in the same run: an extension whose activate() does nothing, so what
  // VS Code itself spends on activating any extension is visible beside ours.
  const emptyDir = mkdtempSync(join(tmpdir(), 'kms-bench-empty-'));
  mkdirSync(join(emptyDir, 'dist'));
  writeFileSync(
    join(emptyDir, 'package.json'),
    JSON.stringify({ name: 'empty', publisher: 'bench', version: '0.0.0', main: './dist/extension.js', engines: { vscode: '^1.100.0' } }),
  );
  writeFileSync(join(emptyDir, 'dist', 'extension.js'), 'exports.activate = () => {};\n');

  // The packaged extension activates on onStartupFinished, so VS Code would activate it before
  // the probe could time activate(). The probe runs the production build (what the .vsix
  // holds: dist/, media/, schemas/, package.json) from a copy whose manifest lacks that one
  // event; the code activate() runs is the same.
  const oursDir = mkdtempSync(join(tmpdir(), 'kms-bench-ours-'));
  for (const part of ['dist', 'media', 'schemas']) cpSync(join(repoRoot, part), join(oursDir, part), { recursive: true });
  const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { activationEvents?: string[] };
  manifest.activationEvents = (manifest.activationEvents ?? []).filter((e) => e !== 'onStartupFinished');
  writeFileSync(join(oursDir, 'package.json'), JSON.stringify(manifest));

  const ours = await probeRuns({ extensionDevelopmentPath: oursDir }, 'kms-workbench.kms-workbench');
  rmSync(oursDir, { recursive: true, force: true });
  const empty = await probeRuns({ extensionDevelopmentPath: emptyDir }, 'bench.empty');
  rmSync(emptyDir, { recursive: true, force: true });

  const act = median(ours.activation);
  const base = median(empty.activation);
  console.log(`\nActivation in VS Code 1.100.3 (code-server), median of ${RUNS} fresh extension hosts each:`);
  console.log(
    `  KMS Workbench activate()                  ${act.toFixed(1)} ms   (runs: ${ours.activation.map((v) => v.toFixed(1)).join(', ')})`,
  );
  console.log(
    `  empty extension activate()                ${base.toFixed(1)} ms   (runs: ${empty.activation.map((v) => v.toFixed(1)).join(', ')}) → ours is ${(act / base).toFixed(2)}× an empty extension`,
  );
  for (const [k, values] of Object.entries(ours.sdk)) {
    const m = median(values);
    console.log(
      `  require(dist/${k}.js) afterwards`.padEnd(44) +
        `${m.toFixed(1)} ms   (loaded on first use; ${(m / act).toFixed(2)}× our activation)`,
    );
  }
}

async function probeRuns(
  extension: { vsixPath?: string; extensionDevelopmentPath?: string },
  id: string,
): Promise<{ activation: number[]; sdk: Record<string, number[]> }> {
  const probe = join(repoRoot, 'out', 'test', 'integration', 'bench', 'activationProbe.js');
  const activation: number[] = [];
  const sdk: Record<string, number[]> = {};
  for (let i = 0; i < RUNS; i++) {
    const scratch = mkdtempSync(join(tmpdir(), 'kms-bench-'));
    const outFile = join(scratch, 'result.json');
    try {
      const result = await runExtensionTests({
        ...extension,
        extensionTestsPath: probe,
        folder: scratch,
        env: {
          KMS_BENCH_OUT: outFile,
          KMS_BENCH_EXTENSION_ID: id,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
        },
        settings: {},
        timeoutMs: 120_000,
      });
      if (result.exitCode !== 0 || !existsSync(outFile)) throw new Error(`activation probe failed for ${id} (exit ${result.exitCode})`);
      const r = JSON.parse(readFileSync(outFile, 'utf8')) as { activationMs: number; sdkLoadMs: Record<string, number> };
      activation.push(r.activationMs);
      for (const [k, v] of Object.entries(r.sdkLoadMs)) (sdk[k] ??= []).push(v);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  return { activation, sdk };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
