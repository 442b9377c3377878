// The walk over a SOPS tree that decrypting and encrypting share: which values sops encrypts
// (the partial-encryption options, Go regular expressions) and a visit of every leaf and
// comment with its path.
import type { PartialEncryption } from './metadata';
import { branch, isBranch, isList, SopsComment, SopsError, type SopsBranch, type SopsLeaf, type SopsList, type SopsValue } from './tree';

type WalkRules = PartialEncryption;

/** Whether sops encrypts a value at `path` (with the comments seen before it in its branch). */
export function shouldEncrypt(rules: WalkRules, path: readonly string[], comments: readonly string[]): boolean {
  let encrypted = true;
  if (rules.unencryptedSuffix) if (path.some((p) => p.endsWith(rules.unencryptedSuffix!))) encrypted = false;
  if (rules.encryptedSuffix) encrypted = path.some((p) => p.endsWith(rules.encryptedSuffix!));
  if (rules.unencryptedRegex) {
    const re = goRegex(rules.unencryptedRegex);
    if (path.some((p) => re.test(p))) encrypted = false;
  }
  if (rules.encryptedRegex) {
    const re = goRegex(rules.encryptedRegex);
    encrypted = path.some((p) => re.test(p));
  }
  if (rules.unencryptedCommentRegex) {
    const re = goRegex(rules.unencryptedCommentRegex);
    if (comments.some((c) => re.test(c))) encrypted = false;
  }
  if (rules.encryptedCommentRegex) {
    const re = goRegex(rules.encryptedCommentRegex);
    encrypted = comments.some((c) => re.test(c));
  }
  return encrypted;
}

const regexCache = new Map<string, RegExp>();

/** A Go (RE2) regular expression in JavaScript; the common syntax is shared. */
export function goRegex(source: string): RegExp {
  let re = regexCache.get(source);
  if (!re) {
    let flags = 'u';
    let body = source;
    const inline = /^\(\?([imsU]+)\)/.exec(body);
    if (inline) {
      body = body.slice(inline[0].length);
      if (inline[1].includes('i')) flags += 'i';
      if (inline[1].includes('m')) flags += 'm';
      if (inline[1].includes('s')) flags += 's';
    }
    try {
      re = new RegExp(body, flags);
    } catch {
      try {
        re = new RegExp(body, flags.replace('u', ''));
      } catch (error) {
        throw new SopsError('SopsFormat', `The regular expression "${source}" is not valid: ${(error as Error).message}`);
      }
    }
    regexCache.set(source, re);
  }
  return re;
}

export type LeafVisitor = (
  value: Exclude<SopsLeaf, null> | SopsComment,
  path: readonly string[],
  comments: readonly string[],
) => SopsLeaf | SopsComment;

/** sops's walk: every leaf and comment in order, keys extending the path (list items do not). */
export function walkBranch(b: SopsBranch, path: string[], visit: LeafVisitor): SopsBranch {
  const out = branch();
  let comments: string[] = [];
  for (const item of b) {
    if (item.key instanceof SopsComment) {
      const c = visit(item.key, path, comments);
      const comment = c instanceof SopsComment ? c : new SopsComment(typeof c === 'string' ? c : '');
      out.push({ key: comment, value: null });
      comments = [...comments, comment.value];
      continue;
    }
    out.push({ key: item.key, value: walkValue(item.value, [...path, item.key], visit, comments) });
    comments = [];
  }
  return out;
}

function walkValue(value: SopsValue, path: string[], visit: LeafVisitor, comments: readonly string[]): SopsValue {
  if (isBranch(value)) return walkBranch(value, path, visit);
  if (isList(value)) return walkList(value, path, visit, comments);
  if (value === null) return null;
  return visit(value, path, comments) as SopsValue;
}

function walkList(list: SopsList, path: string[], visit: LeafVisitor, comments: readonly string[]): SopsList {
  const out: SopsList = [];
  let seen = [...comments];
  for (const item of list) {
    if (item instanceof SopsComment) {
      const c = visit(item, path, seen);
      const comment = c instanceof SopsComment ? c : new SopsComment(typeof c === 'string' ? c : '');
      out.push(comment);
      seen = [...seen, comment.value];
      continue;
    }
    out.push(walkValue(item, path, visit, seen));
  }
  return out;
}

export function pathName(path: readonly string[]): string {
  return path.length === 0 ? 'the top level' : `"${path.join('.')}"`;
}
