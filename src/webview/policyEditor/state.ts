// What the policy editor's webview holds: the policy text (the single source of truth),
// what is derived from it (validation, value, form), and the state of the page itself.
import type { FormContext, PolicyFormView } from '../../core/policy/policyForm';
import { readPolicyForm } from '../../core/policy/policyForm';
import { type PolicyValidation, validatePolicy } from '../../core/policy/validatePolicy';
import type { PolicyKeyInfo, SaveStatus, ServiceChecksMessage, ServiceFinding } from '../../shared/policyProtocol';

/** What survives the webview being hidden and shown (VS Code's webview state). */
export interface PersistedUi {
  tab: 'form' | 'json';
  /** Statements whose open/closed state differs from the default (role statements start closed). */
  toggled: string[];
}

export interface State {
  key?: PolicyKeyInfo;
  text: string;
  serverText: string;
  readOnly?: string;
  status: SaveStatus;
  statusMessage?: string;
  validation: PolicyValidation;
  /** The service's checks (Access Analyzer, the caller's identity) of the latest text the host checked. */
  serviceChecks?: ServiceChecksMessage;
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

/** The state of a page that has not heard from the host yet, with the UI state kept from before. */
export function initialState(persisted: unknown): State {
  const kept = (typeof persisted === 'object' && persisted !== null ? persisted : {}) as Partial<PersistedUi>;
  return {
    text: '',
    serverText: '',
    status: 'idle',
    validation: validatePolicy(''),
    ui: {
      tab: kept.tab === 'json' ? 'json' : 'form',
      toggled: Array.isArray(kept.toggled) ? kept.toggled.filter((c) => typeof c === 'string') : [],
    },
    drafts: new Map(),
    fieldErrors: new Map(),
    pendingRows: new Map(),
    newAdminCanDelete: false,
  };
}

/** Who owns the key and what kind it is: decides the form's roles and the actions it writes. */
export function formContextOf(state: State): FormContext {
  const key = state.key;
  return {
    accountId: key?.accountId,
    partition: key?.partition,
    keyKind: { keyUsage: key?.keyUsage, keySpec: key?.keySpec, multiRegion: key?.multiRegion },
  };
}

/** Takes a new policy text and derives the rest from it (one validation, one form reading). */
export function setText(state: State, text: string): void {
  state.text = text;
  state.validation = validatePolicy(text, { accountId: state.key?.accountId, keyArn: state.key?.keyArn });
  state.value = state.validation.syntaxOk ? state.validation.value : undefined;
  state.form = state.value !== undefined ? readPolicyForm(state.value, formContextOf(state)) : undefined;
}

/** Access Analyzer's findings, when they are for the text shown now. */
export function currentFindings(state: State): readonly ServiceFinding[] {
  const checks = state.serviceChecks;
  return checks && checks.text === state.text && checks.analyzer.state === 'done' ? checks.analyzer.findings : [];
}
