/**
 * A small element builder: every text goes in through textContent (policy text is data and
 * may contain anything), no innerHTML, no inline styles (the CSP forbids them).
 */

export type Child = Node | string | false | null | undefined | readonly Child[];

export interface Props {
  readonly id?: string;
  readonly class?: string | readonly (string | false | undefined)[];
  readonly text?: string;
  readonly title?: string;
  readonly attrs?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly on?: Readonly<Record<string, (event: Event) => void>>;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.id) el.id = props.id;
  if (props.class) el.className = typeof props.class === 'string' ? props.class : props.class.filter(Boolean).join(' ');
  if (props.title) el.title = props.title;
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    if (value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const [event, handler] of Object.entries(props.on ?? {})) el.addEventListener(event, handler);
  if (props.text !== undefined) el.textContent = props.text;
  append(el, children);
  return el;
}

export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === false || child === null || child === undefined) continue;
    if (Array.isArray(child)) append(parent, child as readonly Child[]);
    else parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : (child as Node));
  }
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An icon from path data (16×16 view box, drawn with currentColor), hidden from screen readers. */
export function icon(name: keyof typeof ICONS): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('width', '16');
  svg.setAttribute('height', '16');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', `icon icon-${name}`);
  for (const d of ICONS[name]) {
    const path = document.createElementNS(SVG_NS, 'path');
    path.setAttribute('d', d);
    svg.appendChild(path);
  }
  return svg;
}

/** Simple stroked glyphs in the spirit of codicons (which this extension does not ship). */
export const ICONS = {
  add: ['M8 3v10M3 8h10'],
  remove: ['M4 4l8 8M12 4l-8 8'],
  trash: ['M3 4.5h10', 'M6.5 4.5V3h3v1.5', 'M4.5 4.5l.7 8.5h5.6l.7-8.5', 'M7 7v4M9 7v4'],
  up: ['M8 13V3', 'M4 7l4-4 4 4'],
  down: ['M8 3v10', 'M4 9l4 4 4-4'],
  chevronDown: ['M4 6l4 4 4-4'],
  chevronRight: ['M6 4l4 4-4 4'],
  error: ['M8 1.5a6.5 6.5 0 1 0 0 13 6.5 6.5 0 0 0 0-13z', 'M5.5 5.5l5 5M10.5 5.5l-5 5'],
  warning: ['M8 2L1.5 13.5h13z', 'M8 6.5v3.5', 'M8 11.5v.5'],
  info: ['M8 1.5a6.5 6.5 0 1 0 0 13 6.5 6.5 0 0 0 0-13z', 'M8 7v4.5', 'M8 4.5v.5'],
  json: [
    'M5.5 2.5c-1.5 0-2 .5-2 2v1.5c0 1-.5 2-1.5 2 1 0 1.5 1 1.5 2v1.5c0 1.5.5 2 2 2',
    'M10.5 2.5c1.5 0 2 .5 2 2v1.5c0 1 .5 2 1.5 2-1 0-1.5 1-1.5 2v1.5c0 1.5-.5 2-2 2',
  ],
  diff: ['M2.5 2.5h11v11h-11z', 'M8 2.5v11', 'M4.5 6h2M5.5 5v2', 'M9.5 10h2'],
  refresh: ['M13 8a5 5 0 1 1-1.5-3.5', 'M13 2.5V5h-2.5'],
  save: ['M3 2.5h8l2.5 2.5v8.5h-10.5z', 'M5.5 2.5v3h5v-3', 'M5 13.5v-4.5h6v4.5'],
  key: ['M10.5 2.5a3 3 0 1 1 0 6 3 3 0 0 1 0-6z', 'M8.3 7.7L3 13l1.5 1.5', 'M5 11l1.5 1.5'],
  shield: ['M8 1.5l5.5 2v4c0 3.5-2.5 6-5.5 7-3-1-5.5-3.5-5.5-7v-4z'],
} as const;
