/**
 * The form view of a key policy and the edits it makes, over the policy's plain JSON value.
 *
 * The value stays the single source of truth: the form is read from it (`readPolicyForm`)
 * and every edit returns a new value (`addRoleMember`, `updateStatement`, `moveStatement`…)
 * that keeps everything the edit did not touch exactly as it was — key order, strings that
 * were strings, lists that were lists, statements the form cannot show. Turning the value
 * back into text is formatPolicy's job; a statement's own fields are statementFields.ts's.
 *
 * Roles work like the KMS console's (consolePolicy.ts says which statements those are): key
 * administrators are the principals of the statement(s) allowing the console's administrator
 * actions (with or without deletion), key users those of the statement allowing the
 * console's key-user actions (and its companion grants statement), other AWS accounts the
 * account principals among the key users.
 */
import {
  CONSOLE_SIDS,
  type ConsoleRole,
  type KeyKind,
  consoleRoleOf,
  consoleRoleStatement,
  keyKindUsesGrantsStatement,
  rolePrincipalsOf,
} from './consolePolicy';
import { CURRENT_POLICY_VERSION, type JsonObject, isJsonObject } from './policyModel';
import { accountRootArn, isServicePrincipal, parseAwsPrincipal } from './principals';
import { type StatementFields, readStatementFields, writeStatementFields } from './statementFields';

export interface FormContext {
  /** The account that owns the key: its root is "the account", other accounts' roots are "other AWS accounts". */
  readonly accountId?: string;
  readonly partition?: string;
  /** Decides which actions new key users (and administrators of a multi-Region key) get. */
  readonly keyKind?: KeyKind;
}
export type StatementRole = ConsoleRole;

export interface StatementView {
  readonly index: number;
  /** Sid, or "Statement N". */
  readonly title: string;
  readonly value: unknown;
  /** Undefined when the form cannot show this statement: then `reason` says why and it is edited as JSON. */
  readonly fields?: StatementFields;
  readonly reason?: string;
  /** Set when the statement is one of the console's role statements (edited through the role lists too). */
  readonly role?: StatementRole;
}

export interface AdminMember {
  readonly principal: string;
  readonly canDelete: boolean;
}

export interface PolicyFormView {
  /** False when the policy is not an object with statements: `reason` says why. */
  readonly ok: boolean;
  readonly reason?: string;
  readonly admins: readonly AdminMember[];
  readonly users: readonly string[];
  /** Account ids of other accounts allowed to use the key. */
  readonly accounts: readonly string[];
  readonly statements: readonly StatementView[];
}

/** The form fields of a statement, or why the form cannot show it. */
// ---- reading the form ------------------------------------------------------------------

function isOtherAccount(principal: string, ctx: FormContext): string | undefined {
  const parsed = parseAwsPrincipal(principal);
  if (!parsed.ok || parsed.principal.kind !== 'account') return undefined;
  return parsed.principal.accountId !== ctx.accountId ? parsed.principal.accountId : undefined;
}

export function readPolicyForm(policy: unknown, ctx: FormContext = {}): PolicyFormView {
  const empty = { admins: [], users: [], accounts: [], statements: [] };
  if (!isJsonObject(policy)) return { ok: false, reason: 'The policy is not a JSON object.', ...empty };
  const raw = policy.Statement;
  if (raw !== undefined && !Array.isArray(raw) && !isJsonObject(raw))
    return { ok: false, reason: 'Statement is not a list of statements.', ...empty };
  const list: unknown[] = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];

  const admins = new Map<string, boolean>();
  const users: string[] = [];
  const accounts: string[] = [];
  const statements = list.map((s, index): StatementView => {
    const read = readStatementFields(s);
    const role = consoleRoleOf(s, ctx);
    if (role?.role === 'admins' || role?.role === 'admins-delete') {
      for (const p of role.principals) admins.set(p, (admins.get(p) ?? false) || role.role === 'admins-delete');
    }
    if (role?.role === 'users' || role?.role === 'grants') {
      for (const p of role.principals) {
        const other = isOtherAccount(p, ctx);
        if (other) {
          if (!accounts.includes(other)) accounts.push(other);
        } else if (!users.includes(p)) users.push(p);
      }
    }
    const sid = isJsonObject(s) && typeof s.Sid === 'string' && s.Sid ? s.Sid : undefined;
    return {
      index,
      title: sid ?? `Statement ${index + 1}`,
      value: s,
      ...('fields' in read ? { fields: read.fields } : { reason: read.reason }),
      role: role?.role,
    };
  });
  return { ok: true, admins: [...admins].map(([principal, canDelete]) => ({ principal, canDelete })), users, accounts, statements };
}

