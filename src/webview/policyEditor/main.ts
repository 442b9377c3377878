// The key-policy editor's browser code (dist/webview/policyEditor.js). It talks to the
// host only through ../../shared/policyProtocol and validates with the same core code as
// the host. The policy text is the single source of truth: the form is drawn from it and
// every form edit produces a new text, sent to the host, which keeps the JSON tab in sync.
import { formatPolicy } from '../../core/policy/formatPolicy';
import { KMS_ACTION_NAMES } from '../../core/policy/kmsActions';
import { samePolicyText } from '../../core/policy/policyDiff';
import {
  type FormContext,
  type FormPrincipal,
  type PolicyFormView,
  type RoleList,
  type StatementFields,
  type StatementView,
  addRoleMember,
  addStatement,
  moveStatement,
  newStatement,
  normalizeRolePrincipal,
  readPolicyForm,
  removeRoleMember,
  removeStatement,
  replaceStatement,
  setAdminCanDelete,
  updateStatement,
} from '../../core/policy/policyForm';
import { type PolicyIssue, type PolicyValidation, validatePolicy } from '../../core/policy/validatePolicy';
import { parseJson, nodeValue } from '../../core/policy/jsonDocument';
import { describeAwsPrincipal } from '../../core/policy/principals';
import { type HostMessage, type PolicyKeyInfo, type PolicyRequest, type RequestResult, type SaveStatus, type WebviewMessage, parseHostMessage } from '../../shared/policyProtocol';
import { type Child, h, icon } from './dom';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();

// ---- state -----------------------------------------------------------------------------

interface PersistedUi {
  tab: 'form' | 'json';
  /** Statements whose open/closed state differs from the default (role statements start closed). */
  toggled: string[];
}

interface State {
  key?: PolicyKeyInfo;
  text: string;
  serverText: string;
  readOnly?: string;
  status: SaveStatus;
  statusMessage?: string;
  validation: PolicyValidation;
  value?: unknown;
  form?: PolicyFormView;
  ui: PersistedUi;
  /** Values typed but not committed yet (add boxes, half-typed conditions), by element id. */
  drafts: Map<string, string>;
  /** Messages under inputs, by element id. */
  fieldErrors: Map<string, string>;
  /** Empty rows added with "Add principal/action/resource", by list id. */
  pendingRows: Map<string, number>;
  /** "May delete the key" for the next administrator added. */
  newAdminCanDelete: boolean;
  busy?: string;
  notice?: { kind: 'error' | 'info'; text: string };
}

const persisted = vscode.getState() as Partial<PersistedUi> | undefined;
const state: State = {
  text: '',
  serverText: '',
  status: 'idle',
  validation: validatePolicy(''),
  ui: { tab: persisted?.tab === 'json' ? 'json' : 'form', toggled: Array.isArray(persisted?.toggled) ? persisted.toggled.filter((c) => typeof c === 'string') : [] },
  drafts: new Map(),
  fieldErrors: new Map(),
  pendingRows: new Map(),
  newAdminCanDelete: false,
};

function formContext(): FormContext {
  return { accountId: state.key?.accountId, partition: state.key?.partition, keyKind: { keyUsage: state.key?.keyUsage, keySpec: state.key?.keySpec, multiRegion: state.key?.multiRegion } };
}

function setText(text: string): void {
  state.text = text;
  state.validation = validatePolicy(text, { accountId: state.key?.accountId, keyArn: state.key?.keyArn });
  state.value = state.validation.syntaxOk ? state.validation.value : undefined;
  state.form = state.value !== undefined ? readPolicyForm(state.value, formContext()) : undefined;
}

function saveUi(): void {
  vscode.setState(state.ui);
}

// ---- messaging ---------------------------------------------------------------------------

let nextRequestId = 1;
const pending = new Map<number, { resolve: (r: RequestResult) => void; reject: (e: Error) => void }>();

function post(message: WebviewMessage): void {
  vscode.postMessage(message);
}

function request(req: PolicyRequest): Promise<RequestResult> {
  const requestId = nextRequestId++;
  return new Promise((resolve, reject) => {
    pending.set(requestId, { resolve, reject });
    post({ type: 'request', requestId, request: req });
  });
}

window.addEventListener('message', (event: MessageEvent) => {
  const parsed = parseHostMessage(event.data);
  if (!parsed.ok) {
    console.warn(`policy editor: ignored a message from the host: ${parsed.error}`);
    return;
  }
  onHostMessage(parsed.message);
});

function onHostMessage(message: HostMessage): void {
  switch (message.type) {
    case 'init':
      state.key = message.key;
      state.serverText = message.serverText;
      state.readOnly = message.readOnly;
      state.status = message.status;
      state.statusMessage = message.statusMessage;
      setText(message.text);
      render();
      return;
    case 'text':
      if (message.serverText !== undefined) state.serverText = message.serverText;
      if (message.text !== state.text || message.serverText !== undefined) {
        if (message.source !== 'jsonEditor') {
          state.drafts.clear();
          state.pendingRows.clear();
          state.fieldErrors.clear();
        }
        setText(message.text);
        render();
      }
      return;
    case 'status':
      state.status = message.status;
      state.statusMessage = message.message;
      render();
      return;
    case 'reply': {
      const waiting = pending.get(message.requestId);
      if (!waiting) return;
      pending.delete(message.requestId);
      if (message.ok) waiting.resolve(message.result);
      else waiting.reject(new Error(message.error));
      return;
    }
  }
}

