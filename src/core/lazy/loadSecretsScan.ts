import type * as SecretsScan from './secretsScan';

export type SecretsScanModule = Pick<
  typeof SecretsScan,
  'isAlias' | 'isMap' | 'isPair' | 'isScalar' | 'isSeq' | 'parse' | 'parseAllDocuments' | 'picomatch'
>;

let loaded: SecretsScanModule | undefined;

/** Called by the secretsScan bundle itself, so its own code never requires it by file name. */
export function provideSecretsScan(module: SecretsScanModule): void {
  loaded ??= module;
}

/**
 * The YAML parser and glob matcher, loaded once on first use (synchronously: parsing is
 * synchronous anyway). The build keeps `./secretsScan` out of the extension bundle, so
 * activation never pays for parsing them.
 */
export function secretsScan(): SecretsScanModule {
  // A plain require, kept external by the build: dist/extension.js requires dist/secretsScan.js.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('./secretsScan') as SecretsScanModule;
  return loaded;
}
