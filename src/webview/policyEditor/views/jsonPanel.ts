// The JSON tab: the policy as it will be saved, with problems marked by line; and the
// list of known actions the action inputs suggest.
import { KMS_ACTION_NAMES } from '../../../core/policy/kmsActions';
import type { PolicyIssue } from '../../../core/policy/validatePolicy';
import { h } from '../dom';
import type { EditorContext } from '../editorContext';
export function jsonPanel(ctx: EditorContext): HTMLElement {
  const lines = ctx.state.text.split('\n');
  const byLine = new Map<number, PolicyIssue[]>();
  for (const issue of ctx.state.validation.issues) byLine.set(issue.line, [...(byLine.get(issue.line) ?? []), issue]);
  const gutterWidth = String(lines.length).length;
  const code = h(
    'pre',
    {
      id: 'json-text',
      class: 'json-view',
      attrs: { tabindex: 0, 'aria-label': 'The policy as JSON (read-only here; use Edit as JSON to change it)' },
    },
    lines.map((line, n) => {
      const issues = byLine.get(n + 1);
      const worst = issues?.some((x) => x.severity === 'error') ? 'error' : issues?.length ? 'warning' : undefined;
      return h(
        'div',
        { class: ['line', worst && `line-${worst}`], title: issues?.map((x) => x.message).join('\n') },
        h('span', { class: 'gutter', text: String(n + 1).padStart(gutterWidth, ' ') }),
        h('span', { class: 'code', text: line || ' ' }),
      );
    }),
  );
  return h(
    'div',
    { id: 'panel-json', class: 'panel', attrs: { role: 'tabpanel', 'aria-labelledby': 'tab-json' } },
    h('p', {
      class: 'description',
      text: ctx.state.readOnly
        ? 'The policy as KMS holds it (read-only).'
        : 'What will be saved. Use “Edit as JSON” to change it in an editor tab; the form follows as you type.',
    }),
    code,
  );
}

/** Suggestions for action inputs. */
export function actionList(): HTMLElement {
  const wildcards = [
    'kms:*',
    'kms:Describe*',
    'kms:Get*',
    'kms:List*',
    'kms:GenerateDataKey*',
    'kms:ReEncrypt*',
    'kms:Create*',
    'kms:Enable*',
    'kms:Disable*',
    'kms:Put*',
    'kms:Update*',
    'kms:Revoke*',
    'kms:Delete*',
  ];
  return h(
    'datalist',
    { id: 'kms-actions' },
    [...wildcards, ...KMS_ACTION_NAMES].map((a) => h('option', { attrs: { value: a } })),
  );
}
