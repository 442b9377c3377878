// The page around the form: header and toolbar, banners, size meter and counts, the list
// of problems, the Form/JSON tabs, and the form panel (role lists, then statements).
import { samePolicyText } from '../../../core/policy/policyDiff';
import type { PolicyKeyInfo } from '../../../shared/policyProtocol';
import { type Child, h, icon } from '../dom';
import type { EditorContext } from '../editorContext';
import { countFindings } from '../../../core/policy/serviceFindings';
import { currentFindings } from '../state';
import { findingItem, issueItem } from './controls';
import { actionList, jsonPanel } from './jsonPanel';
import { roleSection } from './roles';
import { statementsSection } from './statements';
export function view(ctx: EditorContext): HTMLElement {
  if (!ctx.state.key) {
    return h('main', { class: 'loading', attrs: { 'aria-busy': 'true' } }, h('p', { text: 'Loading the key policy…' }));
  }
  return h(
    'main',
    { class: 'editor' },
    header(ctx),
    banners(ctx),
    statusBar(ctx),
    serviceChecks(ctx),
    problems(ctx),
    tabs(ctx),
    ctx.state.ui.tab === 'form' ? formPanel(ctx) : jsonPanel(ctx),
    actionList(),
  );
}

export function header(ctx: EditorContext): HTMLElement {
  const key = ctx.state.key as PolicyKeyInfo;
  const name = key.aliases[0] ?? key.keyId;
  const changed = !samePolicyText(ctx.state.text, ctx.state.serverText);
  const errors = ctx.state.validation.errorCount;
  const saveBlocked = ctx.state.readOnly
    ? ctx.state.readOnly
    : errors
      ? `Fix ${errors} error${errors > 1 ? 's' : ''} to save.`
      : !changed
        ? 'No changes to save.'
        : undefined;
  const busy = Boolean(ctx.state.busy) || ctx.state.status === 'saving';
  const button = (
    id: string,
    label: string,
    iconName: Parameters<typeof icon>[0],
    onClick: () => void,
    options: { primary?: boolean; disabled?: boolean; title?: string } = {},
  ): HTMLButtonElement =>
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
      h('p', { class: 'subtitle' }, [
        name !== key.keyId ? `${key.keyId} · ` : '',
        `${key.region} · ${key.connectionLabel}`,
        key.keyState && key.keyState !== 'Enabled' ? ` · ${key.keyState}` : '',
      ]),
    ),
    h(
      'div',
      { class: 'toolbar', attrs: { role: 'toolbar', 'aria-label': 'Policy actions' } },
      button(
        'save',
        ctx.state.status === 'saving' ? 'Saving…' : 'Save',
        'save',
        () => void ctx.run('Saving', { kind: 'save', text: ctx.state.text }),
        {
          primary: true,
          disabled: Boolean(saveBlocked) || busy,
          title: saveBlocked ?? 'Review the changes and save the policy to KMS',
        },
      ),
      button('review', 'Review changes', 'diff', () => void ctx.run('Opening the diff', { kind: 'showDiff', text: ctx.state.text }), {
        disabled: busy,
        title: 'Compare the policy on the server with this one',
      }),
      ctx.state.readOnly
        ? button('openJson', 'Show as JSON', 'json', () => void ctx.run('Opening the JSON view', { kind: 'openJson' }), {
            disabled: busy,
            title: 'Open the policy in a read-only JSON tab',
          })
        : button('openJson', 'Edit as JSON', 'json', () => void ctx.run('Opening the JSON editor', { kind: 'openJson' }), {
            disabled: busy,
            title: 'Open the policy in a JSON editor tab, kept in sync with this form',
          }),
      button('reload', 'Reload', 'refresh', () => void ctx.run('Reloading', { kind: 'reload' }), {
        disabled: busy,
        title: 'Read the policy from KMS again',
      }),
    ),
    h(
      'p',
      { id: 'save-state', class: ['save-state', changed && 'changed'], attrs: { role: 'status', 'aria-live': 'polite' } },
      saveStateText(ctx, changed, saveBlocked),
    ),
  );
}

