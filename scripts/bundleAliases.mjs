// Smaller stand-ins for parts of dependencies, put in place by the build (scripts/build.mjs) to keep
// dist/ within its budget (1.2 MB). Each stand-in has the same exports as what it replaces, for
// exactly what the bundled code uses of it, and a unit test against the original (test/unit/lazy).
import { fileURLToPath } from 'node:url';

const lazy = (file) => fileURLToPath(new URL(`../src/core/lazy/esdk/${file}`, import.meta.url));

/** The AWS Encryption SDK (dist/encryptionSdk.js) without asn1.js and bn.js (two copies): -113 KB. */
export const encryptionSdkAliases = {
  name: 'encryption-sdk-aliases',
  setup(build) {
    // bn.js (arithmetic for signed messages' public keys and content lengths) → BigInt.
    build.onResolve({ filter: /^bn\.js$/ }, (a) => (/@aws-crypto[\\/]/.test(a.importer) ? { path: lazy('bn.ts') } : undefined));
    // pem_helpers (asn1.js DER of EC keys for node's crypto) → two fixed DER structures.
    build.onResolve({ filter: /^\.\/pem_helpers$/ }, (a) =>
      /@aws-crypto[\\/]material-management[\\/]/.test(a.importer) ? { path: lazy('pemHelpers.ts') } : undefined,
    );
  },
};
