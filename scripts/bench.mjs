#!/usr/bin/env node
// `npm run bench`: builds the packaged extension, then runs every test/bench/*.bench.ts
// (with tsx) one after another, each printing its own figures. Benchmarks report ratios
// against a baseline measured in the same run; nothing here asserts on time.
//   node scripts/bench.mjs [name…]   run only the benches whose file name contains a name
//   --no-package                     skip `npm run package` (use the existing build)
//   --large                          also 1 GiB files where a bench offers it (KMS_BENCH_LARGE=1)
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const skipPackage = argv.includes('--no-package');
const names = argv.filter((a) => !a.startsWith('--'));
if (argv.includes('--large')) process.env.KMS_BENCH_LARGE = '1';

const benches = readdirSync(join(root, 'test', 'bench'))
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => names.length === 0 || names.some((n) => f.includes(n)))
  .sort();
if (benches.length === 0) {
  console.error(`No benchmark matches ${names.join(', ')} in test/bench/`);
  process.exit(2);
}
for (const name of Object.keys(process.env)) if (/^AWS_/.test(name)) delete process.env[name];

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
  return r.status ?? 1;
}

if (!skipPackage) {
  console.log('== npm run package (the benchmarks measure the production build)');
  if (run('npm', ['run', '-s', 'package']) !== 0) process.exit(1);
  // The integration-test bundles (out/) are needed by benches that run in the real VS Code.
  if (run('node', ['scripts/build.mjs', '--tests-only']) !== 0) process.exit(1);
}
// Benches that start the real VS Code need code-server (idempotent: installed once).
if (run('node', ['scripts/provision-code-server.mjs']) !== 0) process.exit(1);
let failed = 0;
for (const bench of benches) {
  console.log(`\n== ${bench}`);
  if (run(process.execPath, ['--import', 'tsx', '--expose-gc', join('test', 'bench', bench)]) !== 0) {
    console.error(`${bench} failed`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