/** Banners below the (sticky) header: read-only, and the outcome of the last request. */
export function banners(ctx: EditorContext): Child[] {
  return [
    ctx.state.readOnly ? h('p', { class: 'banner info' }, icon('info'), h('span', { text: ctx.state.readOnly })) : null,
    ctx.state.notice
      ? h(
          'p',
          {
            id: 'notice',
            class: ['banner', ctx.state.notice.kind],
            attrs: { role: ctx.state.notice.kind === 'error' ? 'alert' : 'status' },
          },
          icon(ctx.state.notice.kind === 'error' ? 'error' : 'info'),
          h('span', { text: ctx.state.notice.text }),
        )
      : null,
  ];
}

export function saveStateText(ctx: EditorContext, changed: boolean, saveBlocked: string | undefined): string {
  if (ctx.state.busy) return `${ctx.state.busy}…`;
  if (ctx.state.readOnly) return 'Read-only.';
  if (ctx.state.status === 'conflict' || ctx.state.status === 'failed') return ctx.state.statusMessage ?? '';
  if (ctx.state.status === 'saved' && !changed) return ctx.state.statusMessage ?? 'Saved.';
  if (!changed) return 'No unsaved changes.';
  return saveBlocked && saveBlocked !== 'No changes to save.' ? `Unsaved changes. ${saveBlocked}` : 'Unsaved changes.';
}

export function statusBar(ctx: EditorContext): HTMLElement {
  const { byteLength, byteLimit, errorCount, warningCount } = ctx.state.validation;
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
      h('span', {
        id: 'size-label',
        class: 'size-label',
        text: `${byteLength.toLocaleString('en-US')} of ${byteLimit.toLocaleString('en-US')} bytes (${pct}%)`,
      }),
      h(
        'div',
        {
          id: 'size-meter',
          class: 'meter',
          attrs: {
            role: 'meter',
            'aria-label': 'Policy size',
            'aria-valuemin': 0,
            'aria-valuemax': byteLimit,
            'aria-valuenow': byteLength,
            'aria-valuetext': `${byteLength} of ${byteLimit} bytes`,
          },
        },
        fill,
      ),
    ),
    h(
      'div',
      { class: 'counts', attrs: { 'aria-live': 'polite' } },
      h(
        'span',
        { id: 'error-count', class: ['count', errorCount ? 'has-errors' : ''] },
        icon('error'),
        ` ${errorCount} error${errorCount === 1 ? '' : 's'}`,
      ),
      h(
        'span',
        { id: 'warning-count', class: ['count', warningCount ? 'has-warnings' : ''] },
        icon('warning'),
        ` ${warningCount} warning${warningCount === 1 ? '' : 's'}`,
      ),
    ),
  );
}

export function problems(ctx: EditorContext): HTMLElement | null {
  const issues = ctx.state.validation.issues;
  const findings = currentFindings(ctx.state);
  if (!issues.length && !findings.length) return null;
  return h(
    'section',
    { id: 'problems', class: 'problems', attrs: { 'aria-label': 'Problems' } },
    h(
      'ul',
      { class: 'issues' },
      issues.map((i) => issueItem(ctx, i)),
      findings.map((f) => findingItem(ctx, f)),
    ),
  );
}

/**
 * What the services checked: IAM Access Analyzer's findings (or why it could not check), and
 * the identity the lockout check asks about (or that it assumes the account root).
 */
