#!/usr/bin/env node
// `npm test`: every check, in order, stopping at the first failure.
//
//   lint → typecheck → build → unit → webview (bundles in Chromium) → package (.vsix) → provision code-server →
//   integration (real extension host: development folder via @vscode/test-electron, and the
//   installed .vsix) → e2e (Chromium driving the real workbench)
//
// Developers: `node scripts/test.mjs --only unit|integration|e2e` (repeat or comma-separate;
// `integration` and `e2e` include provisioning, not the build: run `npm run build` first).
// Stage names lint, typecheck, build, package, provision work with --only too.
// Environment: KMS_INTEGRATION_FILES / KMS_INTEGRATION_GREP narrow the integration runs,
// KMS_HARNESS_VERBOSE=1 shows code-server's and the workbench's own output.
//
// Ends with one line "N passed, N failed": the sum of the counts mocha reported (unit,
// every integration run, e2e), read from the JSON each run writes (test/harness/mochaSummaryReporter.js
// and test/integration/index.ts), not parsed from text.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const summaryReporter = join(repoRoot, 'test', 'harness', 'mochaSummaryReporter.js');

const totals = { passes: 0, failures: 0, pending: 0 };
const report = [];

// ---------------------------------------------------------------- arguments
const stageOrder = ['lint', 'typecheck', 'build', 'unit', 'webview', 'package', 'provision', 'integration', 'e2e'];
const onlyGroups = { integration: ['provision', 'integration'], e2e: ['provision', 'e2e'] };
function parseOnly(argv) {
  const picked = new Set();
  for (let i = 0; i < argv.length; i++) {
    let value;
    if (argv[i] === '--only') value = argv[++i];
    else if (argv[i].startsWith('--only=')) value = argv[i].slice('--only='.length);
    else if (argv[i] === '--help' || argv[i] === '-h') {
      console.log('usage: node scripts/test.mjs [--only <stage>[,<stage>…]]\nstages: ' + stageOrder.join(', '));
      process.exit(0);
    } else {
      console.error(`unknown argument ${argv[i]} (try --help)`);
      process.exit(2);
    }
    for (const name of (value ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      if (!stageOrder.includes(name)) {
        console.error(`unknown stage "${name}"; stages: ${stageOrder.join(', ')}`);
        process.exit(2);
      }
      for (const s of onlyGroups[name] ?? [name]) picked.add(s);
    }
  }
  return picked.size ? stageOrder.filter((s) => picked.has(s)) : stageOrder;
}
const selected = parseOnly(process.argv.slice(2));

// ---------------------------------------------------------------- helpers
function sh(cmd, args, { env } = {}) {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env } });
    child.on('error', (err) => {
      console.error(`${cmd}: ${err.message}`);
      resolvePromise(1);
    });
    child.on('close', (code, signal) => resolvePromise(signal ? 1 : (code ?? 1)));
  });
}

function addCounts(label, summary) {
  totals.passes += summary.passes;
  totals.failures += summary.failures;
  totals.pending += summary.pending;
  console.log(`[${label}] ${summary.passes} passed, ${summary.failures} failed${summary.pending ? `, ${summary.pending} pending` : ''}`);
  for (const title of summary.flaky ?? []) console.log(`[${label}] passed only when run again (flaky): ${title}`);
}

