// Small controls the sections share: labelled fields, selects, remove buttons, member
// labels, problems, and the empty rows that "Add principal/action/resource" open.
import { describeAwsPrincipal } from '../../../core/policy/principals';
import { SERVICE_FINDING_LABELS } from '../../../core/policy/serviceFindings';
import type { PolicyIssue } from '../../../core/policy/validatePolicy';
import type { ServiceFinding } from '../../../shared/policyProtocol';
import { type Child, h, icon } from '../dom';
import type { EditorContext } from '../editorContext';
export function memberLabel(principal: string): HTMLElement {
  const described = describeAwsPrincipal(principal);
  return h(
    'span',
    { class: 'member-label' },
    h('span', { class: 'member-name', text: described }),
    described !== principal ? h('code', { class: 'member-arn', text: principal }) : null,
  );
}

export function removeButton(id: string, label: string, disabled: boolean, onClick: () => void): HTMLButtonElement | null {
  if (disabled) return null;
  return h(
    'button',
    { id, class: 'icon-button', title: label, attrs: { type: 'button', 'aria-label': label }, on: { click: onClick } },
    icon('trash'),
  );
}

export function field(label: string, forId: string, control: Child, extra?: Child): HTMLElement {
  return h(
    'div',
    { class: 'field' },
    h('label', { class: 'field-label', text: label, attrs: { for: forId } }),
    h('div', { class: 'field-control' }, control, extra),
  );
}

export function select(
  id: string,
  options: readonly string[],
  value: string,
  disabled: boolean,
  label: string,
  onChange: (v: string) => void,
  optionLabels: Record<string, string> = {},
): HTMLSelectElement {
  const el = h(
    'select',
    {
      id,
      class: 'select',
      attrs: { disabled, 'aria-label': label },
      on: { change: (e) => onChange((e.target as HTMLSelectElement).value) },
    },
    options.map((o) => h('option', { text: optionLabels[o] ?? o, attrs: { value: o, selected: o === value } })),
  );
  el.value = value;
  return el;
}

export function pendingRow(
  ctx: EditorContext,
  listId: string,
  n: number,
  placeholder: string,
  label: string,
  onValue: (v: string) => void,
): HTMLDivElement {
  const id = `${listId}-new${n}`;
  const datalist = listId.endsWith('actions') ? 'kms-actions' : undefined;
  return h(
    'div',
    { class: 'row pending' },
    h('input', {
      id,
      class: 'text mono',
      attrs: { type: 'text', placeholder, spellcheck: 'false', list: datalist, value: ctx.state.drafts.get(id) ?? '', 'aria-label': label },
      on: {
        input: (e) => ctx.state.drafts.set(id, (e.target as HTMLInputElement).value),
        change: (e) => {
          const v = (e.target as HTMLInputElement).value.trim();
          if (!v) return;
          ctx.state.drafts.delete(id);
          ctx.state.pendingRows.set(listId, Math.max(0, (ctx.state.pendingRows.get(listId) ?? 1) - 1));
          onValue(v);
        },
      },
    }),
    removeButton(`${id}-remove`, `Remove the new row`, false, () => {
      ctx.state.drafts.delete(id);
      ctx.state.pendingRows.set(listId, Math.max(0, (ctx.state.pendingRows.get(listId) ?? 1) - 1));
      ctx.render(`${listId}-add`);
    }),
  );
}

export function addRowButton(ctx: EditorContext, listId: string, label: string): HTMLElement {
  return h(
    'button',
    {
      id: `${listId}-add`,
      class: 'button secondary small',
      attrs: { type: 'button' },
      on: {
        click: () => {
          const n = ctx.state.pendingRows.get(listId) ?? 0;
          ctx.state.pendingRows.set(listId, n + 1);
          ctx.render(`${listId}-new${n}`);
        },
      },
    },
    icon('add'),
    h('span', { text: label }),
  );
}

export function issueItem(ctx: EditorContext, issue: PolicyIssue, withPosition = true): HTMLElement {
  const kind = issue.severity;
  return h(
    'li',
    { class: ['issue', kind] },
    icon(kind === 'error' ? 'error' : kind === 'warning' ? 'warning' : 'info'),
    h('span', { class: 'sr-only', text: `${kind}: ` }),
    h('span', { class: 'issue-message', text: issue.message }),
    withPosition
      ? h('button', {
          class: 'link',
          text: `Ln ${issue.line}, Col ${issue.column}`,
          title: 'Show in the JSON editor',
          attrs: { type: 'button', 'aria-label': `Show line ${issue.line}, column ${issue.column} in the JSON editor` },
          on: { click: () => void ctx.run('Opening the JSON editor', { kind: 'reveal', offset: issue.offset, length: issue.length }) },
        })
      : null,
  );
}

/** One IAM Access Analyzer finding: its kind, the service's words (as text), where, and its documentation. */
export function findingItem(ctx: EditorContext, finding: ServiceFinding, withPosition = true): HTMLElement {
  const kind = finding.findingType === 'ERROR' ? 'error' : finding.findingType === 'SUGGESTION' ? 'info' : 'warning';
  const label = SERVICE_FINDING_LABELS[finding.findingType];
  return h(
    'li',
    {
      class: ['issue', kind, 'service', finding.findingType === 'SECURITY_WARNING' && 'security'],
      attrs: { 'data-finding': finding.issueCode, 'data-statement': finding.statementIndex },
    },
    icon(kind === 'error' ? 'error' : kind === 'warning' ? 'warning' : 'info'),
    h('span', {
      class: 'issue-source',
      text: `Access Analyzer · ${label}`,
      title: `IAM Access Analyzer ${finding.issueCode} at ${finding.where}`,
    }),
    h('span', { class: 'issue-message', text: finding.message }),
    finding.learnMoreLink
      ? h('a', { class: 'link', text: 'Learn more', attrs: { href: finding.learnMoreLink, title: finding.learnMoreLink } })
      : null,
    withPosition
      ? h('button', {
          class: 'link',
          text: `Ln ${finding.line}, Col ${finding.column}`,
          title: 'Show in the JSON editor',
          attrs: { type: 'button', 'aria-label': `Show line ${finding.line}, column ${finding.column} in the JSON editor` },
          on: { click: () => void ctx.run('Opening the JSON editor', { kind: 'reveal', offset: finding.offset, length: finding.length }) },
        })
      : null,
  );
}