export function serviceChecks(ctx: EditorContext): HTMLElement {
  const checks = ctx.state.serviceChecks;
  const current = checks?.text === ctx.state.text ? checks : undefined;
  let analyzer: string;
  let analyzerKind = 'info';
  if (!current || current.analyzer.state === 'checking') analyzer = 'IAM Access Analyzer: checking this policy…';
  else if (current.analyzer.state === 'unavailable') {
    analyzer = `Not checked by IAM Access Analyzer: ${current.analyzer.reason}`;
    analyzerKind = 'unchecked';
  } else
    analyzer = current.analyzer.findings.length
      ? `IAM Access Analyzer: ${countFindings(current.analyzer.findings)}, shown with the problems and at their statements.`
      : 'IAM Access Analyzer: no findings.';
  const caller = checks?.caller;
  let identity: string;
  let identityKind = 'info';
  if (!caller || caller.state === 'checking') identity = 'Your identity (sts:GetCallerIdentity): asking…';
  else if (caller.state === 'unavailable') {
    identity =
      `Your identity could not be read from STS (${caller.reason}): ` +
      'the lockout check assumes you act through the ' +
      `account${ctx.state.key?.accountId ? ` ${ctx.state.key.accountId}` : ''} (its root).`;
    identityKind = 'unchecked';
  } else identity = `The lockout check asks whether you (${caller.arn}) can still change the policy.`;
  return h(
    'section',
    { id: 'service-checks', class: 'service-checks', attrs: { 'aria-label': 'Checks by AWS', 'aria-live': 'polite' } },
    h(
      'p',
      { id: 'analyzer-state', class: ['service-check', analyzerKind] },
      icon(analyzerKind === 'unchecked' ? 'warning' : 'shield'),
      h('span', { text: analyzer }),
    ),
    h(
      'p',
      { id: 'caller-state', class: ['service-check', identityKind] },
      icon(identityKind === 'unchecked' ? 'warning' : 'info'),
      h('span', { text: identity }),
    ),
  );
}

export function tabs(ctx: EditorContext): HTMLElement {
  const tab = (id: 'form' | 'json', label: string): HTMLButtonElement =>
    h('button', {
      id: `tab-${id}`,
      class: ['tab', ctx.state.ui.tab === id && 'active'],
      text: label,
      attrs: {
        type: 'button',
        role: 'tab',
        'aria-selected': ctx.state.ui.tab === id ? 'true' : 'false',
        'aria-controls': `panel-${id}`,
        tabindex: ctx.state.ui.tab === id ? 0 : -1,
      },
      on: {
        click: () => selectTab(ctx, id),
        keydown: (e) => {
          const k = (e as KeyboardEvent).key;
          if (k === 'ArrowRight' || k === 'ArrowLeft' || k === 'Home' || k === 'End') {
            e.preventDefault();
            selectTab(ctx, id === 'form' ? 'json' : 'form');
          }
        },
      },
    });
  return h('div', { class: 'tabs', attrs: { role: 'tablist', 'aria-label': 'Views' } }, tab('form', 'Form'), tab('json', 'JSON'));
}

export function selectTab(ctx: EditorContext, tab: 'form' | 'json'): void {
  ctx.state.ui.tab = tab;
  ctx.saveUi();
  ctx.render(`tab-${tab}`);
}

export function formPanel(ctx: EditorContext): HTMLElement {
  const panel = h('div', { id: 'panel-form', class: 'panel', attrs: { role: 'tabpanel', 'aria-labelledby': 'tab-form' } });
  const form = ctx.state.form;
  if (!form || !form.ok) {
    const first = ctx.state.validation.issues.find((i) => i.code === 'json-syntax');
    panel.append(
      h(
        'div',
        { class: 'banner error', attrs: { role: 'alert' } },
        icon('error'),
        h('span', {
          text: first
            ? `The JSON has a syntax error at line ${first.line}, column ${first.column}, so the form cannot show ` +
              `it: ${first.message} Fix it in the JSON editor; nothing is lost.`
            : `The form cannot show this policy: ${form?.reason ?? 'it is not a key policy'} Edit it as JSON.`,
        }),
      ),
      h(
        'div',
        { class: 'add-row' },
        h(
          'button',
          {
            id: 'fix-in-json',
            class: 'button secondary',
            attrs: { type: 'button' },
            on: {
              click: () =>
                void ctx.run(
                  'Opening the JSON editor',
                  first ? { kind: 'reveal', offset: first.offset, length: first.length } : { kind: 'openJson' },
                ),
            },
          },
          icon('json'),
          h('span', { text: first ? 'Show the error in the JSON editor' : 'Edit as JSON' }),
        ),
      ),
    );
    return panel;
  }
  const disabled = Boolean(ctx.state.readOnly);
  panel.append(
    ...(['admins', 'users', 'accounts'] as const).map((list) => roleSection(ctx, list, form, disabled)),
    statementsSection(ctx, form, disabled),
  );
  return panel;
}
