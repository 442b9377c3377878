// A key policy's conditions in words, for the effective-access view: each clause (operator, key,
// values) and how a reviewer reads it ("only from account 111122223333", "aws:SourceVpc is …").
import { parseConditionOperator } from '../policy/conditions';
import { isJsonObject, stringList } from '../policy/policyModel';

const OPERATOR_WORDS: Record<string, string> = {
  StringEquals: 'is',
  StringNotEquals: 'is not',
  StringEqualsIgnoreCase: 'is (ignoring case)',
  StringNotEqualsIgnoreCase: 'is not (ignoring case)',
  StringLike: 'matches',
  StringNotLike: 'does not match',
  ArnEquals: 'is',
  ArnLike: 'matches',
  ArnNotEquals: 'is not',
  ArnNotLike: 'does not match',
  NumericEquals: '=',
  NumericNotEquals: '≠',
  NumericLessThan: '<',
  NumericLessThanEquals: '≤',
  NumericGreaterThan: '>',
  NumericGreaterThanEquals: '≥',
  DateEquals: 'is',
  DateNotEquals: 'is not',
  DateLessThan: 'is before',
  DateLessThanEquals: 'is at or before',
  DateGreaterThan: 'is after',
  DateGreaterThanEquals: 'is at or after',
  Bool: 'is',
  BinaryEquals: 'is',
  IpAddress: 'is in',
  NotIpAddress: 'is not in',
};

export const quote = (values: readonly string[]): string =>
  values.length === 1 ? `"${values[0]}"` : `one of ${values.map((v) => `"${v}"`).join(', ')}`;

export interface ConditionClause {
  readonly operator: string;
  readonly key: string;
  readonly values: readonly string[];
}

/** The clauses of a Condition block (operator → key → value or values). */
export function conditionClauses(condition: unknown): ConditionClause[] {
  if (!isJsonObject(condition)) return [];
  const out: ConditionClause[] = [];
  for (const [operator, block] of Object.entries(condition)) {
    if (!isJsonObject(block)) continue;
    for (const [key, raw] of Object.entries(block)) {
      const values =
        stringList(
          typeof raw === 'boolean' || typeof raw === 'number' ? String(raw) : Array.isArray(raw) ? raw.map((v) => String(v)) : raw,
        ) ?? [];
      out.push({ operator, key, values });
    }
  }
  return out;
}

/** One condition clause as words: "only through ec2.us-east-1.amazonaws.com (kms:ViaService)". */
export function describeClause(c: ConditionClause): string {
  const parsed = parseConditionOperator(c.operator);
  const base = parsed?.base ?? c.operator;
  const negative = /Not|^NotIpAddress$/.test(base);
  const lower = c.key.toLowerCase();
  const when = parsed?.ifExists ? ' (when the key is present)' : '';
  const set = parsed?.setQualifier === 'ForAnyValue' ? 'any of ' : parsed?.setQualifier === 'ForAllValues' ? 'all of ' : '';
  if (base === 'Null') return `${c.key} is ${c.values[0] === 'true' ? 'absent' : 'present'}`;
  const v = set ? `${set}${c.values.map((x) => `"${x}"`).join(', ')}` : quote(c.values);
  const caseNote = base === 'StringEqualsIgnoreCase' || base === 'StringNotEqualsIgnoreCase' ? ' (ignoring case)' : '';
  if (!negative) {
    if (lower === 'kms:viaservice') return `only through ${v} (kms:ViaService)${when}`;
    if (lower === 'kms:calleraccount' || lower === 'aws:principalaccount') return `only callers of account ${v} (${c.key})${when}`;
    if (lower === 'aws:principalorgid') return `only principals in AWS organization ${v} (aws:PrincipalOrgID)${when}`;
    if (lower === 'aws:principalorgpaths') return `only principals under organization path ${v}${when}`;
    if (lower === 'aws:principalarn') return `only principals whose ARN ${OPERATOR_WORDS[base] ?? base} ${v}${when}`;
    if (lower === 'aws:sourceaccount') return `only on behalf of resources of account ${v} (aws:SourceAccount)${when}`;
    if (lower === 'aws:sourcearn') return `only on behalf of ${v} (aws:SourceArn)${when}`;
    if (lower === 'aws:sourcevpce') return `only through VPC endpoint ${v}${when}`;
    if (lower === 'aws:sourcevpc') return `only from VPC ${v}${when}`;
    if (lower === 'aws:sourceip' && base === 'IpAddress') return `only from addresses in ${v}${when}`;
    if (lower === 'aws:securetransport' && base === 'Bool') return c.values[0] === 'true' ? 'only over TLS' : 'only without TLS';
    if (lower === 'aws:multifactorauthpresent' && base === 'Bool') return c.values[0] === 'true' ? 'only with MFA' : 'only without MFA';
    if (lower === 'kms:grantisforawsresource' && base === 'Bool')
      return c.values[0] === 'true'
        ? 'only grants made by an AWS service for an AWS resource (kms:GrantIsForAWSResource)'
        : 'only grants not made for an AWS resource';
    if (lower.startsWith('kms:encryptioncontext:')) {
      const contextKey = c.key.slice('kms:EncryptionContext:'.length);
      return `only with encryption context ${contextKey} ${OPERATOR_WORDS[base] ?? base} ${v}${caseNote} (the key name matches in any case)${when}`;
    }
    if (lower === 'kms:encryptioncontextkeys') {
      const keys = c.values.map((x) => `"${x}"`).join(', ');
      if (parsed?.setQualifier === 'ForAllValues') return `only when every encryption context key is one of ${keys}${caseNote}${when}`;
      const has = parsed?.setQualifier === 'ForAnyValue' ? `any of the keys ${keys}` : `the key ${quote(c.values)}`;
      return `only when the encryption context has ${has}${caseNote}${when}`;
    }
    if (lower === 'kms:grantoperations') return `only grants for ${v}${when}`;
    if (lower === 'kms:granteeprincipal') return `only grants to ${v}${when}`;
    if (lower === 'kms:retiringprincipal') return `only grants retirable by ${v}${when}`;
    if (lower === 'kms:encryptionalgorithm' || lower === 'kms:signingalgorithm' || lower === 'kms:macalgorithm')
      return `only with algorithm ${v}${when}`;
  }
  return `${c.key} ${OPERATOR_WORDS[base] ?? base}${parsed?.setQualifier ? ` (${parsed.setQualifier})` : ''} ${quote(c.values)}${when}`;
}
