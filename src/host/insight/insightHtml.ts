import { contentSecurityPolicy } from '../policyEditor/webviewHtml';

/**
 * The HTML of the key usage / effective access webview: nothing but the extension's own
 * script (per-load nonce) and stylesheet, the same Content Security Policy as the policy
 * editor (no inline styles, no remote resources).
 */
export function insightHtml(input: { cspSource: string; scriptUri: string; styleUri: string; nonce: string; title: string }): string {
  if (!/^[A-Za-z0-9+/=]{16,}$/.test(input.nonce)) throw new Error('The webview nonce must be base64 from a random source.');
  const csp = contentSecurityPolicy(input.cspSource, input.nonce);
  const a = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${a(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${a(input.styleUri)}">
<title>${a(input.title)}</title>
</head>
<body>
<main id="app" aria-live="polite"></main>
<script nonce="${a(input.nonce)}" src="${a(input.scriptUri)}"></script>
</body>
</html>`;
}
