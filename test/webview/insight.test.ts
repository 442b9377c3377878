// The key usage / effective access webview bundle (dist/webview/insight.js) in real Chromium,
// under the host's HTML and Content Security Policy (insightHtml), driven through its message
// protocol: data shows as text (markup in principal names stays text), the chart has a bar
// per day with one rect per operation, Cancel and Refresh post their messages, and nothing
// breaks the CSP.
//
// Run: npm run build && npx mocha --no-config --node-option import=tsx --timeout 60000 test/webview/insight.test.ts
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { insightHtml } from '../../src/host/insight/insightHtml';
import type { AccessView, InsightHostMessage, UsageView } from '../../src/shared/insightProtocol';
import { launchBrowser, type LaunchedBrowser } from '../harness/browser';

const repoRoot = resolve(__dirname, '..', '..');
const bundle = join(repoRoot, 'dist', 'webview', 'insight.js');
const stylesheet = join(repoRoot, 'media', 'insight.css');
const hostile = '<img src=x onerror="window.__pwned=1">';

const stub = `
window.__posted = [];
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))) });
`;

const usage: UsageView = {
  kind: 'usage',
  keyLabel: 'orders',
  keyArn: 'arn:aws:kms:us-east-1:111122223333:key/k',
  days: 3,
  from: '2026-12-02T12:00:00.000Z',
  to: '2026-12-05T12:00:00.000Z',
  totalEvents: 5,
  truncated: false,
  daily: [
    { date: '2026-12-02', total: 0, byOperation: {} },
    { date: '2026-12-03', total: 1, byOperation: { Encrypt: 1 } },
    { date: '2026-12-04', total: 2, byOperation: { Decrypt: 2 } },
    { date: '2026-12-05', total: 2, byOperation: { Decrypt: 1, Encrypt: 1 } },
  ],
  operations: ['Decrypt', 'Encrypt'],
  topPrincipals: [
    { principal: hostile, count: 3, errors: 1 },
    { principal: 'arn:aws:iam::111122223333:user/test', count: 2, errors: 0 },
  ],
  topSources: [{ address: '10.0.0.1', count: 5 }],
  events: [
    {
      time: '2026-12-05T10:00:00.000Z',
      eventName: '<script>window.__pwned=2</script>',
      principal: hostile,
      sourceIPAddress: '10.0.0.1',
      errorCode: 'DisabledException',
    },
  ],
};

const access: AccessView = {
  kind: 'access',
  keyLabel: 'orders',
  keyArn: usage.keyArn,
  notes: ['IAM identity policies are not included.'],
  findings: [{ severity: 'high', title: 'Any principal', detail: hostile, where: 'statement Open' }],
  groups: [
    {
      title: 'Everyone',
      explanation: 'Any principal.',
      entries: [
        { principal: '*', description: 'anyone', actions: ['kms:*'], conditions: [hostile], source: 'policy', statementSid: 'Open' },
      ],
    },
  ],
};