// ---- edits -------------------------------------------------------------------------------

function withStatements(policy: unknown, statements: unknown[]): JsonObject {
  const base: JsonObject = isJsonObject(policy) ? policy : { Version: CURRENT_POLICY_VERSION };
  if (!('Statement' in base)) return { ...base, Statement: statements };
  // Keep "Statement" where it was; a single statement object stays an object while there is one.
  const single = isJsonObject(base.Statement) && statements.length === 1;
  return Object.fromEntries(Object.entries(base).map(([k, v]) => [k, k === 'Statement' ? (single ? statements[0] : statements) : v]));
}

function statementList(policy: unknown): unknown[] {
  if (!isJsonObject(policy)) return [];
  const s = policy.Statement;
  return Array.isArray(s) ? [...(s as unknown[])] : isJsonObject(s) ? [s] : [];
}

export function addStatement(policy: unknown, statement: unknown, at?: number): JsonObject {
  const list = statementList(policy);
  list.splice(at === undefined ? list.length : Math.max(0, Math.min(at, list.length)), 0, statement);
  return withStatements(policy, list);
}

export function removeStatement(policy: unknown, index: number): JsonObject {
  const list = statementList(policy);
  if (index < 0 || index >= list.length) throw new RangeError(`There is no statement ${index + 1}.`);
  list.splice(index, 1);
  return withStatements(policy, list);
}

export function moveStatement(policy: unknown, from: number, to: number): JsonObject {
  const list = statementList(policy);
  if (from < 0 || from >= list.length) throw new RangeError(`There is no statement ${from + 1}.`);
  const target = Math.max(0, Math.min(to, list.length - 1));
  const [item] = list.splice(from, 1);
  list.splice(target, 0, item);
  return withStatements(policy, list);
}

export function replaceStatement(policy: unknown, index: number, statement: unknown): JsonObject {
  const list = statementList(policy);
  if (index < 0 || index >= list.length) throw new RangeError(`There is no statement ${index + 1}.`);
  list[index] = statement;
  return withStatements(policy, list);
}

/** Applies form fields to statement `index`. */
export function updateStatement(policy: unknown, index: number, fields: StatementFields): { value: JsonObject } | { error: string } {
  const list = statementList(policy);
  if (index < 0 || index >= list.length) return { error: `There is no statement ${index + 1}.` };
  const written = writeStatementFields(list[index], fields);
  if ('error' in written) return written;
  return { value: replaceStatement(policy, index, written.value) };
}

/** A new statement as the "Add statement" button makes it. */
export function newStatement(ctx: FormContext = {}): JsonObject {
  return {
    Effect: 'Allow',
    Principal: { AWS: ctx.accountId ? accountRootArn(ctx.accountId, ctx.partition) : 'arn:aws:iam::111122223333:root' },
    Action: ['kms:DescribeKey'],
    Resource: '*',
  };
}

export type RoleList = 'admins' | 'users' | 'accounts';

/** What a principal typed into a role list becomes in the policy (an account id becomes its root ARN). */
export function normalizeRolePrincipal(list: RoleList, input: string, ctx: FormContext = {}): { principal: string } | { error: string } {
  const value = input.trim();
  if (!value) return { error: list === 'accounts' ? 'Enter a 12-digit AWS account id.' : 'Enter an IAM user or role ARN.' };
  if (list === 'accounts') {
    const id = /^\d{12}$/.test(value) ? value : /^arn:[^:]+:iam::(\d{12}):root$/.exec(value)?.[1];
    if (!id) return { error: `"${value}" is not an AWS account id: enter the 12 digits (e.g. 444455556666).` };
    if (ctx.accountId && id === ctx.accountId)
      return { error: `${id} is this key's own account. To let it use the key, add its users or roles as key users instead.` };
    return { principal: accountRootArn(id, ctx.partition) };
  }
  if (list === 'users' && isServicePrincipal(value)) return { principal: value };
  const parsed = parseAwsPrincipal(value);
  if (!parsed.ok)
    return {
      error:
        list === 'users' && /^[a-z0-9.-]+$/.test(value)
          ? `"${value}" is not a principal: use an IAM user or role ARN, or an AWS service such as lambda.amazonaws.com.`
          : parsed.problem,
    };
  if (parsed.principal.kind === 'anyone')
    return { error: `"*" would mean everyone in every AWS account. Name a user or role, or write a statement with a Condition.` };
  if (parsed.principal.kind === 'account' && parsed.principal.form === 'id')
    return { principal: accountRootArn(parsed.principal.accountId, ctx.partition) };
  return { principal: value };
}

