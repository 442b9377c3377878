// Drives the key-policy editors through the testing API: records what each editor posts to
// its webview (from the moment it opens), sends requests as the webview would and waits for
// their replies. Test code: the extension only exposes the editors' state and entry points.
import type * as vscode from 'vscode';
import type { PolicyEditorState, PolicyEditorTesting } from '../../../src/host/policyEditor/registerPolicyEditor';
import type { PolicyDraft } from '../../../src/host/policyEditor/policyEditorSession';
import type { HostMessage, PolicyRequest, ReplyMessage, SaveResult } from '../../../src/shared/policyProtocol';

export interface PolicyEditorDriver {
  readonly keyId: string;
  readonly uri: string;
  readonly serverUri: string;
  readonly title: string;
  text(): string;
  serverText(): string;
  isReady(): boolean;
  /** Everything the host posted to the webview since the editor opened. */
  posted(): readonly HostMessage[];
  /** Hands a message to the host as if the webview had sent it (same validation). */
  receive(raw: unknown): Promise<void>;
  /** Sends a request as the webview would and resolves with the host's reply. */
  request(request: PolicyRequest | Record<string, unknown>): Promise<ReplyMessage>;
  /** Resolves with the first message posted from now on that matches. */
  waitForPosted(match: (m: HostMessage) => boolean, timeoutMs?: number): Promise<HostMessage>;
  save(text?: string): Promise<SaveResult>;
}

let nextRequestId = 1_000_000;

export class PolicyEditorRecorder implements vscode.Disposable {
  private readonly history = new WeakMap<PolicyEditorState, HostMessage[]>();
  private readonly subscription: vscode.Disposable;

  constructor(private readonly editors: PolicyEditorTesting) {
    this.subscription = editors.onDidOpen((state) => this.record(state));
  }

  private record(state: PolicyEditorState): HostMessage[] {
    let list = this.history.get(state);
    if (!list) {
      const messages: HostMessage[] = [];
      list = messages;
      this.history.set(state, messages);
      state.onPosted((m) => messages.push(m));
    }
    return list;
  }

  session(keyId: string): PolicyEditorDriver | undefined {
    const state = this.editors.session(keyId);
    return state ? this.driver(state) : undefined;
  }

  sessions(): PolicyEditorDriver[] {
    return this.editors.sessions().map((s) => this.driver(s));
  }

  draft(keyId: string, connectionId: string): PolicyDraft | undefined {
    return this.editors.draft(keyId, connectionId);
  }

  private driver(state: PolicyEditorState): PolicyEditorDriver {
    const messages = this.record(state);
    const waitForPosted = (match: (m: HostMessage) => boolean, timeoutMs = 10_000): Promise<HostMessage> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listener.dispose();
          reject(new Error(`No matching message was posted to the policy editor within ${timeoutMs} ms.`));
        }, timeoutMs);
        const listener = state.onPosted((m) => {
          if (!match(m)) return;
          clearTimeout(timer);
          listener.dispose();
          resolve(m);
        });
      });
    return {
      keyId: state.keyId,
      uri: state.workingUri.toString(),
      serverUri: state.serverUri.toString(),
      get title() {
        return state.panelTitle;
      },
      text: () => state.currentText(),
      serverText: () => state.serverText(),
      isReady: () => state.isReady(),
      posted: () => [...messages],
      receive: (raw) => state.receive(raw),
      request: async (request) => {
        const requestId = nextRequestId++;
        const reply = waitForPosted((m) => m.type === 'reply' && m.requestId === requestId, 120_000);
        await state.receive({ type: 'request', requestId, request });
        return (await reply) as ReplyMessage;
      },
      waitForPosted,
      save: (text) => state.save(text ?? state.currentText()),
    };
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
