// dotenv SOPS files: `KEY=value` lines and `#comment` lines; every value is a string, a newline
// in a value is written `\n`. Blank lines are dropped, as sops drops them.
import { branch, isBranch, isList, SopsComment, SopsError, type SopsBranch } from './tree';

export function parseDotenv(text: string): SopsBranch {
  const out = branch();
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const line = raw;
    if (line.length === 0) return;
    if (line.startsWith('#')) {
      out.push({ key: new SopsComment(line.slice(1)), value: null });
      return;
    }
    const pos = line.indexOf('=');
    if (pos === -1) throw new SopsError('SopsFormat', `Line ${index + 1} of the dotenv file is neither KEY=value nor a #comment.`);
    out.push({ key: line.slice(0, pos), value: line.slice(pos + 1).replace(/\\n/g, '\n') });
  });
  return out;
}

export function emitDotenv(tree: SopsBranch): string {
  let out = '';
  for (const item of tree) {
    if (item.key instanceof SopsComment) {
      out += `#${item.key.value}\n`;
      continue;
    }
    const value = item.value;
    if (isBranch(value) || isList(value))
      throw new SopsError('SopsFormat', `The value of ${item.key} is a collection: a dotenv file holds only strings.`);
    if (typeof value !== 'string')
      throw new SopsError('SopsFormat', `The value of ${item.key} is not a string: a dotenv file holds only strings.`);
    out += `${item.key}=${value.replace(/\n/g, '\\n')}\n`;
  }
  return out;
}
