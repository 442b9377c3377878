import type { Plugin } from 'esbuild';
export const encryptionSdkAliases: Plugin;