// ---- edits -------------------------------------------------------------------------------

/** Applies a new policy value: new text (reusing unchanged text), validation, the host told. */
function commit(value: unknown, focusId?: string): void {
  const text = formatPolicy(value, state.text);
  if (text === state.text) return;
  setText(text);
  post({ type: 'edit', text });
  state.notice = undefined;
  render(focusId);
}

function editStatement(view: StatementView, change: Partial<StatementFields>, focusId?: string): void {
  if (!view.fields || state.value === undefined) return;
  const result = updateStatement(state.value, view.index, { ...view.fields, ...change });
  if ('error' in result) {
    showNotice('error', result.error);
    return;
  }
  commit(result.value, focusId);
}

async function run(label: string, req: PolicyRequest): Promise<void> {
  state.busy = label;
  render();
  try {
    const result = await request(req);
    // A successful save speaks through the status line; anything else gets a notice.
    if ('message' in result && !result.saved) showNotice('info', result.message, false);
  } catch (e) {
    showNotice('error', e instanceof Error ? e.message : String(e), false);
  } finally {
    state.busy = undefined;
    render();
  }
}

function showNotice(kind: 'error' | 'info', text: string, redraw = true): void {
  state.notice = { kind, text };
  if (redraw) render();
}

// ---- rendering ---------------------------------------------------------------------------

const app = document.getElementById('app') ?? document.body;

/** Redraws everything, keeping the focused element (by id) and its selection. */
function render(focusId?: string): void {
  const active = document.activeElement;
  const keepId = focusId ?? (active instanceof HTMLElement && active !== document.body ? active.id : '');
  const textInput = (el: Element | null): el is HTMLInputElement | HTMLTextAreaElement => (el instanceof HTMLInputElement && el.type === 'text') || el instanceof HTMLTextAreaElement;
  const selection = textInput(active) && active.selectionStart !== null ? [active.selectionStart, active.selectionEnd ?? active.selectionStart] : undefined;
  const scroll = window.scrollY;

  app.replaceChildren(view());

  window.scrollTo(0, scroll);
  if (!keepId) return;
  const el = document.getElementById(keepId);
  if (!el) return;
  el.focus({ preventScroll: true });
  if (selection && !focusId && textInput(el)) el.setSelectionRange(selection[0], selection[1]);
}

function view(): HTMLElement {
  if (!state.key) {
    return h('main', { class: 'loading', attrs: { 'aria-busy': 'true' } }, h('p', { text: 'Loading the key policy…' }));
  }
  return h('main', { class: 'editor' }, header(), banners(), statusBar(), problems(), tabs(), state.ui.tab === 'form' ? formPanel() : jsonPanel(), actionList());
}

function header(): HTMLElement {
  const key = state.key as PolicyKeyInfo;
  const name = key.aliases[0] ?? key.keyId;
  const changed = !samePolicyText(state.text, state.serverText);
  const errors = state.validation.errorCount;
  const saveBlocked = state.readOnly ? state.readOnly : errors ? `Fix ${errors} error${errors > 1 ? 's' : ''} to save.` : !changed ? 'No changes to save.' : undefined;
  const busy = Boolean(state.busy) || state.status === 'saving';
  const button = (id: string, label: string, iconName: Parameters<typeof icon>[0], onClick: () => void, options: { primary?: boolean; disabled?: boolean; title?: string } = {}): HTMLButtonElement =>
    h(
      'button',
      {
        id,
        class: ['button', options.primary ? 'primary' : 'secondary'],
        title: options.title,
        attrs: { type: 'button', disabled: options.disabled },
        on: { click: onClick },
      },
      icon(iconName),
      h('span', { text: label }),
    );
  return h(
    'header',
    { class: 'header' },
    h(
      'div',
      { class: 'title' },
      h('h1', {}, icon('shield'), h('span', { text: `Key policy — ${name}` })),
      h('p', { class: 'subtitle' }, [name !== key.keyId ? `${key.keyId} · ` : '', `${key.region} · ${key.connectionLabel}`, key.keyState && key.keyState !== 'Enabled' ? ` · ${key.keyState}` : '']),
    ),
    h(
      'div',
      { class: 'toolbar', attrs: { role: 'toolbar', 'aria-label': 'Policy actions' } },
      button('save', state.status === 'saving' ? 'Saving…' : 'Save', 'save', () => void run('Saving', { kind: 'save', text: state.text }), {
        primary: true,
        disabled: Boolean(saveBlocked) || busy,
        title: saveBlocked ?? 'Review the changes and save the policy to KMS',
      }),
      button('review', 'Review changes', 'diff', () => void run('Opening the diff', { kind: 'showDiff', text: state.text }), { disabled: busy, title: 'Compare the policy on the server with this one' }),
      button('openJson', 'Edit as JSON', 'json', () => void run('Opening the JSON editor', { kind: 'openJson' }), { disabled: busy, title: 'Open the policy in a JSON editor tab, kept in sync with this form' }),
      button('reload', 'Reload', 'refresh', () => void run('Reloading', { kind: 'reload' }), { disabled: busy, title: 'Read the policy from KMS again' }),
    ),
    h('p', { id: 'save-state', class: ['save-state', changed && 'changed'], attrs: { role: 'status', 'aria-live': 'polite' } }, saveStateText(changed, saveBlocked)),
  );
}

