import { webviewHtml, type WebviewHtmlInput } from '../policyEditor/webviewHtml';

/**
 * The HTML of the key usage / effective access webview: the same page as the policy editor's
 * (its own script with a per-load nonce, its stylesheet, the same Content Security Policy),
 * with a live region as the root.
 */
export function insightHtml(input: WebviewHtmlInput): string {
  return webviewHtml(input, '<main id="app" aria-live="polite"></main>');
}
