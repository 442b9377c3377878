/** Condition operators of the IAM policy grammar, for validating `Condition` blocks. */
import { editDistance } from './kmsActions';

const BASE_OPERATORS = [
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'NumericEquals',
  'NumericNotEquals',
  'NumericLessThan',
  'NumericLessThanEquals',
  'NumericGreaterThan',
  'NumericGreaterThanEquals',
  'DateEquals',
  'DateNotEquals',
  'DateLessThan',
  'DateLessThanEquals',
  'DateGreaterThan',
  'DateGreaterThanEquals',
  'Bool',
  'BinaryEquals',
  'IpAddress',
  'NotIpAddress',
  'ArnEquals',
  'ArnLike',
  'ArnNotEquals',
  'ArnNotLike',
  'Null',
] as const;

export const CONDITION_OPERATORS: readonly string[] = BASE_OPERATORS;

export interface ParsedOperator {
  readonly base: string;
  readonly setQualifier?: 'ForAllValues' | 'ForAnyValue';
  readonly ifExists: boolean;
}

/** Splits "ForAnyValue:StringLikeIfExists" into its parts; undefined if not an operator. */
export function parseConditionOperator(op: string): ParsedOperator | undefined {
  const m = /^(?:(ForAllValues|ForAnyValue):)?([A-Za-z]+?)(IfExists)?$/.exec(op);
  if (!m) return undefined;
  const [, setQualifier, base, ifExists] = m;
  if (!(BASE_OPERATORS as readonly string[]).includes(base)) return undefined;
  if (base === 'Null' && ifExists) return undefined;
  return { base, setQualifier: setQualifier as ParsedOperator['setQualifier'], ifExists: Boolean(ifExists) };
}

/** A sentence for an unknown operator, suggesting the closest known one. */
export function explainUnknownOperator(op: string): string {
  const lower = op.toLowerCase();
  const exactCase = BASE_OPERATORS.find(
    (o) => o.toLowerCase() === lower.replace(/^(forallvalues|foranyvalue):/, '').replace(/ifexists$/, ''),
  );
  if (exactCase) return `Condition operator "${op}" is not written as IAM expects: operators are case-sensitive (e.g. "${exactCase}").`;
  const bare = op.replace(/^(ForAllValues|ForAnyValue):/, '').replace(/IfExists$/, '');
  const close = BASE_OPERATORS.map((o) => ({ o, d: editDistance(bare.toLowerCase(), o.toLowerCase()) })).sort((a, b) => a.d - b.d)[0];
  if (close && close.d <= 2) return `Unknown condition operator "${op}": did you mean "${op.replace(bare, close.o)}"?`;
  return (
    `Unknown condition operator "${op}". Use one of StringEquals, StringLike, ArnLike, Bool, ` +
    'NumericLessThan… (optionally with ForAnyValue:/ForAllValues: or IfExists).'
  );
}