/** Banners below the (sticky) header: read-only, and the outcome of the last request. */
function banners(): Child[] {
  return [
    state.readOnly ? h('p', { class: 'banner info' }, icon('info'), h('span', { text: state.readOnly })) : null,
    state.notice ? h('p', { id: 'notice', class: ['banner', state.notice.kind], attrs: { role: state.notice.kind === 'error' ? 'alert' : 'status' } }, icon(state.notice.kind === 'error' ? 'error' : 'info'), h('span', { text: state.notice.text })) : null,
  ];
}

function saveStateText(changed: boolean, saveBlocked: string | undefined): string {
  if (state.busy) return `${state.busy}…`;
  if (state.status === 'conflict' || state.status === 'failed') return state.statusMessage ?? '';
  if (state.status === 'saved' && !changed) return state.statusMessage ?? 'Saved.';
  if (!changed) return 'No unsaved changes.';
  return saveBlocked && saveBlocked !== 'No changes to save.' ? `Unsaved changes. ${saveBlocked}` : 'Unsaved changes.';
}

function statusBar(): HTMLElement {
  const { byteLength, byteLimit, errorCount, warningCount } = state.validation;
  const ratio = byteLength / byteLimit;
  const level = ratio > 1 ? 'over' : ratio >= 0.9 ? 'near' : 'ok';
  const fill = h('div', { class: ['meter-fill', level] });
  fill.style.width = `${Math.min(100, Math.max(ratio * 100, byteLength > 0 ? 1 : 0)).toFixed(1)}%`;
  const pct = Math.round(ratio * 100);
  return h(
    'div',
    { class: 'status-bar' },
    h(
      'div',
      { class: 'size' },
      h('span', { id: 'size-label', class: 'size-label', text: `${byteLength.toLocaleString('en-US')} of ${byteLimit.toLocaleString('en-US')} bytes (${pct}%)` }),
      h(
        'div',
        {
          id: 'size-meter',
          class: 'meter',
          attrs: { role: 'meter', 'aria-label': 'Policy size', 'aria-valuemin': 0, 'aria-valuemax': byteLimit, 'aria-valuenow': byteLength, 'aria-valuetext': `${byteLength} of ${byteLimit} bytes` },
        },
        fill,
      ),
    ),
    h(
      'div',
      { class: 'counts', attrs: { 'aria-live': 'polite' } },
      h('span', { id: 'error-count', class: ['count', errorCount ? 'has-errors' : ''] }, icon('error'), ` ${errorCount} error${errorCount === 1 ? '' : 's'}`),
      h('span', { id: 'warning-count', class: ['count', warningCount ? 'has-warnings' : ''] }, icon('warning'), ` ${warningCount} warning${warningCount === 1 ? '' : 's'}`),
    ),
  );
}

function issueItem(issue: PolicyIssue, withPosition = true): HTMLElement {
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
          on: { click: () => void run('Opening the JSON editor', { kind: 'reveal', offset: issue.offset, length: issue.length }) },
        })
      : null,
  );
}

function problems(): HTMLElement | null {
  const issues = state.validation.issues;
  if (!issues.length) return null;
  return h('section', { id: 'problems', class: 'problems', attrs: { 'aria-label': 'Problems' } }, h('ul', { class: 'issues' }, issues.map((i) => issueItem(i))));
}

function tabs(): HTMLElement {
  const tab = (id: 'form' | 'json', label: string): HTMLButtonElement =>
    h('button', {
      id: `tab-${id}`,
      class: ['tab', state.ui.tab === id && 'active'],
      text: label,
      attrs: { type: 'button', role: 'tab', 'aria-selected': state.ui.tab === id ? 'true' : 'false', 'aria-controls': `panel-${id}`, tabindex: state.ui.tab === id ? 0 : -1 },
      on: {
        click: () => selectTab(id),
        keydown: (e) => {
          const k = (e as KeyboardEvent).key;
          if (k === 'ArrowRight' || k === 'ArrowLeft' || k === 'Home' || k === 'End') {
            e.preventDefault();
            selectTab(id === 'form' ? 'json' : 'form');
          }
        },
      },
    });
  return h('div', { class: 'tabs', attrs: { role: 'tablist', 'aria-label': 'Views' } }, tab('form', 'Form'), tab('json', 'JSON'));
}

function selectTab(tab: 'form' | 'json'): void {
  state.ui.tab = tab;
  saveUi();
  render(`tab-${tab}`);
}

// ---- the form ------------------------------------------------------------------------------

