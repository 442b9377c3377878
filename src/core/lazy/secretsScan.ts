// The YAML parser and glob matcher, bundled on their own (dist/secretsScan.js) with the
// pre-commit check: the extension requires this bundle on first use through secretsScan()
// (reading a SOPS YAML file or a .sops.yaml, matching secrets-file globs), never at activation;
// the hook installer copies the same file into a repository's hooks folder, where `node` runs
// it as the pre-commit check. One copy of `yaml` and `picomatch` in the package, not two.
import picomatch from 'picomatch';
import { isAlias, isMap, isPair, isScalar, isSeq, parse, parseAllDocuments } from 'yaml';
import { runPreCommitHook } from '../../hooks/kmsPrecommit';
import { provideSecretsScan } from './loadSecretsScan';

export { isAlias, isMap, isPair, isScalar, isSeq, parse, parseAllDocuments, picomatch };

// Inside this bundle the loader's copy is handed this module directly: in a hooks folder the
// file has another name, so it could not require itself by name.
provideSecretsScan({ isAlias, isMap, isPair, isScalar, isSeq, parse, parseAllDocuments, picomatch });

if (typeof require !== 'undefined' && require.main === module) runPreCommitHook(process.argv.slice(2));
