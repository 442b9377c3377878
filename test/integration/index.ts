// Test runner loaded by the VS Code extension host (`--extensionTestsPath`, or the
// `extensionTestsPath` of the workbench `payload` under code-server). Runs mocha over the
// `*.test.js` files next to this bundle (out/test/integration/**).
//
// Environment (set on code-server, which the extension host inherits):
//   KMS_INTEGRATION_FILES  comma-separated globs relative to out/test/integration, e.g.
//                          "foundation.test.js,keys/*.test.js" (default: every *.test.js),
//                          so suites needing different workspaces/settings run separately
//   KMS_INTEGRATION_GREP   mocha --grep
//   KMS_TEST_SUMMARY_FILE  where to write {"passes","failures","pending","tests"} as JSON
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import Mocha from 'mocha';
import * as vscode from 'vscode';

/** Minimal glob: `**` any path, `*` any name part, `?` one character. */
function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function findTestFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.test.js')) out.push(path);
    }
  };
  walk(root);
  const filter = process.env.KMS_INTEGRATION_FILES?.split(',')
    .map((g) => g.trim())
    .filter(Boolean);
  if (!filter?.length) return out;
  const patterns = filter.map(globToRegExp);
  return out.filter((file) => {
    const rel = relative(root, file).split(sep).join('/');
    return patterns.some((p) => p.test(rel));
  });
}

export function run(): Promise<void> {
  // One retry: a real workbench has timing a test cannot always control (file watchers starting,
  // focus). A test that passes only when run again is named as flaky in the output and summary.
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'spec', retries: 1 });
  if (process.env.KMS_INTEGRATION_GREP) mocha.grep(process.env.KMS_INTEGRATION_GREP);

  const files = findTestFiles(__dirname);
  console.log(
    `[integration] VS Code ${vscode.version} (${vscode.env.appName}, ${vscode.env.appHost}, ${vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop'} UI), Node ${process.versions.node}`,
  );
  const ext = vscode.extensions.getExtension('kms-workbench.kms-workbench');
  console.log(
    `[integration] extension under test: ${ext ? `${ext.id} ${String((ext.packageJSON as { version?: string }).version)} from ${ext.extensionPath}` : 'NOT INSTALLED'}`,
  );
  console.log(`[integration] ${files.length} test file(s): ${files.map((f) => relative(__dirname, f)).join(', ') || '(none)'}`);
  if (!files.length)
    return Promise.reject(new Error(`No test files matched ${process.env.KMS_INTEGRATION_FILES ?? '*.test.js'} in ${__dirname}`));
  for (const file of files) mocha.addFile(file);

  return new Promise((resolve, reject) => {
    try {
      const retried = new Set<string>();
      const flaky: string[] = [];
      const runner = mocha.run((failures) => {
        const stats = runner.stats ?? { passes: 0, failures, pending: 0, tests: 0 };
        const summary = { passes: stats.passes, failures: stats.failures, pending: stats.pending, tests: stats.tests, flaky };
        console.log(`[integration] summary ${JSON.stringify(summary)}`);
        if (process.env.KMS_TEST_SUMMARY_FILE) writeFileSync(process.env.KMS_TEST_SUMMARY_FILE, JSON.stringify(summary));
        if (failures > 0) reject(new Error(`${failures} test(s) failed.`));
        else resolve();
      });
      runner.on(Mocha.Runner.constants.EVENT_TEST_RETRY, (test: Mocha.Test, err: unknown) => {
        retried.add(test.fullTitle());
        console.log(`      ↻ retrying "${test.fullTitle()}" after: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      });
      runner.on(Mocha.Runner.constants.EVENT_TEST_PASS, (test: Mocha.Test) => {
        if (retried.has(test.fullTitle())) flaky.push(test.fullTitle());
      });
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}