function formPanel(): HTMLElement {
  const panel = h('div', { id: 'panel-form', class: 'panel', attrs: { role: 'tabpanel', 'aria-labelledby': 'tab-form' } });
  const form = state.form;
  if (!form || !form.ok) {
    const first = state.validation.issues.find((i) => i.code === 'json-syntax');
    panel.append(
      h(
        'div',
        { class: 'banner error', attrs: { role: 'alert' } },
        icon('error'),
        h('span', {
          text: first
            ? `The JSON has a syntax error at line ${first.line}, column ${first.column}, so the form cannot show it: ${first.message} Fix it in the JSON editor; nothing is lost.`
            : `The form cannot show this policy: ${form?.reason ?? 'it is not a key policy'} Edit it as JSON.`,
        }),
      ),
      h(
        'div',
        { class: 'add-row' },
        h('button', { id: 'fix-in-json', class: 'button secondary', attrs: { type: 'button' }, on: { click: () => void run('Opening the JSON editor', first ? { kind: 'reveal', offset: first.offset, length: first.length } : { kind: 'openJson' }) } }, icon('json'), h('span', { text: first ? 'Show the error in the JSON editor' : 'Edit as JSON' })),
      ),
    );
    return panel;
  }
  const disabled = Boolean(state.readOnly);
  panel.append(
    roleSection('admins', 'Key administrators', 'Can manage the key — change its policy, enable or disable it, rotate and tag it — but not use it for cryptography.', disabled),
    roleSection('users', 'Key users', 'Can use the key for cryptography, and let AWS services use it on their behalf through grants.', disabled),
    roleSection('accounts', 'Other AWS accounts', 'Their administrators can let users and roles in those accounts use this key (with an IAM policy there).', disabled),
    statementsSection(form, disabled),
  );
  return panel;
}

function roleSection(list: RoleList, title: string, description: string, disabled: boolean): HTMLElement {
  const form = state.form as PolicyFormView;
  const inputId = `${list}-add-input`;
  const rows: HTMLElement[] =
    list === 'admins'
      ? form.admins.map((a, i) =>
          h(
            'li',
            { class: 'member' },
            memberLabel(a.principal),
            h(
              'label',
              { class: 'checkbox' },
              h('input', {
                id: `admins-${i}-delete`,
                attrs: { type: 'checkbox', checked: a.canDelete, disabled, 'aria-label': `${describeAwsPrincipal(a.principal)} may delete the key` },
                on: { change: (e) => commit(setAdminCanDelete(state.value, a.principal, (e.target as HTMLInputElement).checked, formContext()), `admins-${i}-delete`) },
              }),
              h('span', { text: 'May delete the key' }),
            ),
            removeButton(`admins-${i}-remove`, `Remove administrator ${describeAwsPrincipal(a.principal)}`, disabled, () => commit(removeRoleMember(state.value, 'admins', a.principal, formContext()), inputId)),
          ),
        )
      : (list === 'users' ? form.users : form.accounts).map((p, i) =>
          h(
            'li',
            { class: 'member' },
            list === 'users' ? memberLabel(p) : h('span', { class: 'member-label' }, h('code', { text: p })),
            removeButton(`${list}-${i}-remove`, list === 'users' ? `Remove key user ${describeAwsPrincipal(p)}` : `Remove account ${p}`, disabled, () => commit(removeRoleMember(state.value, list, p, formContext()), inputId)),
          ),
        );

  const add = (): void => {
    const input = document.getElementById(inputId) as HTMLInputElement | null;
    const typed = input?.value ?? '';
    const result = addRoleMember(state.value, list, typed, formContext(), { canDelete: state.newAdminCanDelete });
    if ('error' in result) {
      state.fieldErrors.set(inputId, result.error);
      state.drafts.set(inputId, typed);
      render(inputId);
      return;
    }
    state.fieldErrors.delete(inputId);
    state.drafts.delete(inputId);
    commit(result.value, inputId);
  };
  const error = state.fieldErrors.get(inputId);
  const placeholder = list === 'accounts' ? '12-digit account id, e.g. 444455556666' : `arn:aws:iam::${state.key?.accountId ?? '111122223333'}:role/Name`;
  const addLabel = list === 'admins' ? 'Add administrator' : list === 'users' ? 'Add key user' : 'Add account';
  return h(
    'section',
    { id: `section-${list}`, class: 'section', attrs: { 'aria-labelledby': `${list}-title` } },
    h('h2', { id: `${list}-title`, text: title }),
    h('p', { class: 'description', text: description }),
    rows.length ? h('ul', { class: 'members', attrs: { 'aria-label': title } }, rows) : h('p', { class: 'empty', text: list === 'admins' ? 'No key administrators.' : list === 'users' ? 'No key users.' : 'No other accounts.' }),
    disabled
      ? null
      : h(
          'div',
          { class: 'add-row' },
          h('input', {
            id: inputId,
            class: ['text', error && 'invalid'],
            attrs: {
              type: 'text',
              spellcheck: 'false',
              placeholder,
              value: state.drafts.get(inputId) ?? '',
              'aria-label': list === 'accounts' ? 'AWS account id to add' : `IAM user or role ARN to add as ${list === 'admins' ? 'administrator' : 'key user'}`,
              'aria-invalid': error ? 'true' : undefined,
              'aria-describedby': error ? `${inputId}-error` : undefined,
            },
            on: {
              input: (e) => {
                const v = (e.target as HTMLInputElement).value;
                state.drafts.set(inputId, v);
                const problem = v.trim() ? normalizeRolePrincipal(list, v, formContext()) : undefined;
                const message = problem && 'error' in problem ? problem.error : undefined;
                const had = state.fieldErrors.get(inputId);
                if (message) state.fieldErrors.set(inputId, message);
                else state.fieldErrors.delete(inputId);
                if (had !== message) render();
              },
              keydown: (e) => {
                if ((e as KeyboardEvent).key === 'Enter') {
                  e.preventDefault();
                  add();
                }
              },
            },
          }),
          list === 'admins'
            ? h(
                'label',
                { class: 'checkbox' },
                h('input', {
                  id: 'admins-add-delete',
                  attrs: { type: 'checkbox', checked: state.newAdminCanDelete },
                  on: { change: (e) => (state.newAdminCanDelete = (e.target as HTMLInputElement).checked) },
                }),
                h('span', { text: 'May delete the key' }),
              )
            : null,
          h('button', { id: `${list}-add`, class: 'button secondary', attrs: { type: 'button' }, on: { click: add } }, icon('add'), h('span', { text: addLabel })),
        ),
    error ? h('p', { id: `${inputId}-error`, class: 'field-error', text: error, attrs: { role: 'alert' } }) : null,
  );
}

