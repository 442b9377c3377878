// The one place that decides how a key is named to a person: in messages, status bar
// messages, CodeLenses, hovers and the peek dialog. A key is named by its alias (the first
// by name, a customer's own before an AWS one), else by its key id; its account and Region
// are added only where they differ from the connection's. The full ARN stays for tooltips
// and the log (callers put it there themselves).
import { parseKmsArn } from '../trust/accounts';

/** What is known around the name: the connection's account and Region, and the aliases of keys. */
export interface KeyNameContext {
  /** The connection's AWS account id (12 digits), when known. */
  readonly account?: string;
  /** The connection's Region. */
  readonly region?: string;
  /** The aliases of a key id (full names, `alias/…`), when known. */
  readonly aliasesOf?: (keyId: string) => readonly string[] | undefined;
}

/** The alias that names a key: a customer's own alias before an `alias/aws/…` one, then by name. */
export function preferredAlias(aliases: readonly string[] | undefined): string | undefined {
  if (!aliases || aliases.length === 0) return undefined;
  const own = aliases.filter((a) => !a.startsWith('alias/aws/'));
  return [...(own.length ? own : aliases)].sort()[0];
}

/**
 * How a person reads the key `ref` (key id, key ARN, alias name or alias ARN):
 * `alias/payments`, `alias/payments (account 111122223333)`,
 * `1234abcd-… (eu-west-1)` when it has no known alias and lives in another Region.
 */
export function keyName(ref: string, context: KeyNameContext = {}): string {
  const trimmed = ref.trim();
  const arn = parseKmsArn(trimmed);
  if (!arn) {
    if (trimmed.startsWith('alias/')) return trimmed;
    return preferredAlias(context.aliasesOf?.(trimmed)) ?? trimmed;
  }
  const elsewhere: string[] = [];
  const otherAccount = context.account !== undefined && arn.accountId !== context.account;
  if (otherAccount) elsewhere.push(`account ${arn.accountId}`);
  if (context.region !== undefined && arn.region !== context.region) elsewhere.push(arn.region);
  // Aliases are listed per account and Region: the connection's aliases say nothing of another's key.
  const sameDirectory = !otherAccount && (context.region === undefined || arn.region === context.region);
  const name =
    arn.resource === 'alias' ? arn.name : ((sameDirectory ? preferredAlias(context.aliasesOf?.(arn.name)) : undefined) ?? arn.name);
  return elsewhere.length ? `${name} (${elsewhere.join(', ')})` : name;
}

/** Several keys: their names, joined for a sentence ("alias/a and alias/b", "alias/a, alias/b and 3 more"). */
export function keyNames(refs: readonly string[], context: KeyNameContext = {}, most = 3): string {
  const names = [...new Set(refs.map((r) => keyName(r, context)))];
  if (names.length <= 1) return names[0] ?? '';
  if (names.length > most) return `${names.slice(0, most).join(', ')} and ${names.length - most} more`;
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}
