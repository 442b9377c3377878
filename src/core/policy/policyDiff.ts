/**
 * Comparing two versions of a key policy: whether they mean the same (for conflict
 * detection and "nothing to save"), and what changed, in sentences for the save
 * confirmation.
 */
import { nodeValue, parseJson } from './jsonDocument';
import { type FormContext, readPolicyForm } from './policyForm';
import { canonicalJson, isJsonObject, statementsOf } from './policyModel';
import { describeAwsPrincipal } from './principals';

/** The policy value of a text, or undefined when it is not JSON. */
export function policyValueOf(text: string): unknown {
  const parsed = parseJson(text);
  return parsed.root ? nodeValue(parsed.root) : undefined;
}

/**
 * Whether two policy texts say the same: equal JSON values regardless of layout and of the
 * order of object keys (statement order counts). Texts that are not JSON compare as text.
 */
export function samePolicyText(a: string, b: string): boolean {
  if (a === b) return true;
  const va = policyValueOf(a);
  const vb = policyValueOf(b);
  if (va === undefined || vb === undefined) return false;
  return canonicalJson(va) === canonicalJson(vb);
}

function titleOf(s: unknown, index: number): string {
  return isJsonObject(s) && typeof s.Sid === 'string' && s.Sid ? `"${s.Sid}"` : `${index + 1}`;
}

function listChange(label: string, before: readonly string[], after: readonly string[], describe: (p: string) => string): string[] {
  const added = after.filter((p) => !before.includes(p));
  const removed = before.filter((p) => !after.includes(p));
  const out: string[] = [];
  if (added.length) out.push(`${label}: adds ${added.map(describe).join(', ')}.`);
  if (removed.length) out.push(`${label}: removes ${removed.map(describe).join(', ')}.`);
  return out;
}

/** Sentences saying what changes from `before` to `after` (policy values). */
export function describePolicyChanges(before: unknown, after: unknown, ctx: FormContext = {}): string[] {
  if (canonicalJson(before) === canonicalJson(after)) return [];
  const out: string[] = [];
  const fb = readPolicyForm(before, ctx);
  const fa = readPolicyForm(after, ctx);
  if (fb.ok && fa.ok) {
    out.push(
      ...listChange(
        'Key administrators',
        fb.admins.map((a) => a.principal),
        fa.admins.map((a) => a.principal),
        describeAwsPrincipal,
      ),
    );
    for (const admin of fa.admins) {
      const was = fb.admins.find((a) => a.principal === admin.principal);
      if (was && was.canDelete !== admin.canDelete)
        out.push(`${describeAwsPrincipal(admin.principal)} ${admin.canDelete ? 'may now' : 'may no longer'} delete the key.`);
    }
    out.push(...listChange('Key users', fb.users, fa.users, describeAwsPrincipal));
    out.push(...listChange('Other AWS accounts', fb.accounts, fa.accounts, (a) => a));
  }

  const sb = statementsOf(before);
  const sa = statementsOf(after);
  const keyOf = (s: unknown): string | undefined => (isJsonObject(s) && typeof s.Sid === 'string' && s.Sid ? `sid:${s.Sid}` : undefined);
  const matchedBefore = new Set<number>();
  const pairs: Array<[number | undefined, number]> = sa.map((s, i) => {
    const k = keyOf(s);
    let j = k ? sb.findIndex((t, n) => !matchedBefore.has(n) && keyOf(t) === k) : -1;
    if (j < 0) j = sb.findIndex((t, n) => !matchedBefore.has(n) && canonicalJson(t) === canonicalJson(s));
    if (j < 0 && !k && i < sb.length && !matchedBefore.has(i) && !keyOf(sb[i])) j = i;
    if (j >= 0) matchedBefore.add(j);
    return [j >= 0 ? j : undefined, i];
  });
  for (const [j, i] of pairs) {
    if (j === undefined) {
      out.push(`Adds statement ${titleOf(sa[i], i)}.`);
      continue;
    }
    const s = sa[i];
    const t = sb[j];
    if (canonicalJson(s) === canonicalJson(t)) continue;
    const changed = new Set<string>();
    if (isJsonObject(s) && isJsonObject(t)) {
      for (const k of new Set([...Object.keys(s), ...Object.keys(t)])) if (canonicalJson(s[k]) !== canonicalJson(t[k])) changed.add(k);
    }
    out.push(`Changes statement ${titleOf(s, i)}${changed.size ? ` (${[...changed].join(', ')})` : ''}.`);
  }
  sb.forEach((t, j) => {
    if (!matchedBefore.has(j)) out.push(`Removes statement ${titleOf(t, j)}.`);
  });
  const order = pairs.filter(([j]) => j !== undefined).map(([j]) => j as number);
  if (order.some((j, n) => n > 0 && j < order[n - 1])) out.push('Reorders statements.');
  if (isJsonObject(before) && isJsonObject(after)) {
    for (const k of ['Version', 'Id'])
      if (canonicalJson(before[k]) !== canonicalJson(after[k])) out.push(`Changes ${k} to ${JSON.stringify(after[k]) ?? 'nothing'}.`);
  }
  return out.length ? out : ['Changes the layout only.'];
}
