// What a statement's Sid suggests it allows (read, use, grant, admin), to warn when its
// actions give away more.
import { type ActionCategory, kmsActionInfo } from './kmsActions';
import { isJsonObject, stringList } from './policyModel';

type SidScope = 'read' | 'use' | 'grant' | 'admin';

const SCOPE_WORDS: Record<SidScope, readonly string[]> = {
  read: ['read', 'readonly', 'view', 'viewer', 'viewers', 'describe', 'list', 'audit', 'auditor', 'auditors', 'monitor', 'monitoring'],
  use: [
    'use',
    'usage',
    'user',
    'users',
    'encrypt',
    'encryption',
    'decrypt',
    'decryption',
    'sign',
    'signing',
    'verify',
    'crypto',
    'cryptographic',
    'consumer',
    'consumers',
  ],
  grant: ['attach', 'attachment', 'grant', 'grants', 'persistent'],
  admin: ['admin', 'admins', 'administrator', 'administrators', 'administration', 'manage', 'management', 'manager', 'managers'],
};
const SCOPE_ALLOWS: Record<SidScope, readonly ActionCategory[]> = {
  read: ['read'],
  use: ['read', 'use'],
  grant: ['read', 'grant'],
  admin: ['read', 'grant', 'admin', 'delete'],
};
const SCOPE_PHRASE: Record<SidScope, string> = {
  read: 'reading the key’s metadata',
  use: 'using the key',
  grant: 'managing grants for AWS services',
  admin: 'administering the key',
};
const CATEGORY_PHRASE: Record<ActionCategory, string> = {
  read: 'reading its metadata',
  use: 'using it to encrypt, decrypt or sign',
  grant: 'creating grants (which pass its use on to others)',
  admin: 'administering it',
  delete: 'deleting it',
};

function sidWords(sid: string): string[] {
  return sid
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** What the Sid suggests the statement is for, when it says so clearly. */
export function sidScope(sid: string): SidScope | undefined {
  const words = sidWords(sid);
  // "Enable IAM User Permissions" delegates to IAM; "Deny…" statements narrow, they do not grant.
  if (words.includes('iam') || words.some((w) => ['deny', 'prevent', 'block', 'restrict'].includes(w))) return undefined;
  const hits = (Object.keys(SCOPE_WORDS) as SidScope[]).filter((scope) => SCOPE_WORDS[scope].some((w) => words.includes(w)));
  const meaningful = hits.length > 1 ? hits.filter((h) => h !== 'read') : hits;
  return meaningful.length === 1 ? meaningful[0] : undefined;
}

export function sidExcess(
  sid: string,
  actions: Set<string>,
  principal: unknown,
  accountId: string | undefined,
): { scope: string; extra: string } | undefined {
  const scope = sidScope(sid);
  if (!scope) return undefined;
  // The account root statement is meant to be broad (it delegates to IAM policies).
  const aws = isJsonObject(principal) ? stringList(principal.AWS) : undefined;
  if (
    aws &&
    aws.length === 1 &&
    accountId &&
    [accountId, `arn:aws:iam::${accountId}:root`].includes(aws[0]) &&
    scope !== 'read' &&
    scope !== 'use'
  )
    return undefined;
  const byCategory = new Map<ActionCategory, string[]>();
  for (const action of actions) {
    const info = kmsActionInfo(action);
    if (!info || !info.keyResource || SCOPE_ALLOWS[scope].includes(info.category)) continue;
    byCategory.set(info.category, [...(byCategory.get(info.category) ?? []), action]);
  }
  if (byCategory.size === 0) return undefined;
  const order: ActionCategory[] = ['admin', 'delete', 'use', 'grant', 'read'];
  const parts = order.filter((c) => byCategory.has(c)).map((c) => CATEGORY_PHRASE[c]);
  const examples = order.flatMap((c) => byCategory.get(c) ?? []);
  const shown = examples.slice(0, 3).join(', ');
  const more = examples.length > 3 ? ` and ${examples.length - 3} more` : '';
  return { scope: SCOPE_PHRASE[scope], extra: `${joinWords(parts)} (${shown}${more})` };
}

function joinWords(parts: string[]): string {
  return parts.length <= 1 ? parts.join('') : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/** "use and administer", "use" … for warnings about who can do what. */
export function summarizeActions(actions: Set<string>): string {
  const cats = new Set<ActionCategory>();
  for (const a of actions) {
    const info = kmsActionInfo(a);
    if (info?.keyResource) cats.add(info.category);
  }
  const verbs: string[] = [];
  if (cats.has('use')) verbs.push('use');
  if (cats.has('admin')) verbs.push('administer');
  if (cats.has('delete')) verbs.push('delete');
  if (cats.has('grant')) verbs.push('create grants for');
  if (verbs.length === 0 && cats.has('read')) verbs.push('read the metadata of');
  if (verbs.length === 0) return 'act on';
  return joinWords(verbs);
}
