// Drives the key-policy editors from the integration tests. What the host posts to an editor's
// webview is recorded where it leaves the extension: at the webview of the panel, whose
// `postMessage` is wrapped as the panel is created (vscode.window.createWebviewPanel is wrapped
// while a recorder lives), so the tests see exactly what the real page gets, from `init` on.
// Requests go in through the session's own message handler (the one the webview's messages
// reach, with the same validation). Test code only: the extension has no recording of its own.
import * as vscode from 'vscode';
import type { PolicyEditors } from '../../../src/host/policyEditor/registerPolicyEditor';
import { POLICY_EDITOR_VIEW_TYPE, type PolicyDraft, type PolicyEditorSession } from '../../../src/host/policyEditor/policyEditorSession';
import type { HostMessage, InitMessage, PolicyRequest, ReplyMessage, SaveResult } from '../../../src/shared/policyProtocol';

export interface PolicyEditorDriver {
  readonly keyId: string;
  readonly uri: string;
  readonly serverUri: string;
  readonly title: string;
  text(): string;
  serverText(): string;
  isReady(): boolean;
  /**
   * The first `init` the page got: waits for the page to load and say ready (60 s by default:
   * a webview loads slowly on a loaded machine, and the tests wait for it, not for a time).
   */
  init(timeoutMs?: number): Promise<InitMessage>;
  /** Resolves when the editor's panel is closed (ask before closing it: a closed panel says nothing more). */
  closed(): Promise<void>;
  /** Everything the host posted to the webview since the editor opened. */
  posted(): readonly HostMessage[];
  /** Hands a message to the host as if the webview had sent it (same validation), once the page said `ready`. */
  receive(raw: unknown): Promise<void>;
  /** Sends a request as the webview would and resolves with the host's reply. */
  request(request: PolicyRequest | Record<string, unknown>): Promise<ReplyMessage>;
  /** Resolves with the first message posted from now on that matches. */
  waitForPosted(match: (m: HostMessage) => boolean, timeoutMs?: number): Promise<HostMessage>;
  save(text?: string): Promise<SaveResult>;
}

let nextRequestId = 1_000_000;

type CreateWebviewPanel = typeof vscode.window.createWebviewPanel;

/** What one panel's webview was sent, and who waits for the next message. */
interface PanelRecord {
  readonly messages: HostMessage[];
  readonly listeners: Set<(m: HostMessage) => void>;
}

/**
 * Waits for the real page to say `ready` (a page sends nothing before it, and the host posts it
 * nothing before it either). Generous: a webview loads slowly on a loaded machine.
 */
async function pageReady(session: PolicyEditorSession, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!session.isReady()) {
    if (Date.now() > deadline)
      throw new Error(`The policy editor's page of ${session.label} did not say ready within ${timeoutMs / 1000} s.`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export class PolicyEditorRecorder implements vscode.Disposable {
  private readonly records = new WeakMap<vscode.WebviewPanel, PanelRecord>();
  private readonly original: CreateWebviewPanel;

  constructor(private readonly editors: PolicyEditors) {
    const original = vscode.window.createWebviewPanel;
    this.original = original;
    const wrapped: CreateWebviewPanel = (viewType, title, showOptions, options) => {
      const panel = original.call(vscode.window, viewType, title, showOptions, options);
      if (viewType === POLICY_EDITOR_VIEW_TYPE) this.watch(panel);
      return panel;
    };
    vscode.window.createWebviewPanel = wrapped;
    if (vscode.window.createWebviewPanel !== wrapped) {
      throw new Error('The policy editor recorder could not wrap vscode.window.createWebviewPanel in this extension host.');
    }
  }

  /** Records each message the panel's webview is sent (and still sends it). */
  private watch(panel: vscode.WebviewPanel): void {
    const record: PanelRecord = { messages: [], listeners: new Set() };
    this.records.set(panel, record);
    const webview = panel.webview;
    const postMessage = webview.postMessage.bind(webview);
    webview.postMessage = (message: unknown) => {
      record.messages.push(message as HostMessage);
      for (const listener of [...record.listeners]) listener(message as HostMessage);
      return postMessage(message);
    };
  }

  session(keyId: string): PolicyEditorDriver | undefined {
    const session = this.editors.find(keyId);
    return session ? this.driver(session) : undefined;
  }

  sessions(): PolicyEditorDriver[] {
    return this.editors.all().map((s) => this.driver(s));
  }

  draft(keyId: string, connectionId: string): PolicyDraft | undefined {
    return this.editors.draftOf(keyId, connectionId);
  }

  private driver(session: PolicyEditorSession): PolicyEditorDriver {
    const record = this.records.get(session.panel);
    if (!record) throw new Error(`The policy editor of ${session.keyId} was opened before the recorder was made.`);
    const waitForPosted = (match: (m: HostMessage) => boolean, timeoutMs = 10_000): Promise<HostMessage> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          record.listeners.delete(listener);
          reject(new Error(`No matching message was posted to the policy editor within ${timeoutMs} ms.`));
        }, timeoutMs);
        const listener = (m: HostMessage): void => {
          if (!match(m)) return;
          clearTimeout(timer);
          record.listeners.delete(listener);
          resolve(m);
        };
        record.listeners.add(listener);
      });
    return {
      keyId: session.keyId,
      uri: session.workingUri.toString(),
      serverUri: session.serverUri.toString(),
      get title() {
        return session.panelTitle;
      },
      text: () => session.currentText(),
      serverText: () => session.serverText(),
      isReady: () => session.isReady(),
      init: async (timeoutMs = 60_000) => {
        const isInit = (m: HostMessage): m is InitMessage => m.type === 'init';
        return record.messages.find(isInit) ?? ((await waitForPosted(isInit, timeoutMs)) as InitMessage);
      },
      closed: () => new Promise<void>((resolve) => session.panel.onDidDispose(() => resolve())),
      posted: () => [...record.messages],
      receive: async (raw) => {
        await pageReady(session);
        await session.receive(raw);
      },
      request: async (request) => {
        await pageReady(session);
        const requestId = nextRequestId++;
        const reply = waitForPosted((m) => m.type === 'reply' && m.requestId === requestId, 120_000);
        await session.receive({ type: 'request', requestId, request });
        return (await reply) as ReplyMessage;
      },
      waitForPosted,
      save: (text) => session.save(text ?? session.currentText()),
    };
  }

  dispose(): void {
    vscode.window.createWebviewPanel = this.original;
  }
}
