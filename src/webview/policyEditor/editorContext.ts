// What the views get to read the state and change the policy through.
import type { FormContext, StatementView } from '../../core/policy/policyForm';
import type { StatementFields } from '../../core/policy/statementFields';
import type { PolicyRequest } from '../../shared/policyProtocol';
import type { State } from './state';

export interface EditorContext {
  readonly state: State;
  formContext(): FormContext;
  /** Applies a new policy value: new text (reusing unchanged text), validation, the host told. */
  commit(value: unknown, focusId?: string): void;
  /** Applies changed form fields to a statement. */
  editStatement(view: StatementView, change: Partial<StatementFields>, focusId?: string): void;
  /** Asks the host (save, reload, open the JSON tab…), showing the page busy meanwhile. */
  run(label: string, request: PolicyRequest): Promise<void>;
  /** Redraws, keeping (or moving) the focus. */
  render(focusId?: string): void;
  /** Keeps the UI state (tab, open statements) across hide and show. */
  saveUi(): void;
}
