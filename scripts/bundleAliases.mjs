// Smaller stand-ins for parts of dependencies, put in place by the build (scripts/build.mjs) to keep
// dist/ within its budget (1.2 MB). Each stand-in has the same exports as what it replaces, for
// exactly what the bundled code uses of it, and a unit test against the original (test/unit/lazy).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const lazy = (file) => fileURLToPath(new URL(`../src/core/lazy/esdk/${file}`, import.meta.url));

/**
 * The AWS Encryption SDK (dist/encryptionSdk.js) without asn1.js and bn.js (two copies, -113 KB)
 * and readable-stream (-42 KB): tested in test/unit/lazy (the stand-ins against the originals,
 * and the bundle's signed messages against the published SDK).
 */
export const encryptionSdkAliases = {
  name: 'encryption-sdk-aliases',
  setup(build) {
    // bn.js (arithmetic for signed messages' public keys and content lengths) → BigInt.
    build.onResolve({ filter: /^bn\.js$/ }, (a) => (/@aws-crypto[\\/]/.test(a.importer) ? { path: lazy('bn.ts') } : undefined));
    // readable-stream v3 (the SDK's and duplexify's streams) → node's streams with v3's defaults.
    build.onResolve({ filter: /^readable-stream$/ }, () => ({ path: lazy('readableStream.ts') }));
    // pem_helpers (asn1.js DER of EC keys for node's crypto) → two fixed DER structures.
    build.onResolve({ filter: /^\.\/pem_helpers$/ }, (a) =>
      /@aws-crypto[\\/]material-management[\\/]/.test(a.importer) ? { path: lazy('pemHelpers.ts') } : undefined,
    );
  },
};

/**
 * The AWS SDK (dist/awsSdk.js) without what none of its clients can run:
 * - each client's package.json (its whole manifest, 1.9-3.6 KB each) reduced to the one field its
 *   runtimeConfig reads: `packageInfo.version` (for the user agent);
 * - the credential providers' STS client (@aws-sdk/nested-clients/sts, for assuming roles): the
 *   bundle has the full STS client already (sts:GetCallerIdentity), which is the same code with
 *   more operations (the same STSClient, AssumeRole commands and role assumers): -16 KB;
 * - the event-stream codec (15 KB), which @smithy/core loads with a dynamic import only for an
 *   operation with an event-stream member: KMS, STS, CloudTrail and Access Analyzer have none
 *   (test/unit/lazy/awsSdkBundle.test.ts checks their schemas). Should one ever get one, the
 *   call fails saying so rather than doing something else.
 */
export const awsSdkTrims = {
  name: 'aws-sdk-trims',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]@aws-sdk[\\/][^\\/]+[\\/]package\.json$/ }, async (a) => {
      const { version } = JSON.parse(await readFile(a.path, 'utf8'));
      return { contents: JSON.stringify({ version }), loader: 'json' };
    });
    build.onLoad(
      { filter: /[\\/]node_modules[\\/]@aws-sdk[\\/].*[\\/]dist-es[\\/](submodules[\\/][^\\/]+[\\/])?schemas[\\/]schemas_0\.js$/ },
      async (a) => ({
        contents: pureSchemas(await readFile(a.path, 'utf8'), a.path),
        loader: 'js',
      }),
    );
    build.onResolve({ filter: /^@aws-sdk\/nested-clients\/sts$/ }, async (a) => {
      if (a.pluginData === 'full-sts') return undefined;
      const full = await build.resolve('@aws-sdk/client-sts', { kind: a.kind, resolveDir: a.resolveDir, pluginData: 'full-sts' });
      return full.errors.length ? undefined : { path: full.path };
    });
    build.onResolve({ filter: /^@smithy\/core\/event-streams$/ }, (a) =>
      a.kind === 'dynamic-import' ? { path: 'event-streams', namespace: 'no-event-streams' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'no-event-streams' }, () => ({
      contents:
        "throw new Error('Event streams are not in this build of the AWS SDK (dist/awsSdk.js): none of its clients has an event-stream operation. Remove the awsSdkTrims event-stream stand-in in scripts/bundleAliases.mjs.');",
      loader: 'js',
    }));
  },
};

/**
 * A client's schemas (one module of `var X$ = [...]` for every shape and operation of the
 * service) with each array marked as free of side effects, so that esbuild drops the schemas of
 * operations the bundle never sends (it keeps them otherwise: their computed keys such as
 * `{ [_h]: ["POST", "/"] }` might run code, for all it knows). `[...]` becomes
 * `/* @__PURE__ *\/ (() => [...])()`: the same value, built at the same moment.
 */
export function pureSchemas(code, fileName = 'schemas_0.js') {
  const file = ts.createSourceFile(fileName, code, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const edits = [];
  for (const statement of file.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const d of statement.declarationList.declarations) {
      if (d.initializer && ts.isArrayLiteralExpression(d.initializer)) edits.push([d.initializer.getStart(file), d.initializer.end]);
    }
  }
  let out = code;
  for (const [start, end] of edits.reverse()) {
    out = `${out.slice(0, start)}/* @__PURE__ */ (() => ${out.slice(start, end)})()${out.slice(end)}`;
  }
  return out;
}

/**
 * yaml (dist/secretsScan.js) as its ES-module build, which esbuild can tree-shake (-16 KB): the
 * package's `node` export is CommonJS, of which a bundle keeps everything. The two builds are
 * the same code; the ES one reports warnings with console.warn instead of process.emitWarning
 * and ignores the library's own debugging variables (LOG_TOKENS, LOG_STREAM).
 */
export const yamlEsm = {
  name: 'yaml-esm',
  setup(build) {
    build.onResolve({ filter: /^yaml$/ }, async (a) => {
      if (a.pluginData === 'yaml-esm') return undefined;
      const resolved = await build.resolve('yaml', { kind: a.kind, resolveDir: a.resolveDir, pluginData: 'yaml-esm' });
      if (resolved.errors.length) return undefined;
      return { path: join(resolved.path.replace(/[\\/]dist[\\/]index\.js$/, ''), 'browser', 'index.js') };
    });
  },
};