function memberLabel(principal: string): HTMLElement {
  const described = describeAwsPrincipal(principal);
  return h('span', { class: 'member-label' }, h('span', { class: 'member-name', text: described }), described !== principal ? h('code', { class: 'member-arn', text: principal }) : null);
}

function removeButton(id: string, label: string, disabled: boolean, onClick: () => void): HTMLButtonElement | null {
  if (disabled) return null;
  return h('button', { id, class: 'icon-button', title: label, attrs: { type: 'button', 'aria-label': label }, on: { click: onClick } }, icon('trash'));
}

const ROLE_LABEL: Record<string, string> = {
  account: 'The account (IAM policies apply)',
  admins: 'Key administrators',
  'admins-delete': 'Key administrators (may delete)',
  users: 'Key users',
  grants: 'Key users: grants for AWS services',
};

function statementsSection(form: PolicyFormView, disabled: boolean): HTMLElement {
  const count = form.statements.length;
  return h(
    'section',
    { id: 'section-statements', class: 'section', attrs: { 'aria-labelledby': 'statements-title' } },
    h('h2', { id: 'statements-title', text: `Statements (${count})` }),
    h('p', { class: 'description', text: 'Every statement of the policy, in order. A Deny overrides every Allow.' }),
    h('ol', { class: 'cards' }, form.statements.map((s) => h('li', {}, statementCard(s, count, disabled)))),
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
                  const value = addStatement(state.value, newStatement(formContext()));
                  commit(value, `s${count}-sid`);
                },
              },
            },
            icon('add'),
            h('span', { text: 'Add statement' }),
          ),
        ),
  );
}

function collapseKey(s: StatementView): string {
  return s.fields?.sid ? `sid:${s.fields.sid}` : `index:${s.index}`;
}

function statementCard(s: StatementView, count: number, disabled: boolean): HTMLElement {
  const i = s.index;
  // The console's role statements start closed: the lists above edit them.
  const collapsed = (s.role !== undefined) !== state.ui.toggled.includes(collapseKey(s));
  const issues = state.validation.issues.filter((x) => x.statementIndex === i);
  const worst = issues.some((x) => x.severity === 'error') ? 'error' : issues.some((x) => x.severity === 'warning') ? 'warning' : undefined;
  const name = `statement ${i + 1}${s.fields?.sid ? ` "${s.fields.sid}"` : ''}`;
  const toggle = (): void => {
    const key = collapseKey(s);
    state.ui.toggled = state.ui.toggled.includes(key) ? state.ui.toggled.filter((c) => c !== key) : [...state.ui.toggled, key];
    saveUi();
    render(`s${i}-toggle`);
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
        attrs: { type: 'button', 'aria-expanded': collapsed ? 'false' : 'true', 'aria-controls': collapsed ? undefined : `s${i}-body`, 'aria-label': `${collapsed ? 'Expand' : 'Collapse'} ${name}` },
        on: { click: toggle },
      },
      icon(collapsed ? 'chevronRight' : 'chevronDown'),
      h('span', { class: 'card-number', text: `${i + 1}` }),
      h('span', { class: 'card-title', text: s.title }),
    ),
    h(
      'span',
      { class: 'badges' },
      effect ? h('span', { class: ['badge', effect === 'Allow' ? 'allow' : 'deny'], text: effect }) : h('span', { class: 'badge json', text: 'JSON' }),
      s.role ? h('span', { class: 'badge role', text: ROLE_LABEL[s.role] }) : null,
      worst ? h('span', { class: ['badge', worst], title: `${issues.length} problem${issues.length > 1 ? 's' : ''}` }, icon(worst), ` ${issues.length}`) : null,
    ),
    disabled
      ? null
      : h(
          'span',
          { class: 'card-actions' },
          h('button', { id: `s${i}-up`, class: 'icon-button', title: 'Move up', attrs: { type: 'button', disabled: i === 0, 'aria-label': `Move ${name} up` }, on: { click: () => commit(moveStatement(state.value, i, i - 1), i - 1 === 0 ? `s${i - 1}-down` : `s${i - 1}-up`) } }, icon('up')),
          h('button', { id: `s${i}-down`, class: 'icon-button', title: 'Move down', attrs: { type: 'button', disabled: i === count - 1, 'aria-label': `Move ${name} down` }, on: { click: () => commit(moveStatement(state.value, i, i + 1), i + 1 === count - 1 ? `s${i + 1}-up` : `s${i + 1}-down`) } }, icon('down')),
          h('button', { id: `s${i}-remove`, class: 'icon-button', title: 'Remove statement', attrs: { type: 'button', 'aria-label': `Remove ${name}` }, on: { click: () => commit(removeStatement(state.value, i), count > 1 ? `s${Math.min(i, count - 2)}-toggle` : 'add-statement') } }, icon('trash')),
        ),
  );
  const body = collapsed ? null : h('div', { id: `s${i}-body`, class: 'card-body' }, issues.length ? h('ul', { class: 'issues compact' }, issues.map((x) => issueItem(x))) : null, s.fields ? statementFields(s, s.fields, disabled) : rawStatement(s, disabled));
  return h('article', { id: `s${i}`, class: ['card', worst && `has-${worst}`], attrs: { 'aria-label': name } }, head, body);
}

