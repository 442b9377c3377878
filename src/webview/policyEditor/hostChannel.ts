// The webview's side of ../../shared/policyProtocol: every message from the host is
// checked, requests are matched to their replies, and each reply's result is checked
// against what its request kind returns.
import {
  type HostMessage,
  type PolicyRequest,
  type ReplyMessage,
  type RequestKind,
  type ResultOf,
  type WebviewMessage,
  parseHostMessage,
  parseRequestResult,
} from '../../shared/policyProtocol';

/** Every host message but replies (which the channel matches to their requests). */
export type HostNotification = Exclude<HostMessage, ReplyMessage>;

export interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

export class HostChannel {
  private nextRequestId = 1;
  private readonly pending = new Map<number, { settle: (result: unknown) => void; reject: (e: Error) => void }>();

  constructor(
    private readonly api: VsCodeApi,
    private readonly onMessage: (message: HostNotification) => void,
  ) {}

  /** Starts listening to the host (the page calls this once, then says `ready`). */
  listen(target: Window): void {
    target.addEventListener('message', (event: MessageEvent) => this.receive(event.data));
  }

  post(message: WebviewMessage): void {
    this.api.postMessage(message);
  }

  /** Sends a request; resolves with its kind's result, rejects with the host's error. */
  request<K extends RequestKind>(req: PolicyRequest & { readonly kind: K }): Promise<ResultOf<K>> {
    const requestId = this.nextRequestId++;
    const kind: K = req.kind;
    return new Promise((resolve, reject) => {
      const settle = (raw: unknown): void => {
        const result = parseRequestResult(kind, raw);
        if (result === undefined) reject(new Error(`The editor got an unexpected answer to ${req.kind}.`));
        else resolve(result);
      };
      this.pending.set(requestId, { settle, reject });
      this.post({ type: 'request', requestId, request: req });
    });
  }

  private receive(raw: unknown): void {
    const parsed = parseHostMessage(raw);
    if (!parsed.ok) {
      console.warn(`policy editor: ignored a message from the host: ${parsed.error}`);
      return;
    }
    const message = parsed.message;
    if (message.type !== 'reply') {
      this.onMessage(message);
      return;
    }
    const waiting = this.pending.get(message.requestId);
    if (!waiting) return;
    this.pending.delete(message.requestId);
    if (message.ok) waiting.settle(message.result);
    else waiting.reject(new Error(message.error));
  }
}
