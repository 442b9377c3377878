// Loads the built policy-editor bundle (dist/webview/policyEditor.js) in real Chromium, in
// the same HTML and Content Security Policy the host gives it (policyEditorHtml), with a
// stand-in `acquireVsCodeApi` that records what the webview posts. Tests then talk to it
// through its message protocol: `fromHost()` posts a host message into the page, `posted()`
// reads what the webview sent.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { type AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser, type LaunchedBrowser } from '../../harness/browser';
import { policyEditorHtml } from '../../../src/host/policyEditor/webviewHtml';
import type { HostMessage, WebviewMessage } from '../../../src/shared/policyProtocol';

export const repoRoot = resolve(__dirname, '..', '..', '..');
const bundle = join(repoRoot, 'dist', 'webview', 'policyEditor.js');
const stylesheet = join(repoRoot, 'media', 'policyEditor.css');

/** A few of the variables VS Code gives every webview, from its Light/Dark Modern themes. */
const THEMES: Record<'light' | 'dark', Record<string, string>> = {
  light: {
    foreground: '#3b3b3b',
    descriptionForeground: '#717171',
    'editor-background': '#ffffff',
    'sideBar-background': '#f8f8f8',
    'widget-border': '#e5e5e5',
    'input-background': '#ffffff',
    'input-foreground': '#3b3b3b',
    'input-border': '#cecece',
    'input-placeholderForeground': '#767676',
    'dropdown-background': '#ffffff',
    'dropdown-foreground': '#3b3b3b',
    'dropdown-border': '#cecece',
    'button-background': '#005fb8',
    'button-foreground': '#ffffff',
    'button-hoverBackground': '#0258a8',
    'button-secondaryBackground': '#e5e5e5',
    'button-secondaryForeground': '#3b3b3b',
    'button-secondaryHoverBackground': '#cccccc',
    focusBorder: '#005fb8',
    errorForeground: '#f85149',
    'editorWarning-foreground': '#bf8803',
    'editorInfo-foreground': '#1a85ff',
    'textLink-foreground': '#005fb8',
    'badge-background': '#cccccc',
    'badge-foreground': '#3b3b3b',
    'testing-iconPassed': '#388a34',
    'textCodeBlock-background': '#f8f8f8',
    'editorLineNumber-foreground': '#6e7681',
    'inputValidation-errorBackground': '#f2dede',
    'inputValidation-errorBorder': '#be1100',
    'inputValidation-infoBackground': '#d6ecf2',
    'tab-activeForeground': '#3b3b3b',
    'tab-inactiveForeground': '#868686',
    'panelTitle-activeBorder': '#005fb8',
    'progressBar-background': '#005fb8',
    'icon-foreground': '#3b3b3b',
    'toolbar-hoverBackground': 'rgba(184, 184, 184, 0.31)',
  },
  dark: {
    foreground: '#cccccc',
    descriptionForeground: '#9d9d9d',
    'editor-background': '#1f1f1f',
    'sideBar-background': '#181818',
    'widget-border': '#313131',
    'input-background': '#313131',
    'input-foreground': '#cccccc',
    'input-border': '#3c3c3c',
    'input-placeholderForeground': '#989898',
    'dropdown-background': '#313131',
    'dropdown-foreground': '#cccccc',
    'dropdown-border': '#3c3c3c',
    'button-background': '#0078d4',
    'button-foreground': '#ffffff',
    'button-hoverBackground': '#026ec1',
    'button-secondaryBackground': '#313131',
    'button-secondaryForeground': '#cccccc',
    'button-secondaryHoverBackground': '#3c3c3c',
    focusBorder: '#0078d4',
    errorForeground: '#f85149',
    'editorWarning-foreground': '#cca700',
    'editorInfo-foreground': '#3794ff',
    'textLink-foreground': '#4daafc',
    'badge-background': '#616161',
    'badge-foreground': '#f8f8f8',
    'testing-iconPassed': '#73c991',
    'textCodeBlock-background': '#2b2b2b',
    'editorLineNumber-foreground': '#6e7681',
    'inputValidation-errorBackground': '#5a1d1d',
    'inputValidation-errorBorder': '#be1100',
    'inputValidation-infoBackground': '#063b49',
    'tab-activeForeground': '#ffffff',
    'tab-inactiveForeground': '#9d9d9d',
    'panelTitle-activeBorder': '#0078d4',
    'progressBar-background': '#0078d4',
    'icon-foreground': '#cccccc',
    'toolbar-hoverBackground': 'rgba(90, 93, 94, 0.31)',
  },
};

