/**
 * The HTML of the key-policy editor webview. Pure (no `vscode`), so the webview tests load
 * the bundle under exactly this page and Content Security Policy: nothing but the
 * extension's own script (with a per-load nonce) and stylesheet, no inline styles, no
 * remote resources.
 */

export interface WebviewHtmlInput {
  /** `webview.cspSource`: where the extension's resources are served from. */
  readonly cspSource: string;
  /** `webview.asWebviewUri(dist/webview/policyEditor.js)`. */
  readonly scriptUri: string;
  /** `webview.asWebviewUri(media/policyEditor.css)`. */
  readonly styleUri: string;
  /** A fresh random nonce (base64 from crypto.randomBytes) per page load. */
  readonly nonce: string;
  readonly title: string;
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    `default-src 'none'`,
    `img-src ${cspSource}`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

function escapeAttribute(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function policyEditorHtml(input: WebviewHtmlInput): string {
  return webviewHtml(input, '<div id="app"></div>');
}

/**
 * The page of one of the extension's webviews: its own script (per-load nonce) and stylesheet
 * under the strict Content Security Policy, `body` (static markup of ours, never data) as the
 * root the script fills.
 */
export function webviewHtml(input: WebviewHtmlInput, body: string): string {
  if (!/^[A-Za-z0-9+/=]{16,}$/.test(input.nonce)) throw new Error('The webview nonce must be base64 from a random source.');
  const csp = contentSecurityPolicy(input.cspSource, input.nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttribute(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttribute(input.styleUri)}">
<title>${escapeAttribute(input.title)}</title>
</head>
<body>
${body}
<script nonce="${escapeAttribute(input.nonce)}" src="${escapeAttribute(input.scriptUri)}"></script>
</body>
</html>`;
}
