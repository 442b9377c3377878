// The statement cards: every statement of the policy as form fields (Sid, Effect,
// principals, actions, resources, Condition), or as JSON when the form cannot show it.
import { nodeValue, parseJson } from '../../../core/policy/jsonDocument';
import {
  type PolicyFormView,
  type StatementView,
  addStatement,
  moveStatement,
  newStatement,
  removeStatement,
  replaceStatement,
} from '../../../core/policy/policyForm';
import type { FormPrincipal, StatementFields } from '../../../core/policy/statementFields';
import { h, icon } from '../dom';
import type { EditorContext } from '../editorContext';
import { currentFindings } from '../state';
import { addRowButton, field, findingItem, issueItem, pendingRow, removeButton, select } from './controls';
const ROLE_LABEL: Record<string, string> = {
  account: 'The account (IAM policies apply)',
  admins: 'Key administrators',
  'admins-delete': 'Key administrators (may delete)',
  users: 'Key users',
  grants: 'Key users: grants for AWS services',
};

export function statementsSection(ctx: EditorContext, form: PolicyFormView, disabled: boolean): HTMLElement {
  const count = form.statements.length;
  return h(
    'section',
    { id: 'section-statements', class: 'section', attrs: { 'aria-labelledby': 'statements-title' } },
    h('h2', { id: 'statements-title', text: `Statements (${count})` }),
    h('p', { class: 'description', text: 'Every statement of the policy, in order. A Deny overrides every Allow.' }),
    h(
      'ol',
      { class: 'cards' },
      form.statements.map((s) => h('li', {}, statementCard(ctx, s, count, disabled))),
    ),
    disabled
      ? null
      : h(
          'div',
          { class: 'add-row' },
          h(
            'button',
            {
              id: 'add-statement',
              class: 'button secondary',
              attrs: { type: 'button' },
              on: {
                click: () => {
                  const value = addStatement(ctx.state.value, newStatement(ctx.formContext()));
                  ctx.commit(value, `s${count}-sid`);
                },
              },
            },
            icon('add'),
            h('span', { text: 'Add statement' }),
          ),
        ),
  );
}

export function collapseKey(s: StatementView): string {
  return s.fields?.sid ? `sid:${s.fields.sid}` : `index:${s.index}`;
}

