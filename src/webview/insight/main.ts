// The key usage / effective access webview. Everything shown comes from the host as JSON and
// goes into the page through textContent and attributes, never innerHTML; no inline styles
// (the CSP forbids them): colours and sizes come from classes in media/insight.css, which use
// VS Code's theme variables, so light, dark and high-contrast themes all apply.
import type { AccessView, InsightHostMessage, InsightWebviewMessage, UsageView } from '../../shared/insightProtocol';

interface VsCodeApi {
  postMessage(message: InsightWebviewMessage): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
const vscode = acquireVsCodeApi();

type Child = Node | string | false | null | undefined | readonly Child[];

function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { class?: string; text?: string; title?: string; attrs?: Record<string, string>; on?: Record<string, (e: Event) => void> } = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.title) el.title = props.title;
  for (const [k, v] of Object.entries(props.attrs ?? {})) el.setAttribute(k, v);
  for (const [k, f] of Object.entries(props.on ?? {})) el.addEventListener(k, f);
  if (props.text !== undefined) el.textContent = props.text;
  append(el, children);
  return el;
}

function append(parent: Node, children: readonly Child[]): void {
  for (const c of children) {
    if (c === false || c === null || c === undefined) continue;
    if (Array.isArray(c)) append(parent, c as readonly Child[]);
    else parent.appendChild(typeof c === 'string' ? document.createTextNode(c) : (c as Node));
  }
}

const SVG = 'http://www.w3.org/2000/svg';
function s(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

const app = document.getElementById('app') as HTMLElement;

function show(...children: Child[]): void {
  app.replaceChildren();
  append(app, children);
}

const fmtTime = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;

// ---- usage -----------------------------------------------------------------------------

/** Series colours: classes series-0 … series-7 (theme chart colours), the rest "other". */
const SERIES = 8;

function chart(view: UsageView): SVGElement {
  const width = 760;
  const height = 220;
  const left = 44;
  const bottom = 28;
  const top = 10;
  const plotH = height - bottom - top;
  const days = view.daily;
  const max = Math.max(1, ...days.map((d) => d.total));
  const step = Math.pow(10, Math.floor(Math.log10(max)));
  const yMax = Math.ceil(max / step) * step;
  const barW = (width - left - 8) / Math.max(1, days.length);
  const svg = s('svg', {
    viewBox: `0 0 ${width} ${height}`,
    class: 'chart',
    role: 'img',
    'aria-label': `Calls per day by operation over the last ${view.days} days`,
  });
  for (const frac of [0, 0.5, 1]) {
    const y = top + plotH - frac * plotH;
    svg.appendChild(s('line', { x1: left, x2: width - 4, y1: y, y2: y, class: 'grid' }));
    svg.appendChild(s('text', { x: left - 6, y: y + 4, class: 'axis', 'text-anchor': 'end' }, String(Math.round(yMax * frac))));
  }
  const order = view.operations;
  days.forEach((day, i) => {
    const x = left + i * barW;
    let y = top + plotH;
    const g = s('g', { class: 'bar' });
    const parts: string[] = [];
    order.forEach((op, index) => {
      const n = day.byOperation[op] ?? 0;
      if (!n) return;
      parts.push(`${op} ${n}`);
      const h2 = (n / yMax) * plotH;
      y -= h2;
      g.appendChild(
        s('rect', {
          x: x + 1,
          y,
          width: Math.max(1, barW - 2),
          height: Math.max(0.5, h2),
          class: index < SERIES ? `series-${index}` : 'series-other',
        }),
      );
    });
    g.appendChild(
      s('title', {}, `${day.date}: ${day.total} call${day.total === 1 ? '' : 's'}${parts.length ? ` (${parts.join(', ')})` : ''}`),
    );
    svg.appendChild(g);
  });
  const labelEvery = Math.max(1, Math.ceil(days.length / 6));
  const last = days.length - 1;
  days.forEach((day, i) => {
    // Every labelEvery-th day, and the last day, which ends at the chart's right edge (centred, it was cut off).
    const isLast = i === last;
    if (!isLast && (i % labelEvery !== 0 || last - i < labelEvery / 2)) return;
    const x = isLast && i > 0 ? left + (i + 1) * barW : left + i * barW + barW / 2;
    svg.appendChild(s('text', { x, y: height - 8, class: 'axis', 'text-anchor': isLast && i > 0 ? 'end' : 'middle' }, day.date.slice(5)));
  });
  return svg;
}

function legend(view: UsageView): HTMLElement {
  const totals = new Map<string, number>();
  for (const d of view.daily) for (const [op, n] of Object.entries(d.byOperation)) totals.set(op, (totals.get(op) ?? 0) + n);
  return h(
    'ul',
    { class: 'legend' },
    view.operations.map((op, i) =>
      h(
        'li',
        {},
        h('span', { class: `swatch ${i < SERIES ? `series-${i}` : 'series-other'}`, attrs: { 'aria-hidden': 'true' } }),
        `${op} (${totals.get(op) ?? 0})`,
      ),
    ),
  );
}

function table(headers: readonly string[], rows: readonly (readonly string[])[], empty: string, caption?: string): HTMLElement {
  if (!rows.length) return h('p', { class: 'muted', text: empty });
  return h(
    'table',
    {},
    caption ? h('caption', { text: caption }) : null,
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((t) => h('th', { text: t, attrs: { scope: 'col' } })),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((r) =>
        h(
          'tr',
          {},
          r.map((c) => h('td', { text: c })),
        ),
      ),
    ),
  );
}

