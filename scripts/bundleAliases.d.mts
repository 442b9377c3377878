import type { Plugin } from 'esbuild';
export const encryptionSdkAliases: Plugin;
export const awsSdkTrims: Plugin;
export const yamlEsm: Plugin;