function themeCss(theme: 'light' | 'dark'): string {
  const vars = Object.entries(THEMES[theme]).map(([k, v]) => `  --vscode-${k}: ${v};`);
  vars.push(`  --vscode-font-family: -apple-system, BlinkMacSystemFont, "Segoe WPC", "Segoe UI", "Ubuntu", "Droid Sans", sans-serif;`);
  vars.push(
    '  --vscode-font-size: 13px;',
    '  --vscode-editor-font-family: "Droid Sans Mono", "monospace", monospace;',
    '  --vscode-editor-font-size: 13px;',
  );
  return `:root {\n${vars.join('\n')}\n}\n`;
}

/** Runs first in the page (same nonce): the stand-in for VS Code's webview API. */
const stub = `
window.__posted = [];
window.__state = undefined;
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
window.acquireVsCodeApi = () => ({
  postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
  getState: () => window.__state,
  setState: (s) => { window.__state = s; },
});
`;

export interface WebviewPage {
  readonly page: Page;
  readonly url: string;
  /** Opens (or reopens) the editor page. */
  open(options?: { theme?: 'light' | 'dark'; width?: number; height?: number }): Promise<void>;
  fromHost(message: HostMessage | Record<string, unknown>): Promise<void>;
  posted(): Promise<WebviewMessage[]>;
  /** Waits until the webview has posted a message that matches, and returns it. */
  waitForPosted<T extends WebviewMessage>(match: (m: WebviewMessage) => m is T, timeoutMs?: number): Promise<T>;
  clearPosted(): Promise<void>;
  cspViolations(): Promise<string[]>;
  close(): Promise<void>;
}

export async function openWebviewPage(): Promise<WebviewPage> {
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run npm run build (or node scripts/build.mjs --no-tests) first.`);
  let theme: 'light' | 'dark' = 'light';
  let nonce = '';
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (type: string, body: string): void => {
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (path === '/policyEditor.js') return send('text/javascript', readFileSync(bundle, 'utf8'));
    if (path === '/policyEditor.css') return send('text/css', readFileSync(stylesheet, 'utf8'));
    if (path === '/theme.css') return send('text/css', themeCss(theme));
    if (path === '/index.html') {
      const origin = `http://${req.headers.host ?? ''}`;
      nonce = randomBytes(18).toString('base64');
      let html = policyEditorHtml({
        cspSource: origin,
        scriptUri: `${origin}/policyEditor.js`,
        styleUri: `${origin}/policyEditor.css`,
        nonce,
        title: 'Key policy',
      });
      // VS Code adds the theme's variables and a theme class itself; here a stylesheet of the same origin does.
      html = html.replace('<link rel="stylesheet"', `<link rel="stylesheet" href="${origin}/theme.css">\n<link rel="stylesheet"`);
      html = html.replace('<body>', `<body class="vscode-${theme}">`);
      html = html.replace(`<script nonce="${nonce}"`, `<script nonce="${nonce}">${stub}</script>\n<script nonce="${nonce}"`);
      return send('text/html', html);
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/index.html`;
  let browser: LaunchedBrowser;
  try {
    browser = await launchBrowser({ viewport: { width: 1000, height: 900 } });
  } catch (err) {
    server.close();
    throw err;
  }
  const { page } = browser;
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));

  const api: WebviewPage = {
    page,
    url,
    async open(options = {}) {
      theme = options.theme ?? 'light';
      await page.setViewportSize({ width: options.width ?? 1000, height: options.height ?? 900 });
      await page.goto(url, { waitUntil: 'load' });
      await page.waitForFunction(() => (window as unknown as { __posted: unknown[] }).__posted.length > 0);
      if (errors.length) throw new Error(`The webview threw: ${errors.join('; ')}`);
    },
    async fromHost(message) {
      await page.evaluate((m) => window.postMessage(m, '*'), message as Record<string, unknown>);
      // Let the message event run and the DOM update.
      await page.evaluate(() => new Promise((r) => setTimeout(r, 0)));
      if (errors.length) throw new Error(`The webview threw: ${errors.join('; ')}`);
    },
    posted: () => page.evaluate(() => (window as unknown as { __posted: WebviewMessage[] }).__posted),
    async waitForPosted(match, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = (await api.posted()).find(match);
        if (found) return found;
        if (Date.now() > deadline)
          throw new Error(`The webview did not post the expected message; it posted: ${JSON.stringify(await api.posted()).slice(0, 2000)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    clearPosted: () => page.evaluate(() => void ((window as unknown as { __posted: unknown[] }).__posted.length = 0)),
    cspViolations: () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp),
    async close() {
      await browser.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  return api;
}