function field(label: string, forId: string, control: Child, extra?: Child): HTMLElement {
  return h('div', { class: 'field' }, h('label', { class: 'field-label', text: label, attrs: { for: forId } }), h('div', { class: 'field-control' }, control, extra));
}

function statementFields(s: StatementView, f: StatementFields, disabled: boolean): HTMLElement {
  const i = s.index;
  const sid = h('input', {
    id: `s${i}-sid`,
    class: 'text',
    attrs: { type: 'text', value: f.sid, placeholder: 'Optional statement id', spellcheck: 'false', disabled },
    on: { change: (e) => editStatement(s, { sid: (e.target as HTMLInputElement).value.trim() }, `s${i}-sid`) },
  });
  const effect = select(`s${i}-effect`, ['Allow', 'Deny'], f.effect, disabled, 'Effect', (v) => editStatement(s, { effect: v as 'Allow' | 'Deny' }, `s${i}-effect`));
  return h(
    'div',
    { class: 'fields' },
    field('Sid', `s${i}-sid`, sid),
    field('Effect', `s${i}-effect`, effect),
    principalsField(s, f, disabled),
    listField(s, f, 'actions', disabled),
    listField(s, f, 'resources', disabled),
    conditionField(s, f, disabled),
  );
}

function select(id: string, options: readonly string[], value: string, disabled: boolean, label: string, onChange: (v: string) => void, optionLabels: Record<string, string> = {}): HTMLSelectElement {
  const el = h(
    'select',
    { id, class: 'select', attrs: { disabled, 'aria-label': label }, on: { change: (e) => onChange((e.target as HTMLSelectElement).value) } },
    options.map((o) => h('option', { text: optionLabels[o] ?? o, attrs: { value: o, selected: o === value } })),
  );
  el.value = value;
  return el;
}

const PRINCIPAL_TYPE_LABELS: Record<string, string> = { AWS: 'AWS', Service: 'Service', Federated: 'Federated', CanonicalUser: 'Canonical user', '*': 'Everyone (*)' };

function principalsField(s: StatementView, f: StatementFields, disabled: boolean): HTMLElement {
  const i = s.index;
  const listId = `s${i}-principals`;
  const pendingCount = state.pendingRows.get(listId) ?? 0;
  const setPrincipals = (principals: FormPrincipal[], focusId?: string): void => editStatement(s, { principals }, focusId);
  const rows = f.principals.map((p, j) => {
    const typeSelect = select(`s${i}-p${j}-type`, ['AWS', 'Service', 'Federated', 'CanonicalUser', '*'], p.type, disabled, `Principal ${j + 1} type`, (type) => {
      const next = [...f.principals];
      next[j] = type === '*' ? { type: '*', value: '*' } : { type, value: p.type === '*' ? '' : p.value };
      setPrincipals(next, `s${i}-p${j}-type`);
    }, PRINCIPAL_TYPE_LABELS);
    const input = h('input', {
      id: `s${i}-p${j}-value`,
      class: 'text mono',
      attrs: { type: 'text', value: p.value, spellcheck: 'false', disabled: disabled || p.type === '*', 'aria-label': `Principal ${j + 1}` },
      on: {
        change: (e) => {
          const next = [...f.principals];
          next[j] = { type: p.type, value: (e.target as HTMLInputElement).value.trim() };
          setPrincipals(next, `s${i}-p${j}-value`);
        },
      },
    });
    return h('div', { class: 'row' }, typeSelect, input, removeButton(`s${i}-p${j}-remove`, `Remove principal ${p.value}`, disabled, () => setPrincipals(f.principals.filter((_, n) => n !== j), f.principals.length > 1 ? `s${i}-p${Math.max(0, j - 1)}-value` : `s${i}-principals-add`)));
  });
  for (let n = 0; n < pendingCount; n++) rows.push(pendingRow(listId, n, 'arn:aws:iam::111122223333:role/Name', 'New principal (AWS)', (value) => setPrincipals([...f.principals, { type: 'AWS', value }])));
  const keySelect = select(`s${i}-principal-key`, ['Principal', 'NotPrincipal'], f.principalKey, disabled, 'Principal or NotPrincipal', (v) => editStatement(s, { principalKey: v as 'Principal' | 'NotPrincipal' }, `s${i}-principal-key`));
  return h(
    'div',
    { class: 'field' },
    h('div', { class: 'field-label' }, keySelect),
    h('div', { class: 'field-control' }, h('div', { class: 'rows', attrs: { role: 'group', 'aria-label': f.principalKey } }, rows), disabled ? null : addRowButton(listId, 'Add principal')),
  );
}

