/**
 * IAM Access Analyzer's ValidatePolicy findings placed in the policy text they were made for:
 * each finding's first location (a path of `{ value }`, `{ index }`, `{ key }` and `{ substring }`
 * steps into the policy, and a span) becomes the statement it is in, an offset, a line and a
 * column, so the editor shows it at its statement beside its own validation. Plain data in and
 * out (no SDK import): the webview may use it too.
 */
import { type JsonPath, nodeAtPath, parseJson, positionAt } from './jsonDocument';
import { SERVICE_FINDING_TYPES, type ServiceFinding, type ServiceFindingType } from '../../shared/policyProtocol';

/** A finding as the service answers it (the SDK's ValidatePolicyFinding, loosely typed). */
export interface RawServiceFinding {
  readonly findingDetails?: string;
  readonly findingType?: string;
  readonly issueCode?: string;
  readonly learnMoreLink?: string;
  readonly locations?: readonly RawLocation[];
}

interface RawLocation {
  readonly path?: readonly RawPathElement[];
  readonly span?: { readonly start?: RawPosition; readonly end?: RawPosition };
}

interface RawPathElement {
  readonly index?: number;
  readonly key?: string;
  readonly value?: string;
  readonly substring?: { readonly start?: number; readonly length?: number };
}

interface RawPosition {
  readonly line?: number;
  readonly column?: number;
  readonly offset?: number;
}

const MAX_MESSAGE = 2_000;

/** The words for each kind of finding ("Security warning"). */
export const SERVICE_FINDING_LABELS: Record<ServiceFindingType, string> = {
  ERROR: 'Error',
  SECURITY_WARNING: 'Security warning',
  WARNING: 'Warning',
  SUGGESTION: 'Suggestion',
};

/** The path of a location as JSON path steps (a substring step ends it) and as text ("Statement[1].Principal"). */
export function locationPath(path: readonly RawPathElement[] | undefined): { steps: JsonPath; where: string } {
  const steps: (string | number)[] = [];
  let where = '';
  for (const element of path ?? []) {
    if (typeof element.index === 'number') {
      steps.push(element.index);
      where += `[${element.index}]`;
    } else if (typeof element.value === 'string') {
      steps.push(element.value);
      where += where ? `.${element.value}` : element.value;
    } else if (typeof element.key === 'string') {
      // The key itself (e.g. a condition key): its property is where the value is.
      steps.push(element.key);
      where += where ? `.${element.key}` : element.key;
    } else if (element.substring) {
      where += ` (characters ${element.substring.start ?? 0}–${(element.substring.start ?? 0) + (element.substring.length ?? 0)})`;
      break;
    }
  }
  return { steps, where: where || 'the policy' };
}

/** The statement a path is in: `Statement[i]…`, or `Statement…` when Statement is one object. */
export function statementIndexOf(steps: JsonPath, policyValue: unknown): number | undefined {
  if (steps[0] !== 'Statement') return undefined;
  if (typeof steps[1] === 'number') return steps[1];
  const statement =
    typeof policyValue === 'object' && policyValue !== null ? (policyValue as Record<string, unknown>).Statement : undefined;
  return statement !== undefined && !Array.isArray(statement) ? 0 : undefined;
}

function clean(text: string | undefined, fallback: string): string {
  const t = (text ?? '').replace(/\p{Cc}/gu, (c) => (c === '\n' || c === '\t' ? c : ' ')).trim();
  return (t || fallback).slice(0, MAX_MESSAGE);
}

/**
 * The findings of ValidatePolicy for `text`, placed, most serious first (then in text order).
 * A location's span is used when it lies in the text; otherwise its path is looked up in the
 * parsed policy; a finding without either is placed at the start of the policy.
 */
export function placeServiceFindings(findings: readonly RawServiceFinding[], text: string): ServiceFinding[] {
  const parsed = parseJson(text);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const out: ServiceFinding[] = [];
  for (const f of findings) {
    const findingType = (SERVICE_FINDING_TYPES as readonly string[]).includes(f.findingType ?? '')
      ? (f.findingType as ServiceFindingType)
      : 'WARNING';
    const location = f.locations?.[0];
    const { steps, where } = locationPath(location?.path);
    let offset = 0;
    let length = 0;
    const start = location?.span?.start?.offset;
    const end = location?.span?.end?.offset;
    if (typeof start === 'number' && Number.isSafeInteger(start) && start >= 0 && start <= text.length) {
      offset = start;
      length = typeof end === 'number' && end >= start && end <= text.length ? end - start : 0;
    } else if (steps.length && parsed.root) {
      const { node, property } = nodeAtPath(parsed.root, steps);
      if (node) {
        offset = node.offset;
        length = node.length;
      } else if (property) {
        offset = property.keyOffset;
        length = property.keyLength;
      }
    }
    const { line, column } = positionAt(text, offset);
    const link = typeof f.learnMoreLink === 'string' && /^https:\/\/[^\s]+$/.test(f.learnMoreLink) ? f.learnMoreLink : undefined;
    out.push({
      findingType,
      issueCode: clean(f.issueCode, 'UNKNOWN').slice(0, 200),
      message: clean(f.findingDetails, 'The service gave no details.'),
      ...(link ? { learnMoreLink: link } : {}),
      ...(statementIndexOf(steps, value) !== undefined ? { statementIndex: statementIndexOf(steps, value) } : {}),
      where,
      offset,
      length,
      line,
      column,
    });
  }
  const rank = (t: ServiceFindingType): number => SERVICE_FINDING_TYPES.indexOf(t);
  return out.sort((a, b) => rank(a.findingType) - rank(b.findingType) || a.offset - b.offset);
}

/** "1 error, 2 security warnings" for a list of findings; '' for none. */
export function countFindings(findings: readonly ServiceFinding[]): string {
  const parts: string[] = [];
  for (const type of SERVICE_FINDING_TYPES) {
    const n = findings.filter((f) => f.findingType === type).length;
    if (n) parts.push(`${n} ${SERVICE_FINDING_LABELS[type].toLowerCase()}${n === 1 ? '' : 's'}`);
  }
  return parts.join(', ');
}