export function statementCard(ctx: EditorContext, s: StatementView, count: number, disabled: boolean): HTMLElement {
  const i = s.index;
  // The console's role statements start closed: the lists above edit them.
  const collapsed = (s.role !== undefined) !== ctx.state.ui.toggled.includes(collapseKey(s));
  const issues = ctx.state.validation.issues.filter((x) => x.statementIndex === i);
  const findings = currentFindings(ctx.state).filter((f) => f.statementIndex === i);
  const problemCount = issues.length + findings.length;
  const worst =
    issues.some((x) => x.severity === 'error') || findings.some((f) => f.findingType === 'ERROR')
      ? 'error'
      : issues.some((x) => x.severity === 'warning') ||
          findings.some((f) => f.findingType === 'SECURITY_WARNING' || f.findingType === 'WARNING')
        ? 'warning'
        : undefined;
  const name = `statement ${i + 1}${s.fields?.sid ? ` "${s.fields.sid}"` : ''}`;
  const toggle = (): void => {
    const key = collapseKey(s);
    ctx.state.ui.toggled = ctx.state.ui.toggled.includes(key)
      ? ctx.state.ui.toggled.filter((c) => c !== key)
      : [...ctx.state.ui.toggled, key];
    ctx.saveUi();
    ctx.render(`s${i}-toggle`);
  };
  const effect = s.fields?.effect;
  const head = h(
    'div',
    { class: 'card-head' },
    h(
      'button',
      {
        id: `s${i}-toggle`,
        class: 'card-toggle',
        attrs: {
          type: 'button',
          'aria-expanded': collapsed ? 'false' : 'true',
          'aria-controls': collapsed ? undefined : `s${i}-body`,
          'aria-label': `${collapsed ? 'Expand' : 'Collapse'} ${name}`,
        },
        on: { click: toggle },
      },
      icon(collapsed ? 'chevronRight' : 'chevronDown'),
      h('span', { class: 'card-number', text: `${i + 1}` }),
      h('span', { class: 'card-title', text: s.title }),
    ),
    h(
      'span',
      { class: 'badges' },
      effect
        ? h('span', { class: ['badge', effect === 'Allow' ? 'allow' : 'deny'], text: effect })
        : h('span', { class: 'badge json', text: 'JSON' }),
      s.role ? h('span', { class: 'badge role', text: ROLE_LABEL[s.role] }) : null,
      worst
        ? h(
            'span',
            { class: ['badge', worst], title: `${problemCount} problem${problemCount > 1 ? 's' : ''}` },
            icon(worst),
            ` ${problemCount}`,
          )
        : null,
    ),
    disabled
      ? null
      : h(
          'span',
          { class: 'card-actions' },
          h(
            'button',
            {
              id: `s${i}-up`,
              class: 'icon-button',
              title: 'Move up',
              attrs: { type: 'button', disabled: i === 0, 'aria-label': `Move ${name} up` },
              on: { click: () => ctx.commit(moveStatement(ctx.state.value, i, i - 1), i - 1 === 0 ? `s${i - 1}-down` : `s${i - 1}-up`) },
            },
            icon('up'),
          ),
          h(
            'button',
            {
              id: `s${i}-down`,
              class: 'icon-button',
              title: 'Move down',
              attrs: { type: 'button', disabled: i === count - 1, 'aria-label': `Move ${name} down` },
              on: {
                click: () => ctx.commit(moveStatement(ctx.state.value, i, i + 1), i + 1 === count - 1 ? `s${i + 1}-up` : `s${i + 1}-down`),
              },
            },
            icon('down'),
          ),
          h(
            'button',
            {
              id: `s${i}-remove`,
              class: 'icon-button',
              title: 'Remove statement',
              attrs: { type: 'button', 'aria-label': `Remove ${name}` },
              on: {
                click: () =>
                  ctx.commit(removeStatement(ctx.state.value, i), count > 1 ? `s${Math.min(i, count - 2)}-toggle` : 'add-statement'),
              },
            },
            icon('trash'),
          ),
        ),
  );
  const body = collapsed
    ? null
    : h(
        'div',
        { id: `s${i}-body`, class: 'card-body' },
        problemCount
          ? h(
              'ul',
              { class: 'issues compact' },
              issues.map((x) => issueItem(ctx, x)),
              findings.map((f) => findingItem(ctx, f)),
            )
          : null,
        s.fields ? statementFields(ctx, s, s.fields, disabled) : rawStatement(ctx, s, disabled),
      );
  return h('article', { id: `s${i}`, class: ['card', worst && `has-${worst}`], attrs: { 'aria-label': name } }, head, body);
}

export function statementFields(ctx: EditorContext, s: StatementView, f: StatementFields, disabled: boolean): HTMLElement {
  const i = s.index;
  const sid = h('input', {
    id: `s${i}-sid`,
    class: 'text',
    attrs: { type: 'text', value: f.sid, placeholder: 'Optional statement id', spellcheck: 'false', disabled },
    on: { change: (e) => ctx.editStatement(s, { sid: (e.target as HTMLInputElement).value.trim() }, `s${i}-sid`) },
  });
  const effect = select(`s${i}-effect`, ['Allow', 'Deny'], f.effect, disabled, 'Effect', (v) =>
    ctx.editStatement(s, { effect: v as 'Allow' | 'Deny' }, `s${i}-effect`),
  );
  return h(
    'div',
    { class: 'fields' },
    field('Sid', `s${i}-sid`, sid),
    field('Effect', `s${i}-effect`, effect),
    principalsField(ctx, s, f, disabled),
    listField(ctx, s, f, 'actions', disabled),
    listField(ctx, s, f, 'resources', disabled),
    conditionField(ctx, s, f, disabled),
  );
}

const PRINCIPAL_TYPE_LABELS: Record<string, string> = {
  AWS: 'AWS',
  Service: 'Service',
  Federated: 'Federated',
  CanonicalUser: 'Canonical user',
  '*': 'Everyone (*)',
};