interface RoleStatements {
  admins?: number;
  adminsDelete?: number;
  users?: number;
  grants?: number;
  account?: number;
}

function findRoleStatements(list: unknown[], ctx: FormContext): RoleStatements {
  const found: RoleStatements = {};
  list.forEach((s, i) => {
    const role = consoleRoleOf(s, ctx)?.role;
    if (role === 'admins') found.admins ??= i;
    if (role === 'admins-delete') found.adminsDelete ??= i;
    if (role === 'users') found.users ??= i;
    if (role === 'grants') found.grants ??= i;
    if (role === 'account') found.account ??= i;
  });
  return found;
}

function awsPrincipalsOf(s: unknown): string[] {
  return rolePrincipalsOf(s) ?? [];
}

/** The statement with its members replaced (undefined when none are left: drop it). */
function withAwsPrincipals(s: JsonObject, members: string[]): JsonObject | undefined {
  if (members.length === 0) return undefined;
  const principal = isJsonObject(s.Principal) ? s.Principal : {};
  const byType: Record<string, string[]> = {
    AWS: members.filter((m) => !isServicePrincipal(m)),
    Service: members.filter(isServicePrincipal),
  };
  const next: JsonObject = {};
  // Existing types keep their place and their form (a single string stays a string).
  for (const key of [...Object.keys(principal), 'AWS', 'Service']) {
    if (key in next) continue;
    const list = byType[key];
    if (!list) {
      next[key] = principal[key];
      continue;
    }
    if (list.length === 0) continue;
    next[key] = list.length === 1 && !Array.isArray(principal[key]) ? list[0] : list;
  }
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, k === 'Principal' ? next : v]));
}

function roleStatement(role: 'admins' | 'admins-delete' | 'users' | 'grants', principals: string[], ctx: FormContext): JsonObject {
  // The form writes a single principal as a string, as the console does when editing.
  const Principal = withAwsPrincipals({ Principal: {} }, principals)?.Principal ?? {};
  const sid = role === 'admins-delete' ? CONSOLE_SIDS.adminsDeleteSeparate : undefined;
  return { ...consoleRoleStatement(role, principals, ctx.keyKind, { sid }), Principal };
}

/**
 * Edits the principal lists of role statements: `changes` maps a statement role to the new
 * principal list. Empty statements are removed, missing ones created where the console
 * puts them (after the account statement and the roles before them).
 */
function setRolePrincipals(
  policy: unknown,
  ctx: FormContext,
  changes: Partial<Record<'admins' | 'admins-delete' | 'users' | 'grants', string[]>>,
): JsonObject {
  let list = statementList(policy);
  const order: ('admins' | 'admins-delete' | 'users' | 'grants')[] = ['admins-delete', 'admins', 'users', 'grants'];
  for (const role of order) {
    const principals = changes[role];
    if (!principals) continue;
    const found = findRoleStatements(list, ctx);
    const key = ({ admins: 'admins', 'admins-delete': 'adminsDelete', users: 'users', grants: 'grants' } as const)[role];
    const index = found[key];
    if (index !== undefined) {
      const updated = withAwsPrincipals(list[index] as JsonObject, principals);
      if (updated) list[index] = updated;
      else list = list.filter((_, i) => i !== index);
      continue;
    }
    if (principals.length === 0) continue;
    // Where the console would put it: after the statements of the roles before it.
    const before = {
      'admins-delete': [found.account],
      admins: [found.account, found.adminsDelete],
      users: [found.account, found.adminsDelete, found.admins],
      grants: [found.account, found.adminsDelete, found.admins, found.users],
    }[role];
    const anchors = before.filter((i): i is number => i !== undefined);
    const at = anchors.length ? Math.max(...anchors) + 1 : role === 'grants' || role === 'users' ? list.length : 0;
    list.splice(at, 0, roleStatement(role, principals, ctx));
  }
  return withStatements(policy, list);
}