describe('insight webview (Chromium, message protocol)', function () {
  this.timeout(60_000);
  let server: Server;
  let browser: LaunchedBrowser;
  let page: Page;
  let url: string;

  before(async function () {
    if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run npm run build first.`);
    server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const send = (type: string, body: string): void => {
        res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
        res.end(body);
      };
      if (path === '/insight.js') return send('text/javascript', readFileSync(bundle, 'utf8'));
      if (path === '/insight.css') return send('text/css', readFileSync(stylesheet, 'utf8'));
      if (path === '/index.html') {
        const origin = `http://${req.headers.host ?? ''}`;
        const nonce = randomBytes(18).toString('base64');
        const html = insightHtml({
          cspSource: origin,
          scriptUri: `${origin}/insight.js`,
          styleUri: `${origin}/insight.css`,
          nonce,
          title: 'Key usage',
        });
        return send(
          'text/html',
          html.replace(`<script nonce="${nonce}"`, `<script nonce="${nonce}">${stub}</script>\n<script nonce="${nonce}"`),
        );
      }
      res.writeHead(404);
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/index.html`;
    browser = await launchBrowser({ viewport: { width: 1000, height: 800 } });
    page = browser.page;
  });

  after(async () => {
    await browser?.close();
    server?.close();
  });

  const post = (m: InsightHostMessage): Promise<void> => page.evaluate((message) => window.postMessage(message, '*'), m);
  const posted = (): Promise<unknown[]> => page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted);

  beforeEach(async () => {
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForFunction(() => (window as unknown as { __posted: unknown[] }).__posted.length > 0);
    assert.deepEqual(await posted(), [{ type: 'ready' }]);
  });

  it('labels 90 days with a few dates, the last one inside the chart rather than cut off at its edge', async () => {
    const daily = Array.from({ length: 91 }, (_, i) => {
      const date = new Date(Date.UTC(2026, 8, 7 + i)).toISOString().slice(0, 10);
      const byOperation: Record<string, number> = i === 90 ? { Decrypt: 2 } : {};
      return { date, total: i === 90 ? 2 : 0, byOperation };
    });
    await post({ type: 'usage', view: { ...usage, days: 90, daily, events: [] } });
    await page.locator('svg.chart').waitFor();
    const labels = await page.evaluate(() => {
      type Label = { textContent: string | null; getBBox(): { x: number; width: number } };
      const svg = document.querySelector('svg.chart') as unknown as {
        querySelectorAll(selector: string): Iterable<Label>;
        viewBox: { baseVal: { width: number } };
      };
      return [...svg.querySelectorAll('text.axis')]
        .filter((t) => /^\d\d-\d\d$/.test(t.textContent ?? ''))
        .map((t) => ({ text: t.textContent, right: t.getBBox().x + t.getBBox().width, width: svg.viewBox.baseVal.width }));
    });
    assert.ok(labels.length >= 5 && labels.length <= 8, `${labels.length} date labels`);
    assert.equal(labels[0].text, '09-07');
    const last = labels.at(-1)!;
    assert.equal(last.text, '12-06');
    assert.ok(last.right <= last.width, `the last date ends at ${last.right}, beyond the chart's ${last.width}`);
  });

  it('draws the usage: a bar per day, a rect per operation of the day, text-only data, no CSP violation', async () => {
    await post({ type: 'usage', view: usage });
    await page.locator('svg.chart').waitFor();
    assert.equal(await page.locator('svg.chart g.bar').count(), 4);
    assert.equal(await page.locator('svg.chart g.bar rect').count(), 4, '0 + 1 + 1 + 2 rects');
    assert.equal(await page.locator('svg.chart g.bar').nth(3).locator('title').textContent(), '2026-12-05: 2 calls (Decrypt 1, Encrypt 1)');
    assert.equal(await page.locator('svg.chart g.bar').nth(3).locator('rect.series-0').count(), 1, 'Decrypt in the first series colour');
    assert.ok((await page.locator('body').innerText()).includes(hostile), 'the markup shows as text');
    assert.equal(await page.locator('#app img, #app script').count(), 0);
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    assert.deepEqual(await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp), []);
    await page.locator('select').selectOption('30');
    await page.getByRole('button', { name: 'Refresh' }).click();
    assert.deepEqual((await posted()).at(-1), { type: 'reload', days: 30 });
  });

  it('shows progress with Cancel, errors with Try Again, and the access view as text', async () => {
    await post({ type: 'loading', title: 'Key usage: orders', detail: 'Reading…', cancellable: true });
    await post({ type: 'progress', detail: '50 events read in 1 call' });
    assert.equal(await page.locator('#progress').textContent(), '50 events read in 1 call');
    await page.getByRole('button', { name: 'Cancel' }).click();
    assert.deepEqual((await posted()).at(-1), { type: 'cancel' });
    await post({ type: 'error', title: 'Key usage: orders', message: hostile });
    assert.equal(await page.getByRole('alert').textContent(), hostile);
    await page.getByRole('button', { name: 'Try Again' }).click();
    assert.deepEqual((await posted()).at(-1), { type: 'reload' });
    await post({ type: 'access', view: access });
    await page.getByRole('heading', { name: 'Who can use orders' }).waitFor();
    assert.match(await page.locator('body').innerText(), /IAM identity policies are not included\./);
    assert.equal(await page.locator('.conditions li').textContent(), hostile);
    assert.equal(await page.locator('#app img').count(), 0);
    assert.deepEqual(await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp), []);
  });
});
