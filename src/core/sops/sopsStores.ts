// Reading and writing a SOPS tree in each store sops has (YAML, JSON, dotenv, INI, binary): the
// encrypted file with its metadata, and the plaintext sops --decrypt prints.
import { emitDotenv, parseDotenv } from './dotenvStore';
import { emitIni, parseIni } from './iniStore';
import { emitJson, parseJson } from './jsonStore';
import { flattenTree } from './metadata';
import type { SopsFormat } from './sopsFile';
import { branch, SopsError, type SopsBranch } from './tree';
import { emitYaml, parseYaml } from './yamlStore';

export function parseStore(format: SopsFormat, text: string): SopsBranch[] {
  switch (format) {
    case 'yaml':
      return parseYaml(text);
    case 'json':
    case 'binary':
      return [parseJson(text)];
    case 'dotenv':
      return [parseDotenv(text)];
    case 'ini':
      return [parseIni(text)];
  }
}

/** The plaintext sops --decrypt prints for a file of this format. */
export function emitPlain(format: SopsFormat, plain: readonly SopsBranch[]): Buffer {
  switch (format) {
    case 'yaml':
      return Buffer.from(emitYaml(plain), 'utf8');
    case 'json':
      return Buffer.from(emitJson(plain[0]), 'utf8');
    case 'dotenv':
      return Buffer.from(emitDotenv(plain[0]), 'utf8');
    case 'ini':
      return Buffer.from(emitIni(plain[0]), 'utf8');
    case 'binary': {
      const data = plain[0].find((i) => i.key === 'data');
      if (!data) throw new SopsError('SopsFormat', 'This binary SOPS file has no data value.');
      const v = data.value;
      return typeof v === 'string' ? Buffer.from(v, 'utf8') : v instanceof Uint8Array ? Buffer.from(v) : Buffer.alloc(0);
    }
  }
}

/** Parses plaintext the way sops reads a file of this format. */
export function parsePlain(format: SopsFormat, plaintext: Buffer): SopsBranch[] {
  // A binary file is one `data` string of any bytes (a Go string); kept as bytes here, written as type str.
  if (format === 'binary') return [branch([{ key: 'data', value: new Uint8Array(plaintext) }])];
  const text = plaintext.toString('utf8');
  const trees = parseStore(format, text);
  for (const t of trees) {
    if (t.some((i) => i.key === 'sops'))
      throw new SopsError('SopsFormat', 'The plaintext has a top-level "sops" entry: SOPS keeps its metadata there. Rename that key.');
    if (format === 'dotenv' && t.some((i) => typeof i.key === 'string' && i.key.startsWith('sops_')))
      throw new SopsError(
        'SopsFormat',
        'The plaintext has a key starting with "sops_": SOPS keeps its metadata under that prefix in dotenv files. Rename that key.',
      );
  }
  return trees;
}

/** The encrypted file for these trees and metadata, in the document's format. */
export function emitEncrypted(
  format: SopsFormat,
  branches: readonly SopsBranch[],
  metadataTree: SopsBranch,
  flatOrder?: readonly string[],
): string {
  switch (format) {
    case 'yaml':
      return emitYaml(branches.map((b) => branch([...b, { key: 'sops', value: metadataTree }])));
    case 'json':
    case 'binary':
      return emitJson(branch([...branches[0], { key: 'sops', value: metadataTree }]));
    case 'dotenv': {
      const flat = orderFlat(flattenTree(metadataTree), flatOrder, true);
      return emitDotenv(branch([...branches[0], ...flat.map(([k, v]) => ({ key: `sops_${k}`, value: v }))]));
    }
    case 'ini': {
      const flat = orderFlat(flattenTree(metadataTree), flatOrder, false);
      return emitIni(branch([...branches[0], { key: 'sops', value: branch(flat.map(([k, v]) => ({ key: k, value: v }))) }]));
    }
  }
}

function orderFlat(flat: Array<[string, string]>, order: readonly string[] | undefined, sortNew: boolean): Array<[string, string]> {
  const byKey = new Map(flat);
  if (order && order.length === flat.length && order.every((k) => byKey.has(k))) return order.map((k) => [k, byKey.get(k)!]);
  return sortNew ? [...flat].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : flat;
}
