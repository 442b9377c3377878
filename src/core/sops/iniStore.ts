// INI SOPS files as sops writes them through go-ini: sections of `key = value`, the `=` of a
// section aligned, a blank line after every section; all values are strings.
import { branch, isBranch, SopsComment, SopsError, type SopsBranch, type SopsItem } from './tree';

function unquote(value: string): string {
  if (value.startsWith('"""') && value.endsWith('"""') && value.length >= 6) return value.slice(3, -3);
  if (value.length >= 2 && ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith('`') && value.endsWith('`'))))
    return value.slice(1, -1);
  return value;
}

export function parseIni(text: string): SopsBranch {
  const out = branch();
  let section: SopsItem | undefined;
  let defaults: SopsItem | undefined;
  let pending: SopsComment[] = [];
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].trim();
    if (line === '') continue;
    if (line.startsWith('#') || line.startsWith(';')) {
      pending.push(new SopsComment(line.slice(1).trim()));
      continue;
    }
    if (line.startsWith('[')) {
      const end = line.indexOf(']');
      if (end < 0) throw new SopsError('SopsFormat', `Line ${n + 1} of the INI file opens a section without closing it.`);
      const name = line.slice(1, end).trim();
      let existing = out.find((i) => i.key === name);
      if (!existing) {
        existing = { key: name, value: branch() };
        out.push(existing);
      }
      section = existing;
      if (pending.length) (section.value as SopsBranch).push(...pending.map((c) => ({ key: c, value: null })));
      pending = [];
      continue;
    }
    let pos = -1;
    for (let i = 0; i < line.length; i++)
      if (line[i] === '=' || line[i] === ':') {
        pos = i;
        break;
      }
    const key = (pos < 0 ? line : line.slice(0, pos)).trim();
    let value = pos < 0 ? '' : line.slice(pos + 1).trim();
    if (value.startsWith('"""') && !(value.length >= 6 && value.endsWith('"""'))) {
      // multi-line value
      const parts = [value.slice(3)];
      while (++n < lines.length) {
        const l = lines[n];
        if (l.trimEnd().endsWith('"""')) {
          parts.push(l.trimEnd().slice(0, -3));
          break;
        }
        parts.push(l);
      }
      value = parts.join('\n');
    } else value = unquote(value);
    if (!section) {
      if (!defaults) {
        defaults = { key: 'DEFAULT', value: branch() };
        out.unshift(defaults);
      }
      section = defaults;
    }
    const target = section.value as SopsBranch;
    target.push({ key, value });
    if (pending.length) {
      // go-ini keeps a key's comment with the key; sops writes comments after the key they belong to.
      target.push(...pending.map((c) => ({ key: c, value: null })));
      pending = [];
    }
  }
  return out;
}

function formatValue(value: string): string {
  if (/[\n`]/.test(value)) return `"""${value}"""`;
  if (/[#;]/.test(value)) return `\`${value}\``;
  if (value.trim() !== value) return `"${value}"`;
  return value;
}

export function emitIni(tree: SopsBranch): string {
  let out = '';
  for (const item of tree) {
    if (item.key instanceof SopsComment) continue;
    if (!isBranch(item.value))
      throw new SopsError('SopsFormat', `The INI entry ${item.key} is not a section: INI files hold key = value pairs inside [sections].`);
    const section = item.value;
    const keys = section.filter((i) => !(i.key instanceof SopsComment));
    if (item.key === 'DEFAULT' && keys.length === 0) continue;
    const width = Math.max(0, ...keys.map((i) => (i.key as string).length));
    let body = '';
    for (const entry of section) {
      if (entry.key instanceof SopsComment) {
        body += `; ${entry.key.value}\n`;
        continue;
      }
      const v = entry.value;
      if (typeof v !== 'string')
        throw new SopsError('SopsFormat', `The value of ${item.key}.${entry.key} is not a string: INI files hold only strings.`);
      body += `${entry.key.padEnd(width)} = ${formatValue(v)}\n`;
    }
    out += item.key === 'DEFAULT' ? `${body}\n` : `[${item.key}]\n${body}\n`;
  }
  return out;
}