export function principalsField(ctx: EditorContext, s: StatementView, f: StatementFields, disabled: boolean): HTMLElement {
  const i = s.index;
  const listId = `s${i}-principals`;
  const pendingCount = ctx.state.pendingRows.get(listId) ?? 0;
  const setPrincipals = (principals: FormPrincipal[], focusId?: string): void => ctx.editStatement(s, { principals }, focusId);
  const rows = f.principals.map((p, j) => {
    const typeSelect = select(
      `s${i}-p${j}-type`,
      ['AWS', 'Service', 'Federated', 'CanonicalUser', '*'],
      p.type,
      disabled,
      `Principal ${j + 1} type`,
      (type) => {
        const next = [...f.principals];
        next[j] = type === '*' ? { type: '*', value: '*' } : { type, value: p.type === '*' ? '' : p.value };
        setPrincipals(next, `s${i}-p${j}-type`);
      },
      PRINCIPAL_TYPE_LABELS,
    );
    const input = h('input', {
      id: `s${i}-p${j}-value`,
      class: 'text mono',
      attrs: {
        type: 'text',
        value: p.value,
        spellcheck: 'false',
        disabled: disabled || p.type === '*',
        'aria-label': `Principal ${j + 1}`,
      },
      on: {
        change: (e) => {
          const next = [...f.principals];
          next[j] = { type: p.type, value: (e.target as HTMLInputElement).value.trim() };
          setPrincipals(next, `s${i}-p${j}-value`);
        },
      },
    });
    return h(
      'div',
      { class: 'row' },
      typeSelect,
      input,
      removeButton(`s${i}-p${j}-remove`, `Remove principal ${p.value}`, disabled, () =>
        setPrincipals(
          f.principals.filter((_, n) => n !== j),
          f.principals.length > 1 ? `s${i}-p${Math.max(0, j - 1)}-value` : `s${i}-principals-add`,
        ),
      ),
    );
  });
  for (let n = 0; n < pendingCount; n++)
    rows.push(
      pendingRow(ctx, listId, n, 'arn:aws:iam::111122223333:role/Name', 'New principal (AWS)', (value) =>
        setPrincipals([...f.principals, { type: 'AWS', value }]),
      ),
    );
  const keySelect = select(
    `s${i}-principal-key`,
    ['Principal', 'NotPrincipal'],
    f.principalKey,
    disabled,
    'Principal or NotPrincipal',
    (v) => ctx.editStatement(s, { principalKey: v as 'Principal' | 'NotPrincipal' }, `s${i}-principal-key`),
  );
  return h(
    'div',
    { class: 'field' },
    h('div', { class: 'field-label' }, keySelect),
    h(
      'div',
      { class: 'field-control' },
      h('div', { class: 'rows', attrs: { role: 'group', 'aria-label': f.principalKey } }, rows),
      disabled ? null : addRowButton(ctx, listId, 'Add principal'),
    ),
  );
}

export function listField(
  ctx: EditorContext,
  s: StatementView,
  f: StatementFields,
  which: 'actions' | 'resources',
  disabled: boolean,
): HTMLElement {
  const i = s.index;
  const listId = `s${i}-${which}`;
  const items = which === 'actions' ? f.actions : f.resources;
  const key = which === 'actions' ? f.actionKey : f.resourceKey;
  const set = (list: string[], focusId?: string): void =>
    ctx.editStatement(s, which === 'actions' ? { actions: list } : { resources: list }, focusId);
  const rows = items.map((value, j) =>
    h(
      'div',
      { class: 'row' },
      h('input', {
        id: `${listId}-${j}`,
        class: 'text mono',
        attrs: {
          type: 'text',
          value,
          spellcheck: 'false',
          list: which === 'actions' ? 'kms-actions' : undefined,
          disabled,
          'aria-label': `${key} ${j + 1}`,
        },
        on: {
          change: (e) => {
            const next = [...items];
            const v = (e.target as HTMLInputElement).value.trim();
            if (v) next[j] = v;
            else next.splice(j, 1);
            set(next, `${listId}-${Math.min(j, next.length - 1)}`);
          },
        },
      }),
      removeButton(`${listId}-${j}-remove`, `Remove ${value}`, disabled, () =>
        set(
          items.filter((_, n) => n !== j),
          items.length > 1 ? `${listId}-${Math.max(0, j - 1)}` : `${listId}-add`,
        ),
      ),
    ),
  );
  const pendingCount = ctx.state.pendingRows.get(listId) ?? 0;
  for (let n = 0; n < pendingCount; n++)
    rows.push(
      pendingRow(ctx, listId, n, which === 'actions' ? 'kms:Decrypt' : '*', which === 'actions' ? 'New action' : 'New resource', (v) =>
        set([...items, v]),
      ),
    );
  const keySelect =
    which === 'actions'
      ? select(`s${i}-action-key`, ['Action', 'NotAction'], f.actionKey, disabled, 'Action or NotAction', (v) =>
          ctx.editStatement(s, { actionKey: v as 'Action' | 'NotAction' }, `s${i}-action-key`),
        )
      : select(`s${i}-resource-key`, ['Resource', 'NotResource'], f.resourceKey, disabled, 'Resource or NotResource', (v) =>
          ctx.editStatement(s, { resourceKey: v as 'Resource' | 'NotResource' }, `s${i}-resource-key`),
        );
  return h(
    'div',
    { class: 'field' },
    h('div', { class: 'field-label' }, keySelect),
    h(
      'div',
      { class: 'field-control' },
      h('div', { class: 'rows', attrs: { role: 'group', 'aria-label': key } }, rows),
      disabled ? null : addRowButton(ctx, listId, which === 'actions' ? 'Add action' : 'Add resource'),
    ),
  );
}