function daysPicker(current: number): HTMLElement {
  const select = h(
    'select',
    { attrs: { 'aria-label': 'Days' } },
    [7, 30, 90].map((d) => {
      const o = h('option', { text: `Last ${d} days`, attrs: { value: String(d) } });
      if (d === current) o.selected = true;
      return o;
    }),
  );
  return h(
    'div',
    { class: 'toolbar' },
    select,
    h('button', { text: 'Refresh', on: { click: () => vscode.postMessage({ type: 'reload', days: Number(select.value) }) } }),
  );
}

function renderUsage(view: UsageView): void {
  show(
    h('header', {}, h('h1', { text: `Key usage: ${view.keyLabel}` }), daysPicker(view.days)),
    h('p', {
      class: 'muted',
      text:
        `${view.totalEvents} CloudTrail event${view.totalEvents === 1 ? '' : 's'} ` +
        `naming ${view.keyArn}, ${view.from.slice(0, 10)} to ${view.to.slice(0, 10)} (UTC). ` +
        'CloudTrail delivers events within about 5 minutes.',
    }),
    view.truncated
      ? h('p', {
          class: 'warning',
          text: 'Only the newest events were read (the lookup stops at 10,000 events): the oldest days may show fewer calls than were made.',
        })
      : null,
    h(
      'section',
      { class: 'chart-section' },
      h('h2', { text: 'Calls per day by operation' }),
      view.totalEvents ? [chart(view), legend(view)] : h('p', { class: 'muted', text: 'No calls in this period.' }),
    ),
    h(
      'div',
      { class: 'columns' },
      h(
        'section',
        {},
        h('h2', { text: 'Top principals' }),
        table(
          ['Principal', 'Calls', 'Failed'],
          view.topPrincipals.map((p) => [p.principal, String(p.count), String(p.errors)]),
          'None.',
        ),
      ),
      h(
        'section',
        {},
        h('h2', { text: 'Top source addresses' }),
        table(
          ['Source', 'Calls'],
          view.topSources.map((p) => [p.address, String(p.count)]),
          'None.',
        ),
      ),
    ),
    h(
      'section',
      {},
      h('h2', { text: 'Events' }),
      table(
        ['Time (UTC)', 'Operation', 'Principal', 'Source', 'Error'],
        view.events.map((e) => [fmtTime(e.time), e.eventName, e.principal, e.sourceIPAddress, e.errorCode ?? '']),
        'No events.',
      ),
    ),
  );
}

// ---- access ----------------------------------------------------------------------------

function renderAccess(view: AccessView): void {
  show(
    h('header', {}, h('h1', { text: `Who can use ${view.keyLabel}` })),
    view.notes.map((n) => h('p', { class: 'note', text: n })),
    h(
      'section',
      {},
      h('h2', { text: `Findings (${view.findings.length})` }),
      view.findings.length
        ? h(
            'ul',
            { class: 'findings' },
            view.findings.map((f) =>
              h(
                'li',
                { class: `finding ${f.severity}` },
                h('span', { class: 'severity', text: f.severity }),
                h('strong', { text: f.title }),
                ' ',
                h('span', { class: 'muted', text: `(${f.where})` }),
                h('div', { text: f.detail }),
              ),
            ),
          )
        : h('p', { class: 'muted', text: 'Nothing a reviewer would flag in the key policy and grants.' }),
    ),
    view.groups.map((g) =>
      h(
        'section',
        {},
        h('h2', { text: `${g.title} (${g.entries.length})` }),
        h('p', { class: 'muted', text: g.explanation }),
        g.entries.length
          ? h(
              'ul',
              { class: 'principals' },
              g.entries.map((e) =>
                h(
                  'li',
                  {},
                  h('div', { class: 'principal', text: e.principal }),
                  h('div', {
                    class: 'muted',
                    text: `${e.description} · ${e.source === 'grant' ? `grant ${e.grantId ?? ''}` : `policy statement ${e.statementSid ?? '(no Sid)'}`}`,
                  }),
                  h('div', { class: 'actions', text: e.actions.join(', ') }),
                  e.conditions.length
                    ? h(
                        'ul',
                        { class: 'conditions' },
                        e.conditions.map((c) => h('li', { text: c })),
                      )
                    : h('div', { class: 'muted', text: 'No conditions.' }),
                ),
              ),
            )
          : h('p', { class: 'muted', text: 'None.' }),
      ),
    ),
  );
}

// ---- messages --------------------------------------------------------------------------

function renderLoading(title: string, detail: string, cancellable: boolean): void {
  show(
    h('header', {}, h('h1', { text: title })),
    h('p', { class: 'progress', attrs: { id: 'progress' }, text: detail }),
    cancellable ? h('button', { text: 'Cancel', on: { click: () => vscode.postMessage({ type: 'cancel' }) } }) : null,
  );
}

window.addEventListener('message', (event: MessageEvent) => {
  const m = event.data as InsightHostMessage;
  switch (m.type) {
    case 'loading':
      renderLoading(m.title, m.detail, m.cancellable);
      break;
    case 'progress': {
      const p = document.getElementById('progress');
      if (p) p.textContent = m.detail;
      break;
    }
    case 'error':
      show(
        h('header', {}, h('h1', { text: m.title })),
        h('p', { class: 'error', attrs: { role: 'alert' }, text: m.message }),
        h('button', { text: 'Try Again', on: { click: () => vscode.postMessage({ type: 'reload' }) } }),
      );
      break;
    case 'usage':
      renderUsage(m.view);
      break;
    case 'access':
      renderAccess(m.view);
      break;
  }
});

vscode.postMessage({ type: 'ready' });