function pendingRow(listId: string, n: number, placeholder: string, label: string, onValue: (v: string) => void): HTMLDivElement {
  const id = `${listId}-new${n}`;
  const datalist = listId.endsWith('actions') ? 'kms-actions' : undefined;
  return h(
    'div',
    { class: 'row pending' },
    h('input', {
      id,
      class: 'text mono',
      attrs: { type: 'text', placeholder, spellcheck: 'false', list: datalist, value: state.drafts.get(id) ?? '', 'aria-label': label },
      on: {
        input: (e) => state.drafts.set(id, (e.target as HTMLInputElement).value),
        change: (e) => {
          const v = (e.target as HTMLInputElement).value.trim();
          if (!v) return;
          state.drafts.delete(id);
          state.pendingRows.set(listId, Math.max(0, (state.pendingRows.get(listId) ?? 1) - 1));
          onValue(v);
        },
      },
    }),
    removeButton(`${id}-remove`, `Remove the new row`, false, () => {
      state.drafts.delete(id);
      state.pendingRows.set(listId, Math.max(0, (state.pendingRows.get(listId) ?? 1) - 1));
      render(`${listId}-add`);
    }),
  );
}

function addRowButton(listId: string, label: string): HTMLElement {
  return h(
    'button',
    {
      id: `${listId}-add`,
      class: 'button secondary small',
      attrs: { type: 'button' },
      on: {
        click: () => {
          const n = state.pendingRows.get(listId) ?? 0;
          state.pendingRows.set(listId, n + 1);
          render(`${listId}-new${n}`);
        },
      },
    },
    icon('add'),
    h('span', { text: label }),
  );
}

function listField(s: StatementView, f: StatementFields, which: 'actions' | 'resources', disabled: boolean): HTMLElement {
  const i = s.index;
  const listId = `s${i}-${which}`;
  const items = which === 'actions' ? f.actions : f.resources;
  const key = which === 'actions' ? f.actionKey : f.resourceKey;
  const set = (list: string[], focusId?: string): void => editStatement(s, which === 'actions' ? { actions: list } : { resources: list }, focusId);
  const rows = items.map((value, j) =>
    h(
      'div',
      { class: 'row' },
      h('input', {
        id: `${listId}-${j}`,
        class: 'text mono',
        attrs: { type: 'text', value, spellcheck: 'false', list: which === 'actions' ? 'kms-actions' : undefined, disabled, 'aria-label': `${key} ${j + 1}` },
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
      removeButton(`${listId}-${j}-remove`, `Remove ${value}`, disabled, () => set(items.filter((_, n) => n !== j), items.length > 1 ? `${listId}-${Math.max(0, j - 1)}` : `${listId}-add`)),
    ),
  );
  const pendingCount = state.pendingRows.get(listId) ?? 0;
  for (let n = 0; n < pendingCount; n++) rows.push(pendingRow(listId, n, which === 'actions' ? 'kms:Decrypt' : '*', which === 'actions' ? 'New action' : 'New resource', (v) => set([...items, v])));
  const keySelect =
    which === 'actions'
      ? select(`s${i}-action-key`, ['Action', 'NotAction'], f.actionKey, disabled, 'Action or NotAction', (v) => editStatement(s, { actionKey: v as 'Action' | 'NotAction' }, `s${i}-action-key`))
      : select(`s${i}-resource-key`, ['Resource', 'NotResource'], f.resourceKey, disabled, 'Resource or NotResource', (v) => editStatement(s, { resourceKey: v as 'Resource' | 'NotResource' }, `s${i}-resource-key`));
  return h(
    'div',
    { class: 'field' },
    h('div', { class: 'field-label' }, keySelect),
    h('div', { class: 'field-control' }, h('div', { class: 'rows', attrs: { role: 'group', 'aria-label': key } }, rows), disabled ? null : addRowButton(listId, which === 'actions' ? 'Add action' : 'Add resource')),
  );
}

function conditionField(s: StatementView, f: StatementFields, disabled: boolean): HTMLElement {
  const i = s.index;
  const id = `s${i}-condition`;
  const error = state.fieldErrors.get(id);
  const draft = state.drafts.get(id);
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
        state.drafts.set(id, v);
        const problem = conditionProblem(v);
        const had = state.fieldErrors.get(id);
        if (problem) state.fieldErrors.set(id, problem);
        else state.fieldErrors.delete(id);
        if (had !== problem) render();
      },
      change: (e) => {
        const v = (e.target as HTMLTextAreaElement).value;
        if (conditionProblem(v)) return;
        state.drafts.delete(id);
        state.fieldErrors.delete(id);
        editStatement(s, { condition: v }, id);
      },
    },
  });
  area.value = value;
  return field('Condition', id, area, error ? h('p', { id: `${id}-error`, class: 'field-error', text: error }) : null);
}