export function conditionField(ctx: EditorContext, s: StatementView, f: StatementFields, disabled: boolean): HTMLElement {
  const i = s.index;
  const id = `s${i}-condition`;
  const error = ctx.state.fieldErrors.get(id);
  const draft = ctx.state.drafts.get(id);
  const value = draft ?? f.condition;
  const area = h('textarea', {
    id,
    class: ['text', 'mono', error && 'invalid'],
    attrs: {
      rows: Math.min(12, Math.max(2, value.split('\n').length)),
      spellcheck: 'false',
      placeholder: 'None. E.g. {"StringEquals": {"kms:CallerAccount": "111122223333"}}',
      disabled,
      'aria-label': 'Condition (JSON)',
      'aria-invalid': error ? 'true' : undefined,
      'aria-describedby': error ? `${id}-error` : undefined,
    },
    on: {
      input: (e) => {
        const v = (e.target as HTMLTextAreaElement).value;
        ctx.state.drafts.set(id, v);
        const problem = conditionProblem(v);
        const had = ctx.state.fieldErrors.get(id);
        if (problem) ctx.state.fieldErrors.set(id, problem);
        else ctx.state.fieldErrors.delete(id);
        if (had !== problem) ctx.render();
      },
      change: (e) => {
        const v = (e.target as HTMLTextAreaElement).value;
        if (conditionProblem(v)) return;
        ctx.state.drafts.delete(id);
        ctx.state.fieldErrors.delete(id);
        ctx.editStatement(s, { condition: v }, id);
      },
    },
  });
  area.value = value;
  return field('Condition', id, area, error ? h('p', { id: `${id}-error`, class: 'field-error', text: error }) : null);
}

export function conditionProblem(text: string): string | undefined {
  if (!text.trim()) return undefined;
  const parsed = parseJson(text);
  if (parsed.errors.length) {
    const e = parsed.errors[0];
    const line = text.slice(0, e.offset).split('\n').length;
    return `Not valid JSON (line ${line}): ${e.message}`;
  }
  if (parsed.root?.type !== 'object')
    return 'The Condition must be a JSON object such as {"StringEquals": {"kms:CallerAccount": "111122223333"}}.';
  return undefined;
}

export function rawStatement(ctx: EditorContext, s: StatementView, disabled: boolean): HTMLElement {
  const i = s.index;
  const id = `s${i}-json`;
  const error = ctx.state.fieldErrors.get(id);
  const value = ctx.state.drafts.get(id) ?? JSON.stringify(s.value, null, 2);
  const area = h('textarea', {
    id,
    class: ['text', 'mono', error && 'invalid'],
    attrs: {
      rows: Math.min(16, value.split('\n').length + 1),
      spellcheck: 'false',
      disabled,
      'aria-label': `Statement ${i + 1} as JSON`,
      'aria-describedby': `${id}-reason`,
    },
    on: {
      input: (e) => ctx.state.drafts.set(id, (e.target as HTMLTextAreaElement).value),
      change: (e) => {
        const text = (e.target as HTMLTextAreaElement).value;
        const parsed = parseJson(text);
        if (!parsed.root) {
          ctx.state.fieldErrors.set(
            id,
            `Not valid JSON: ${parsed.errors[0]?.message ?? ''} The statement is unchanged until this is fixed.`,
          );
          ctx.render(id);
          return;
        }
        ctx.state.drafts.delete(id);
        ctx.state.fieldErrors.delete(id);
        ctx.commit(replaceStatement(ctx.state.value, i, nodeValue(parsed.root)), id);
      },
    },
  });
  area.value = value;
  return h(
    'div',
    { class: 'raw' },
    h(
      'p',
      { id: `${id}-reason`, class: 'banner info' },
      icon('info'),
      h('span', { text: `The form cannot show this statement: ${s.reason ?? ''} It is kept exactly as it is; edit it as JSON here.` }),
    ),
    area,
    error ? h('p', { class: 'field-error', text: error, attrs: { role: 'alert' } }) : null,
  );
}