/** Runs a mocha command with the summary reporter; counts what it reports. */
async function mochaStage(label, cmd, args) {
  const dir = mkdtempSync(join(tmpdir(), 'kms-mocha-'));
  const file = join(dir, 'summary.json');
  try {
    const code = await sh(cmd, args, { env: { KMS_TEST_SUMMARY_FILE: file } });
    if (existsSync(file)) addCounts(label, JSON.parse(readFileSync(file, 'utf8')));
    else console.log(`[${label}] mocha reported no counts (it stopped before running tests)`);
    return code;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let tsxRegistered = false;
/** Loads a TypeScript module of the harness (CommonJS via tsx). */
function requireTs(path) {
  if (!tsxRegistered) {
    require('tsx/cjs/api').register();
    tsxRegistered = true;
  }
  return require(join(repoRoot, path));
}

// AWS settings from a developer's shell must not reach unit tests, code-server or the extension.
const scrubbed = Object.keys(process.env).filter((name) => /^AWS_/.test(name));
for (const name of scrubbed) delete process.env[name];

// ---------------------------------------------------------------- stages
const stages = {
  lint: { title: 'Lint (eslint)', run: () => sh('npm', ['run', '-s', 'lint']) },
  typecheck: { title: 'Type check (tsc --noEmit)', run: () => sh('npm', ['run', '-s', 'typecheck']) },
  build: { title: 'Build (esbuild: extension + integration tests)', run: () => sh('npm', ['run', '-s', 'build']) },
  unit: {
    title: 'Unit tests (mocha, plain Node)',
    run: () => mochaStage('unit', 'npm', ['run', '-s', 'test:unit', '--', '--reporter', summaryReporter]),
  },
  webview: {
    title: 'Webview tests (the built webview bundles in Chromium, under their CSP)',
    run: () =>
      mochaStage('webview', 'npx', [
        'mocha',
        '--no-config',
        '--node-option',
        'import=tsx',
        '--timeout',
        '60000',
        '--reporter',
        summaryReporter,
        'test/webview/**/*.test.ts',
      ]),
  },
  package: {
    title: 'Package (.vsix)',
    async run() {
      const code = await sh('npm', ['run', '-s', 'package']);
      if (code !== 0) return code;
      // The production build behind `npm run package` replaces dist/ and clears out/:
      // rebuild the development bundle and the integration tests for the next stages.
      console.log('[package] rebuilding the development bundle and tests (npm run build)');
      return sh('npm', ['run', '-s', 'build']);
    },
  },
  provision: {
    title: 'Provision code-server',
    async run() {
      const { provisionCodeServer } = await import('./provision-code-server.mjs');
      const { binary } = await provisionCodeServer();
      console.log(`[provision] ${binary}`);
      return 0;
    },
  },
  integration: {
    title: 'Integration tests (real VS Code extension host in code-server)',
    async run() {
      const { integrationRuns, runIntegration, vsixPathOf } = requireTs('test/harness/integrationRuns.ts');
      let failed = 0;
      for (const [i, run] of integrationRuns.entries()) {
        console.log(`\n--- integration run ${i + 1}/${integrationRuns.length}: ${run.name}`);
        if (run.vsix && !selected.includes('package') && !existsSync(vsixPathOf())) {
          console.log(`[integration] skipped: ${vsixPathOf()} does not exist (npm run package)`);
          continue;
        }
        try {
          const result = await runIntegration(run);
          if (result.summary) addCounts('integration', result.summary);
          else console.log('[integration] mocha reported no counts (the run ended before the tests finished)');
          console.log(`[integration] exit code ${result.exitCode} after ${(result.durationMs / 1000).toFixed(1)} s`);
          if (result.exitCode !== 0) failed++;
        } catch (err) {
          console.error(`[integration] ${err instanceof Error ? err.message : String(err)}`);
          failed++;
        }
      }
      return failed ? 1 : 0;
    },
  },
  e2e: {
    title: 'End-to-end tests (Chromium + code-server)',
    run: () =>
      // One retry: the workbench in a browser has timing the tests cannot always control (focus,
      // when the layout is stored). A retried test is named in the output (see the reporter).
      mochaStage('e2e', 'npx', [
        'mocha',
        '--node-option',
        'import=tsx',
        '--timeout',
        '180000',
        '--retries',
        '1',
        '--reporter',
        summaryReporter,
        'test/e2e/**/*.e2e.ts',
      ]),
  },
};

// ---------------------------------------------------------------- main
const bar = '═'.repeat(72);
const startedAll = Date.now();
if (scrubbed.length) console.log(`(removed ${scrubbed.join(', ')} from the environment: tests use the emulator only)`);
let failedStage;
for (const id of selected) {
  const stage = stages[id];
  console.log(`\n${bar}\n▶ ${stage.title}\n${bar}`);
  const started = Date.now();
  let code;
  try {
    code = await stage.run();
  } catch (err) {
    console.error(err instanceof Error ? err.stack : String(err));
    code = 1;
  }
  const seconds = (Date.now() - started) / 1000;
  report.push(`${code === 0 ? 'ok  ' : 'FAIL'} ${id.padEnd(12)} ${seconds.toFixed(1).padStart(6)} s`);
  if (code !== 0) {
    failedStage = id;
    break;
  }
}

console.log(`\n${bar}`);
for (const line of report) console.log(line);
const skipped = selected.slice(report.length);
if (skipped.length) console.log(`not run: ${skipped.join(', ')}`);
console.log(`total ${((Date.now() - startedAll) / 1000).toFixed(1)} s${totals.pending ? `, ${totals.pending} pending` : ''}`);
if (failedStage) console.log(`FAILED at stage "${failedStage}"`);
console.log(`${totals.passes} passed, ${totals.failures} failed`);
process.exit(failedStage ? 1 : 0);
