/**
 * Validation of a key policy as typed: JSON syntax (with line and column), the policy
 * grammar, known kms: actions, principal forms, the size limit and the characters KMS
 * accepts, and warnings for statements that give away more than they seem to. Errors
 * mean KMS would refuse the policy or a statement would not work as written; warnings
 * mean it would work but is probably not what was meant.
 */
import { type JsonPath, nodeValue, parseJson, positionAt } from './jsonDocument';
import { POLICY_SIZE_LIMIT, isAllowedPolicyChar, utf8Length } from './policyModel';
import { GrammarChecker } from './policyGrammar';

export type IssueSeverity = 'error' | 'warning' | 'info';

export interface PolicyIssue {
  readonly severity: IssueSeverity;
  /** Stable identifier of the rule, e.g. "unknown-action". */
  readonly code: string;
  readonly message: string;
  /** Where in the policy value (e.g. ["Statement", 2, "Action", 0]). */
  readonly path: JsonPath;
  /** The statement the issue is in, when it is in one. */
  readonly statementIndex?: number;
  readonly offset: number;
  readonly length: number;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
}

export interface ValidationContext {
  /** The account that owns the key. */
  readonly accountId?: string;
  /** The key's ARN (Resource may name it instead of "*"). */
  readonly keyArn?: string;
}

export interface PolicyValidation {
  readonly issues: readonly PolicyIssue[];
  readonly errorCount: number;
  readonly warningCount: number;
  /** UTF-8 bytes of the text. */
  readonly byteLength: number;
  readonly byteLimit: number;
  /** Whether the text is valid JSON (the grammar may still have errors). */
  readonly syntaxOk: boolean;
  /** The parsed value when the text is valid JSON. */
  readonly value?: unknown;
}

const severityRank: Record<IssueSeverity, number> = { error: 0, warning: 1, info: 2 };

export function validatePolicy(text: string, context: ValidationContext = {}): PolicyValidation {
  const issues: PolicyIssue[] = [];
  const byteLength = utf8Length(text);
  const parsed = parseJson(text);

  const add = (
    severity: IssueSeverity,
    code: string,
    message: string,
    offset: number,
    length: number,
    path: JsonPath = [],
    statementIndex?: number,
  ): void => {
    const { line, column } = positionAt(text, offset);
    issues.push({ severity, code, message, path, statementIndex, offset, length, line, column });
  };

  if (byteLength > POLICY_SIZE_LIMIT) {
    add(
      'error',
      'too-large',
      `The policy is ${byteLength.toLocaleString('en-US')} bytes; KMS accepts at ` +
        `most ${POLICY_SIZE_LIMIT.toLocaleString('en-US')}. Remove statements or whitespace, or combine ` +
        'principals into fewer statements.',
      0,
      0,
    );
  }
  checkCharacters(text, add);

  for (const e of parsed.errors) add('error', 'json-syntax', e.message, e.offset, e.length);
  if (!parsed.root) return finish(issues, byteLength, false, undefined);

  const root = parsed.root;
  for (const d of parsed.duplicateKeys) {
    const statementIndex = d.path[0] === 'Statement' && typeof d.path[1] === 'number' ? d.path[1] : undefined;
    add(
      'error',
      'duplicate-key',
      `"${d.key}" appears twice in the same object; only the last one would count. Remove one.`,
      d.offset,
      d.length,
      [...d.path, d.key],
      statementIndex,
    );
  }

  new GrammarChecker(root, context, add).check();
  return finish(issues, byteLength, true, nodeValue(root));
}

function finish(issues: PolicyIssue[], byteLength: number, syntaxOk: boolean, value: unknown): PolicyValidation {
  issues.sort((a, b) => a.offset - b.offset || severityRank[a.severity] - severityRank[b.severity]);
  return {
    issues,
    errorCount: issues.filter((i) => i.severity === 'error').length,
    warningCount: issues.filter((i) => i.severity === 'warning').length,
    byteLength,
    byteLimit: POLICY_SIZE_LIMIT,
    syntaxOk,
    value,
  };
}

export type Add = (
  severity: IssueSeverity,
  code: string,
  message: string,
  offset: number,
  length: number,
  path?: JsonPath,
  statementIndex?: number,
) => void;

function checkCharacters(text: string, add: Add): void {
  let reported = 0;
  for (let i = 0; i < text.length && reported < 5; i++) {
    const code = text.charCodeAt(i);
    if (isAllowedPolicyChar(code) || code === 0xfeff) continue;
    const shown =
      code < 0x20 || (code >= 0x7f && code <= 0xa0)
        ? `U+${code.toString(16).toUpperCase().padStart(4, '0')}`
        : `"${String.fromCodePoint(text.codePointAt(i) ?? code)}"`;
    const pair = code >= 0xd800 && code <= 0xdbff && i + 1 < text.length;
    add(
      'error',
      'character',
      'KMS accepts only printable ASCII and Latin-1 characters, tabs and line breaks in a key ' +
        `policy; ${shown} is not one. Replace it (e.g. with plain ASCII text).`,
      i,
      pair ? 2 : 1,
    );
    if (pair) i++;
    reported++;
  }
}
