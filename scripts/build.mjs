// Bundles the extension with esbuild.
//   dist/extension.js     the extension host entry (node/cjs, `vscode` external)
//   dist/awsSdk.js        the AWS SDK (KMS, and STS for accounts), required lazily on first use (never at activation)
//   dist/encryptionSdk.js the AWS Encryption SDK, required lazily on first use
//   dist/webview/*.js     browser code of webviews (no vscode, no node:*)
//   dist/secretsScan.js   the YAML parser and glob matcher, required lazily on first use; also the
//                         pre-commit hook's check when node runs it (copied into a repository's hooks)
//   dist/fileCryptoWorker.js the worker thread of Encrypt/Decrypt File (AES-GCM, framing, base64), self-contained
//   out/test/**           integration tests, bundled for the extension host
// Flags: --production (minify, no source maps), --watch, --no-tests,
//        --tests-only (rebuild out/test only, keeping dist/ as it is, e.g. a production build).
import * as esbuild from 'esbuild';
import { readdirSync, rmSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { awsSdkTrims, encryptionSdkAliases, yamlEsm } from './bundleAliases.mjs';

const args = new Set(process.argv.slice(2));
const production = args.has('--production');
const watch = args.has('--watch');
const testsOnly = args.has('--tests-only');
const withTests = testsOnly || (!args.has('--no-tests') && !production);

/** Modules that are bundles of their own: imported as `./<name>` from anywhere, required at run time. */
const lazyBundles = [
  { name: 'awsSdk', entry: 'src/core/lazy/awsSdk.ts' },
  { name: 'encryptionSdk', entry: 'src/core/lazy/encryptionSdk.ts' },
  { name: 'secretsScan', entry: 'src/core/lazy/secretsScan.ts' },
].filter((b) => existsSync(b.entry));

/** Keeps lazily loaded bundles out of the bundle that imports them. */
const lazyBundlePlugin = lazyBundlesPlugin(lazyBundles);
function lazyBundlesPlugin(bundles) {
  return {
    name: 'lazy-bundles',
    setup(build) {
      for (const { name } of bundles) {
        build.onResolve({ filter: new RegExp(`(^|/)${name}$`) }, (a) =>
          a.importer.endsWith(`${name}.ts`) ? undefined : { path: `./${name}.js`, external: true },
        );
      }
    },
  };
}

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
};

const nodeCommon = {
  ...common,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode'],
  mainFields: ['module', 'main'],
};

function walk(dir, filter, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, filter, out);
    else if (filter(p)) out.push(p);
  }
  return out;
}

const configs = testsOnly
  ? []
  : [
      {
        ...nodeCommon,
        entryPoints: { extension: 'src/extension.ts', ...Object.fromEntries(lazyBundles.map((b) => [b.name, b.entry])) },
        outdir: 'dist',
        plugins: [lazyBundlePlugin, encryptionSdkAliases, awsSdkTrims, yamlEsm],
      },
      // The file-crypto worker thread, self-contained (node only): started from dist/extension.js.
      { ...nodeCommon, entryPoints: { fileCryptoWorker: 'src/core/envelope/fileCryptoWorker.ts' }, outdir: 'dist' },
    ];

const webviewEntries = walk('src/webview', (p) => /(^|\/)main\.ts$/.test(p));
if (webviewEntries.length && !testsOnly) {
  configs.push({
    ...common,
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
    entryPoints: Object.fromEntries(
      webviewEntries.map((p) => [
        relative('src/webview', p)
          .replace(/\/main\.ts$/, '')
          .replace(/\.ts$/, ''),
        p,
      ]),
    ),
    outdir: 'dist/webview',
  });
}

if (withTests) {
  const testEntries = walk('test/integration', (p) => p.endsWith('.ts') && !p.endsWith('.d.ts'));
  if (testEntries.length) {
    configs.push({
      ...nodeCommon,
      sourcemap: 'inline',
      entryPoints: testEntries,
      outbase: '.',
      outdir: 'out',
      external: ['vscode', 'mocha'],
      // Tests bundle the YAML parser themselves: out/test has no secretsScan.js beside it.
      plugins: [lazyBundlesPlugin(lazyBundles.filter((b) => b.name !== 'secretsScan'))],
    });
  }
}

if (!watch) {
  if (!testsOnly) rmSync('dist', { recursive: true, force: true });
  rmSync('out', { recursive: true, force: true });
}
if (watch) {
  const contexts = await Promise.all(configs.map((c) => esbuild.context(c)));
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('esbuild: watching');
} else {
  await Promise.all(configs.map((c) => esbuild.build(c)));
}
