/**
 * Text from servers and files (key descriptions, tags, aliases, ARNs from message headers,
 * encryption-context values, error messages) shown as text: whatever it holds, it cannot
 * become Markdown, a link, a `command:` URI, an icon or a line break where it is shown.
 *
 * - Control characters, line and paragraph separators, bidirectional controls and
 *   zero-width characters become visible escapes (`\n`, `\u202E`), so what is shown is what
 *   is there: nothing hides, reorders or splits the text around it.
 * - In Markdown, every ASCII punctuation character is backslash-escaped (CommonMark allows
 *   it for all of them), so no heading, list, emphasis, link, autolink, HTML or entity forms;
 *   identifiers go in a code span fenced with more backticks than any run inside.
 * - In labels that render `$(icon)` syntax (quick picks, CodeLens titles, the status bar)
 *   the icon syntax is escaped; in notifications the link syntax `[text](target)` is broken.
 */

/** Characters that would act instead of showing: C0/C1 controls, separators, bidi and zero-width controls. */
const INVISIBLE =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u206f\u3164\ufeff\ufff9-\ufffb]/g;
const INVISIBLE_BUT_LINES =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u206f\u3164\ufeff\ufff9-\ufffb]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeOne(ch: string): string {
  return NAMED[ch] ?? `\\u${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Controls made visible as escapes (`\r`, `\n`, `\t`, `\u202E`). With `keepLineBreaks`,
 * `\n` and `\t` stay (and `\r\n` reads as `\n`): for multi-line plain text such as a
 * dialog's detail.
 */
export function visibleControls(text: string, options: { readonly keepLineBreaks?: boolean } = {}): string {
  if (options.keepLineBreaks) return text.replace(/\r\n/g, '\n').replace(INVISIBLE_BUT_LINES, escapeOne);
  return text.replace(INVISIBLE, escapeOne);
}

/** One line of plain text (tree labels and descriptions, plain tooltips, Explorer decorations). */
export function inertLine(text: string): string {
  return visibleControls(text);
}

/**
 * One line for places that render `$(icon)` syntax: quick pick items, CodeLens titles,
 * status bar text. `\$(` is VS Code's escape for a literal `$(`.
 */
export function inertLabel(text: string): string {
  return visibleControls(text).replace(/\$\(/g, '\\$(');
}

/**
 * Text for a notification or dialog, which turn `[text](https:…|command:…)` into links:
 * the link syntax is broken (`] (`), controls made visible (line breaks kept when asked).
 */
export function inertMessage(text: string, options: { readonly keepLineBreaks?: boolean } = {}): string {
  return visibleControls(text, options).replace(/\]\(/g, '] (');
}

/**
 * Text inside Markdown, shown as written on the line it is on. With `themeIcons` (a
 * MarkdownString made with supportThemeIcons, which turns `$(name)` into an icon after the
 * Markdown is rendered), a `$` is escaped twice so `$(name)` stays text.
 */
export function markdownText(text: string, options: { readonly themeIcons?: boolean } = {}): string {
  const escaped = visibleControls(text).replace(/[!-/:-@[-`{-~]/g, '\\$&');
  return options.themeIcons ? escaped.replace(/\\\$/g, '\\\\\\$$') : escaped;
}

/**
 * An inline code span holding the text as written (ids, ARNs, contexts read and copy better
 * that way): fenced with one backtick more than the longest run of backticks inside, and
 * padded with a space where the text starts or ends with a backtick or a space (CommonMark
 * strips one space from each side). Empty text is shown as `(empty)`.
 */
export function markdownCode(text: string): string {
  const shown = visibleControls(text);
  if (shown === '') return '_(empty)_';
  const longest = Math.max(0, ...(shown.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = /^[` ]|[` ]$/.test(shown) ? ' ' : '';
  return `${fence}${pad}${shown}${pad}${fence}`;
}
