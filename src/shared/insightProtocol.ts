// Messages between the host and the "insight" webview (key usage and effective access).
// Plain data only: everything the webview shows is rendered as text (textContent).

export interface UsageEventView {
  readonly time: string;
  readonly eventName: string;
  readonly principal: string;
  readonly sourceIPAddress: string;
  readonly userAgent?: string;
  readonly errorCode?: string;
}

export interface UsageView {
  readonly kind: 'usage';
  readonly keyLabel: string;
  readonly keyArn: string;
  readonly days: number;
  readonly from: string;
  readonly to: string;
  readonly totalEvents: number;
  readonly truncated: boolean;
  readonly daily: readonly { readonly date: string; readonly total: number; readonly byOperation: Readonly<Record<string, number>> }[];
  readonly operations: readonly string[];
  readonly topPrincipals: readonly { readonly principal: string; readonly count: number; readonly errors: number }[];
  readonly topSources: readonly { readonly address: string; readonly count: number }[];
  readonly events: readonly UsageEventView[];
}

export interface AccessEntryView {
  readonly principal: string;
  readonly description: string;
  readonly actions: readonly string[];
  readonly conditions: readonly string[];
  readonly source: 'policy' | 'grant';
  readonly statementSid?: string;
  readonly grantId?: string;
}

export interface AccessView {
  readonly kind: 'access';
  readonly keyLabel: string;
  readonly keyArn: string;
  readonly groups: readonly { readonly title: string; readonly explanation: string; readonly entries: readonly AccessEntryView[] }[];
  readonly findings: readonly {
    readonly severity: 'high' | 'medium' | 'low';
    readonly title: string;
    readonly detail: string;
    readonly where: string;
  }[];
  readonly notes: readonly string[];
}

/** Host → webview. */
export type InsightHostMessage =
  | { readonly type: 'loading'; readonly title: string; readonly detail: string; readonly cancellable: boolean }
  | { readonly type: 'progress'; readonly detail: string }
  | { readonly type: 'error'; readonly title: string; readonly message: string }
  | { readonly type: 'usage'; readonly view: UsageView }
  | { readonly type: 'access'; readonly view: AccessView };

/** Webview → host. */
export type InsightWebviewMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'cancel' }
  | { readonly type: 'reload'; readonly days?: number };

export function isInsightWebviewMessage(value: unknown): value is InsightWebviewMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as { type?: unknown; days?: unknown };
  if (m.type === 'ready' || m.type === 'cancel') return true;
  return (
    m.type === 'reload' && (m.days === undefined || (typeof m.days === 'number' && Number.isInteger(m.days) && m.days >= 1 && m.days <= 90))
  );
}