function conditionProblem(text: string): string | undefined {
  if (!text.trim()) return undefined;
  const parsed = parseJson(text);
  if (parsed.errors.length) {
    const e = parsed.errors[0];
    const line = text.slice(0, e.offset).split('\n').length;
    return `Not valid JSON (line ${line}): ${e.message}`;
  }
  if (parsed.root?.type !== 'object') return 'The Condition must be a JSON object such as {"StringEquals": {"kms:CallerAccount": "111122223333"}}.';
  return undefined;
}

function rawStatement(s: StatementView, disabled: boolean): HTMLElement {
  const i = s.index;
  const id = `s${i}-json`;
  const error = state.fieldErrors.get(id);
  const value = state.drafts.get(id) ?? JSON.stringify(s.value, null, 2);
  const area = h('textarea', {
    id,
    class: ['text', 'mono', error && 'invalid'],
    attrs: { rows: Math.min(16, value.split('\n').length + 1), spellcheck: 'false', disabled, 'aria-label': `Statement ${i + 1} as JSON`, 'aria-describedby': `${id}-reason` },
    on: {
      input: (e) => state.drafts.set(id, (e.target as HTMLTextAreaElement).value),
      change: (e) => {
        const text = (e.target as HTMLTextAreaElement).value;
        const parsed = parseJson(text);
        if (!parsed.root) {
          state.fieldErrors.set(id, `Not valid JSON: ${parsed.errors[0]?.message ?? ''} The statement is unchanged until this is fixed.`);
          render(id);
          return;
        }
        state.drafts.delete(id);
        state.fieldErrors.delete(id);
        commit(replaceStatement(state.value, i, nodeValue(parsed.root)), id);
      },
    },
  });
  area.value = value;
  return h(
    'div',
    { class: 'raw' },
    h('p', { id: `${id}-reason`, class: 'banner info' }, icon('info'), h('span', { text: `The form cannot show this statement: ${s.reason ?? ''} It is kept exactly as it is; edit it as JSON here.` })),
    area,
    error ? h('p', { class: 'field-error', text: error, attrs: { role: 'alert' } }) : null,
  );
}

// ---- the JSON tab --------------------------------------------------------------------------

function jsonPanel(): HTMLElement {
  const lines = state.text.split('\n');
  const byLine = new Map<number, PolicyIssue[]>();
  for (const issue of state.validation.issues) byLine.set(issue.line, [...(byLine.get(issue.line) ?? []), issue]);
  const gutterWidth = String(lines.length).length;
  const code = h(
    'pre',
    { id: 'json-text', class: 'json-view', attrs: { tabindex: 0, 'aria-label': 'The policy as JSON (read-only here; use Edit as JSON to change it)' } },
    lines.map((line, n) => {
      const issues = byLine.get(n + 1);
      const worst = issues?.some((x) => x.severity === 'error') ? 'error' : issues?.length ? 'warning' : undefined;
      return h('div', { class: ['line', worst && `line-${worst}`], title: issues?.map((x) => x.message).join('\n') }, h('span', { class: 'gutter', text: String(n + 1).padStart(gutterWidth, ' ') }), h('span', { class: 'code', text: line || ' ' }));
    }),
  );
  return h(
    'div',
    { id: 'panel-json', class: 'panel', attrs: { role: 'tabpanel', 'aria-labelledby': 'tab-json' } },
    h('p', { class: 'description', text: 'What will be saved. Use “Edit as JSON” to change it in an editor tab; the form follows as you type.' }),
    code,
  );
}

/** Suggestions for action inputs. */
function actionList(): HTMLElement {
  const wildcards = ['kms:*', 'kms:Describe*', 'kms:Get*', 'kms:List*', 'kms:GenerateDataKey*', 'kms:ReEncrypt*', 'kms:Create*', 'kms:Enable*', 'kms:Disable*', 'kms:Put*', 'kms:Update*', 'kms:Revoke*', 'kms:Delete*'];
  return h('datalist', { id: 'kms-actions' }, [...wildcards, ...KMS_ACTION_NAMES].map((a) => h('option', { attrs: { value: a } })));
}

// ---- start -------------------------------------------------------------------------------

render();
post({ type: 'ready' });
