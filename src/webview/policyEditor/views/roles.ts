// The three role lists of the form (key administrators, key users, other AWS accounts):
// one section drawn from a table that says what differs between them.
import {
  type PolicyFormView,
  type RoleList,
  addRoleMember,
  normalizeRolePrincipal,
  removeRoleMember,
  setAdminCanDelete,
} from '../../../core/policy/policyForm';
import { describeAwsPrincipal } from '../../../core/policy/principals';
import { h, icon } from '../dom';
import type { EditorContext } from '../editorContext';
import { memberLabel, removeButton } from './controls';

interface Member {
  readonly principal: string;
  /** Administrators only: may delete the key. */
  readonly canDelete?: boolean;
}

interface RoleSection {
  readonly title: string;
  readonly description: string;
  readonly empty: string;
  readonly addLabel: string;
  /** Administrators have a "May delete the key" box, per member and for the next one added. */
  readonly deleteOption: boolean;
  readonly members: (form: PolicyFormView) => readonly Member[];
  readonly label: (principal: string) => HTMLElement;
  readonly removeLabel: (principal: string) => string;
  readonly inputLabel: string;
  readonly placeholder: (accountId: string) => string;
}

const arnPlaceholder = (accountId: string): string => `arn:aws:iam::${accountId}:role/Name`;

export const ROLE_SECTIONS: Readonly<Record<RoleList, RoleSection>> = {
  admins: {
    title: 'Key administrators',
    description: 'Can manage the key — change its policy, enable or disable it, rotate and tag it — but not use it for cryptography.',
    empty: 'No key administrators.',
    addLabel: 'Add administrator',
    deleteOption: true,
    members: (form) => form.admins,
    label: memberLabel,
    removeLabel: (p) => `Remove administrator ${describeAwsPrincipal(p)}`,
    inputLabel: 'IAM user or role ARN to add as administrator',
    placeholder: arnPlaceholder,
  },
  users: {
    title: 'Key users',
    description: 'Can use the key for cryptography, and let AWS services use it on their behalf through grants.',
    empty: 'No key users.',
    addLabel: 'Add key user',
    deleteOption: false,
    members: (form) => form.users.map((principal) => ({ principal })),
    label: memberLabel,
    removeLabel: (p) => `Remove key user ${describeAwsPrincipal(p)}`,
    inputLabel: 'IAM user or role ARN to add as key user',
    placeholder: arnPlaceholder,
  },
  accounts: {
    title: 'Other AWS accounts',
    description: 'Their administrators can let users and roles in those accounts use this key (with an IAM policy there).',
    empty: 'No other accounts.',
    addLabel: 'Add account',
    deleteOption: false,
    members: (form) => form.accounts.map((principal) => ({ principal })),
    label: (p) => h('span', { class: 'member-label' }, h('code', { text: p })),
    removeLabel: (p) => `Remove account ${p}`,
    inputLabel: 'AWS account id to add',
    placeholder: () => '12-digit account id, e.g. 444455556666',
  },
};

function deleteBox(
  id: string,
  checked: boolean,
  disabled: boolean,
  label: string | undefined,
  onChange: (checked: boolean) => void,
): HTMLElement {
  return h(
    'label',
    { class: 'checkbox' },
    h('input', {
      id,
      attrs: { type: 'checkbox', checked, disabled, 'aria-label': label },
      on: { change: (e) => onChange((e.target as HTMLInputElement).checked) },
    }),
    h('span', { text: 'May delete the key' }),
  );
}

export function roleSection(ctx: EditorContext, list: RoleList, form: PolicyFormView, disabled: boolean): HTMLElement {
  const { state } = ctx;
  const spec = ROLE_SECTIONS[list];
  const inputId = `${list}-add-input`;
  const rows = spec.members(form).map((m, i) =>
    h(
      'li',
      { class: 'member' },
      spec.label(m.principal),
      spec.deleteOption
        ? deleteBox(
            `${list}-${i}-delete`,
            m.canDelete ?? false,
            disabled,
            `${describeAwsPrincipal(m.principal)} may delete the key`,
            (checked) => ctx.commit(setAdminCanDelete(state.value, m.principal, checked, ctx.formContext()), `${list}-${i}-delete`),
          )
        : null,
      removeButton(`${list}-${i}-remove`, spec.removeLabel(m.principal), disabled, () =>
        ctx.commit(removeRoleMember(state.value, list, m.principal, ctx.formContext()), inputId),
      ),
    ),
  );

  const add = (): void => {
    const input = document.getElementById(inputId) as HTMLInputElement | null;
    const typed = input?.value ?? '';
    const result = addRoleMember(state.value, list, typed, ctx.formContext(), { canDelete: state.newAdminCanDelete });
    if ('error' in result) {
      state.fieldErrors.set(inputId, result.error);
      state.drafts.set(inputId, typed);
      ctx.render(inputId);
      return;
    }
    state.fieldErrors.delete(inputId);
    state.drafts.delete(inputId);
    ctx.commit(result.value, inputId);
  };
  const error = state.fieldErrors.get(inputId);
  const input = h('input', {
    id: inputId,
    class: ['text', error && 'invalid'],
    attrs: {
      type: 'text',
      spellcheck: 'false',
      placeholder: spec.placeholder(state.key?.accountId ?? '111122223333'),
      value: state.drafts.get(inputId) ?? '',
      'aria-label': spec.inputLabel,
      'aria-invalid': error ? 'true' : undefined,
      'aria-describedby': error ? `${inputId}-error` : undefined,
    },
    on: {
      input: (e) => {
        const v = (e.target as HTMLInputElement).value;
        state.drafts.set(inputId, v);
        const problem = v.trim() ? normalizeRolePrincipal(list, v, ctx.formContext()) : undefined;
        const message = problem && 'error' in problem ? problem.error : undefined;
        const had = state.fieldErrors.get(inputId);
        if (message) state.fieldErrors.set(inputId, message);
        else state.fieldErrors.delete(inputId);
        if (had !== message) ctx.render();
      },
      keydown: (e) => {
        if ((e as KeyboardEvent).key === 'Enter') {
          e.preventDefault();
          add();
        }
      },
    },
  });
  return h(
    'section',
    { id: `section-${list}`, class: 'section', attrs: { 'aria-labelledby': `${list}-title` } },
    h('h2', { id: `${list}-title`, text: spec.title }),
    h('p', { class: 'description', text: spec.description }),
    rows.length ? h('ul', { class: 'members', attrs: { 'aria-label': spec.title } }, rows) : h('p', { class: 'empty', text: spec.empty }),
    disabled
      ? null
      : h(
          'div',
          { class: 'add-row' },
          input,
          spec.deleteOption
            ? deleteBox(`${list}-add-delete`, state.newAdminCanDelete, false, undefined, (checked) => (state.newAdminCanDelete = checked))
            : null,
          h(
            'button',
            { id: `${list}-add`, class: 'button secondary', attrs: { type: 'button' }, on: { click: add } },
            icon('add'),
            h('span', { text: spec.addLabel }),
          ),
        ),
    error ? h('p', { id: `${inputId}-error`, class: 'field-error', text: error, attrs: { role: 'alert' } }) : null,
  );
}