function roleMembers(policy: unknown, ctx: FormContext): Record<'admins' | 'admins-delete' | 'users' | 'grants', string[] | undefined> {
  const list = statementList(policy);
  const found = findRoleStatements(list, ctx);
  const of = (i: number | undefined): string[] | undefined => (i === undefined ? undefined : awsPrincipalsOf(list[i]));
  return { admins: of(found.admins), 'admins-delete': of(found.adminsDelete), users: of(found.users), grants: of(found.grants) };
}

/** Adds a principal to a role list (an administrator, a key user or another account). */
export function addRoleMember(
  policy: unknown,
  list: RoleList,
  input: string,
  ctx: FormContext = {},
  options: { canDelete?: boolean } = {},
): { value: JsonObject; principal: string } | { error: string } {
  const normalized = normalizeRolePrincipal(list, input, ctx);
  if ('error' in normalized) return normalized;
  const { principal } = normalized;
  const members = roleMembers(policy, ctx);
  if (list === 'admins') {
    const target = options.canDelete ? 'admins-delete' : 'admins';
    const other = options.canDelete ? 'admins' : 'admins-delete';
    if ((members[target] ?? []).includes(principal)) return { error: `${principal} is already a key administrator.` };
    return {
      principal,
      value: setRolePrincipals(policy, ctx, {
        [target]: [...(members[target] ?? []), principal],
        ...(members[other]?.includes(principal) ? { [other]: members[other].filter((p) => p !== principal) } : {}),
      }),
    };
  }
  if ((members.users ?? []).includes(principal))
    return {
      error:
        list === 'accounts' ? `The account ${principal.split(':')[4]} can already use the key.` : `${principal} is already a key user.`,
    };
  const changes: Partial<Record<'users' | 'grants', string[]>> = { users: [...(members.users ?? []), principal] };
  // Grants for AWS resources are for IAM principals; an AWS service is only a key user.
  if (!isServicePrincipal(principal) && (members.grants || keyKindUsesGrantsStatement(ctx.keyKind))) {
    const grants = members.grants ?? [];
    if (!grants.includes(principal)) changes.grants = [...grants, principal];
  }
  return { principal, value: setRolePrincipals(policy, ctx, changes) };
}

/** Removes a principal from a role list (from every role statement of that list). */
export function removeRoleMember(policy: unknown, list: RoleList, principal: string, ctx: FormContext = {}): JsonObject {
  const members = roleMembers(policy, ctx);
  const matches = (p: string): boolean => {
    if (p === principal) return true;
    if (list !== 'accounts') return false;
    // An account may be written as its id or its root ARN.
    const a = parseAwsPrincipal(p);
    const b = parseAwsPrincipal(principal);
    const idOf = (x: typeof a): string | undefined => (x.ok && x.principal.kind === 'account' ? x.principal.accountId : undefined);
    return idOf(a) !== undefined && idOf(a) === (idOf(b) ?? principal);
  };
  const roles = list === 'admins' ? (['admins', 'admins-delete'] as const) : (['users', 'grants'] as const);
  const changes: Partial<Record<'admins' | 'admins-delete' | 'users' | 'grants', string[]>> = {};
  for (const role of roles) {
    const current = members[role];
    if (current?.some(matches)) changes[role] = current.filter((p) => !matches(p));
  }
  return setRolePrincipals(policy, ctx, changes);
}

/** Moves an administrator between the statements with and without deletion. */
export function setAdminCanDelete(policy: unknown, principal: string, canDelete: boolean, ctx: FormContext = {}): JsonObject {
  const members = roleMembers(policy, ctx);
  const from = canDelete ? 'admins' : 'admins-delete';
  const to = canDelete ? 'admins-delete' : 'admins';
  const target = members[to] ?? [];
  return setRolePrincipals(policy, ctx, {
    [from]: (members[from] ?? []).filter((p) => p !== principal),
    ...(target.includes(principal) ? {} : { [to]: [...target, principal] }),
  });
}
