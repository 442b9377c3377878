// The policy editor page: holds the state, applies the host's messages and the form's
// edits, and redraws. The views (./views) draw from the state and change it only through
// the EditorContext this class is.
import { formatPolicy } from '../../core/policy/formatPolicy';
import { type FormContext, type StatementView, updateStatement } from '../../core/policy/policyForm';
import type { StatementFields } from '../../core/policy/statementFields';
import type { PolicyRequest } from '../../shared/policyProtocol';
import type { EditorContext } from './editorContext';
import { HostChannel, type HostNotification, type VsCodeApi } from './hostChannel';
import { type State, formContextOf, initialState, setText } from './state';
import { view } from './views/page';

export class PolicyEditorPage implements EditorContext {
  readonly state: State;
  private readonly channel: HostChannel;

  constructor(
    private readonly api: VsCodeApi,
    private readonly root: HTMLElement,
  ) {
    this.state = initialState(api.getState());
    this.channel = new HostChannel(api, (m) => this.onHostMessage(m));
  }

  /** Draws the loading page, listens to the host, and tells it the page is ready for `init`. */
  start(target: Window): void {
    this.render();
    this.channel.listen(target);
    this.channel.post({ type: 'ready' });
  }

  formContext(): FormContext {
    return formContextOf(this.state);
  }

  saveUi(): void {
    this.api.setState(this.state.ui);
  }

  private onHostMessage(message: HostNotification): void {
    const state = this.state;
    switch (message.type) {
      case 'init':
        state.key = message.key;
        state.serverText = message.serverText;
        state.readOnly = message.readOnly;
        state.status = message.status;
        state.statusMessage = message.statusMessage;
        setText(state, message.text);
        this.render();
        return;
      case 'text':
        if (message.serverText !== undefined) state.serverText = message.serverText;
        if (message.text !== state.text || message.serverText !== undefined) {
          if (message.source !== 'jsonEditor') {
            state.drafts.clear();
            state.pendingRows.clear();
            state.fieldErrors.clear();
          }
          setText(state, message.text);
          this.render();
        }
        return;
      case 'serviceChecks':
        state.serviceChecks = message;
        this.render();
        return;
      case 'status':
        state.status = message.status;
        state.statusMessage = message.message;
        this.render();
        return;
    }
  }

  commit(value: unknown, focusId?: string): void {
    const text = formatPolicy(value, this.state.text);
    if (text === this.state.text) return;
    setText(this.state, text);
    this.channel.post({ type: 'edit', text });
    this.state.notice = undefined;
    this.render(focusId);
  }

  editStatement(statement: StatementView, change: Partial<StatementFields>, focusId?: string): void {
    if (!statement.fields || this.state.value === undefined) return;
    const result = updateStatement(this.state.value, statement.index, { ...statement.fields, ...change });
    if ('error' in result) {
      this.showNotice('error', result.error);
      return;
    }
    this.commit(result.value, focusId);
  }

  async run(label: string, request: PolicyRequest): Promise<void> {
    this.state.busy = label;
    this.render();
    try {
      if (request.kind === 'save') {
        // A successful save speaks through the status line; one that did not save gets a notice.
        const result = await this.channel.request(request);
        if (!result.saved) this.showNotice('info', result.message, false);
      } else {
        await this.channel.request(request);
      }
    } catch (e) {
      this.showNotice('error', e instanceof Error ? e.message : String(e), false);
    } finally {
      this.state.busy = undefined;
      this.render();
    }
  }

  private showNotice(kind: 'error' | 'info', text: string, redraw = true): void {
    this.state.notice = { kind, text };
    if (redraw) this.render();
  }

  /** Redraws everything, keeping the focused element (by id) and its selection. */
  render(focusId?: string): void {
    const active = document.activeElement;
    const keepId = focusId ?? (active instanceof HTMLElement && active !== document.body ? active.id : '');
    const textInput = (el: Element | null): el is HTMLInputElement | HTMLTextAreaElement =>
      (el instanceof HTMLInputElement && el.type === 'text') || el instanceof HTMLTextAreaElement;
    const selection =
      textInput(active) && active.selectionStart !== null
        ? [active.selectionStart, active.selectionEnd ?? active.selectionStart]
        : undefined;
    const scroll = window.scrollY;

    this.root.replaceChildren(view(this));

    window.scrollTo(0, scroll);
    if (!keepId) return;
    const el = document.getElementById(keepId);
    if (!el) return;
    el.focus({ preventScroll: true });
    if (selection && !focusId && textInput(el)) el.setSelectionRange(selection[0], selection[1]);
  }
}
