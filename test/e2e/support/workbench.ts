// Helpers for driving the real VS Code workbench (code-server) from e2e tests.
// Selectors follow VS Code 1.100's DOM; keep them here so a VS Code update is fixed once.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Frame, type Locator, type Page } from 'playwright-core';
import { repoRoot, type CodeServer } from '../../harness/codeServer';

export const screenshotDir = join(repoRoot, 'test-output', 'screenshots');

export interface OpenWorkbenchOptions {
  /** Load an extension from this folder, as `--extensionDevelopmentPath` does (via the `payload` query). */
  extensionDevelopmentPath?: string;
}

/** Navigates to the workbench for `folder` and waits until it is usable. */
export async function openWorkbench(page: Page, server: CodeServer, folder: string, options: OpenWorkbenchOptions = {}): Promise<void> {
  const payload: [string, string][] = [['skipWelcome', 'true']];
  if (options.extensionDevelopmentPath) {
    payload.push(['extensionDevelopmentPath', `vscode-remote://${new URL(server.url).host}${options.extensionDevelopmentPath}`]);
  }
  await page.goto(server.workbenchUrl(folder, payload), { waitUntil: 'domcontentloaded', timeout: 60_000 });
  await waitForWorkbench(page);
}

/** Waits for the workbench shell, the activity bar and the explorer of the opened folder. */
export async function waitForWorkbench(page: Page, timeoutMs = 60_000): Promise<void> {
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: timeoutMs });
  await page.locator('.part.activitybar').waitFor({ state: 'visible', timeout: timeoutMs });
  await page.locator('.part.statusbar').waitFor({ state: 'visible', timeout: timeoutMs });
  // The remote connection and extension host are up once the status bar shows the remote host entry.
  await page
    .locator('.part.statusbar [id="status.host"], .part.statusbar [aria-label*="remote" i]')
    .first()
    .waitFor({ state: 'attached', timeout: timeoutMs })
    .catch(() => undefined);
}

/** The clickable activity-bar entry of a view container, by the start of its title (e.g. "KMS"). */
export function activityBarEntry(page: Page, title: string): Locator {
  return page.locator(`.part.activitybar .action-item > [aria-label^="${title}"]`).first();
}

/** Whether the view container's activity-bar entry is the selected one (its side bar is open). */
export async function isActivityOpen(page: Page, title: string): Promise<boolean> {
  const item = page
    .locator('.part.activitybar li.action-item')
    .filter({ has: page.locator(`[aria-label^="${title}"]`) })
    .first();
  return (await item.getAttribute('aria-selected')) === 'true';
}

/** Opens a view container from the activity bar (clicks its entry unless it is already open). */
export async function openActivity(page: Page, title: string): Promise<void> {
  const entry = activityBarEntry(page, title);
  await entry.waitFor({ state: 'visible', timeout: 60_000 });
  if (!(await isActivityOpen(page, title))) await entry.click();
  await page.locator('.part.sidebar .composite.title').filter({ hasText: title }).first().waitFor({ state: 'visible', timeout: 30_000 });
}

/**
 * A view in the side bar by its name (e.g. "Keys"). Its header is hidden while it is the
 * container's only view, so the pane is found by the header's accessible label.
 */
export function viewPane(page: Page, name: string): Locator {
  return page
    .locator('.part.sidebar .pane')
    .filter({ has: page.locator(`.pane-header[aria-label^="${name}"]`) })
    .first();
}

/**
 * Collapses a view of the side bar (e.g. "Workspace Secrets", which shares the KMS container),
 * so the other views get its height: the tree renders only the rows that fit.
 */
export async function collapseView(page: Page, name: string): Promise<void> {
  const header = page.locator(`.part.sidebar .pane-header[aria-label^="${name}"]`).first();
  if (!(await header.isVisible().catch(() => false))) return;
  if ((await header.getAttribute('aria-expanded')) === 'true') await header.click();
  await page.waitForFunction(
    (label) => document.querySelector(`.part.sidebar .pane-header[aria-label^="${label}"]`)?.getAttribute('aria-expanded') !== 'true',
    name,
    { timeout: 10_000 },
  );
}

/** Runs a command through the command palette (F1) by its title, e.g. "KMS: Show Log". */
export async function runCommand(page: Page, title: string): Promise<void> {
  const input = page.locator('.quick-input-widget input.input');
  // F1 pressed while a webview (an iframe) has focus can be lost before the webview forwards
  // it to the workbench. Then the Command Center in the title bar opens the same quick input
  // by a click (the text typed below starts with ">", which makes it the command palette).
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Escape');
    if (attempt === 1) {
      await page
        .locator('.monaco-workbench')
        .click({ position: { x: 5, y: 5 }, force: true })
        .catch(() => undefined);
      await page.keyboard.press('F1');
    } else {
      await page
        .locator('.part.titlebar .command-center')
        .first()
        .click({ timeout: 5_000 })
        .catch(() => undefined);
    }
    try {
      await input.waitFor({ state: 'visible', timeout: attempt < 3 ? 5_000 : 15_000 });
      break;
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-widget .monaco-list-row').filter({ hasText: title }).first();
  await row.waitFor({ state: 'visible', timeout: 15_000 });
  await row.click();
}

/** Answers an open quick input (input box or pick list): types the text and presses Enter. */
export async function answerQuickInput(page: Page, text: string): Promise<void> {
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(text);
  await page.keyboard.press('Enter');
}

/** Picks an item in an open quick pick by (part of) its label. */
export async function pickQuickItem(page: Page, label: string | RegExp): Promise<void> {
  const row = page.locator('.quick-input-widget .monaco-list-row').filter({ hasText: label }).first();
  await row.waitFor({ state: 'visible', timeout: 15_000 });
  await row.click();
}

/**
 * A tree item (in any tree view) by its visible text: label and description, e.g.
 * /^Aliases/ (the accessible name can differ: the KMS view sets it to the tooltip).
 * A string matches any part of the text, case-insensitively.
 */
export function treeItem(page: Page, text: string | RegExp): Locator {
  return page.getByRole('treeitem').filter({ hasText: text }).first();
}

/** Clicks a tree item; `expand` also opens it when it is collapsed. */
export async function clickTreeItem(page: Page, text: string | RegExp, options: { expand?: boolean } = {}): Promise<Locator> {
  const item = treeItem(page, text);
  await item.waitFor({ state: 'visible', timeout: 30_000 });
  await item.click();
  if (options.expand && (await item.getAttribute('aria-expanded')) === 'false') await item.press('ArrowRight');
  return item;
}

/** Opens the context menu of a tree item and chooses an entry. */
export async function treeItemContextMenu(page: Page, text: string | RegExp, entry: string): Promise<void> {
  const item = treeItem(page, text);
  await item.click({ button: 'right' });
  const menuItem = page.locator('.context-view .action-item').filter({ hasText: entry }).first();
  await menuItem.waitFor({ state: 'visible', timeout: 15_000 });
  await menuItem.click();
}

/** Opens a workspace file through Quick Open (Ctrl+P) by its path relative to the folder. */
export async function openFile(page: Page, relativePath: string): Promise<void> {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(relativePath);
  const name = relativePath.split('/').pop()!;
  await page
    .locator('.quick-input-widget .monaco-list-row')
    .filter({ hasText: name })
    .first()
    .waitFor({ state: 'visible', timeout: 15_000 });
  await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab.active').filter({ hasText: name }).waitFor({ state: 'visible', timeout: 15_000 });
}

/** The visible text of the active editor (Monaco renders only the lines in view). */
export async function activeEditorText(page: Page): Promise<string> {
  return page.locator('.editor-group-container.active .monaco-editor .view-lines').first().innerText();
}

/** Waits until no progress bar runs in the side bar (a tree view loading its items). */
export async function waitForSideBarIdle(page: Page, timeoutMs = 30_000): Promise<void> {
  await page.locator('.part.sidebar .monaco-progress-container.active').first().waitFor({ state: 'hidden', timeout: timeoutMs });
}

/** Texts of the notification toasts currently shown. */
export async function notifications(page: Page): Promise<string[]> {
  return page.locator('.notification-toast .notification-list-item-message').allInnerTexts();
}

/** Waits for a notification toast containing `text` and returns its locator. */
export async function waitForNotification(page: Page, text: string | RegExp, timeoutMs = 30_000): Promise<Locator> {
  const toast = page.locator('.notification-toast').filter({ hasText: text }).first();
  await toast.waitFor({ state: 'visible', timeout: timeoutMs });
  return toast;
}

/** The frame of a webview whose document contains `selector` (webviews live in nested iframes). */
export async function webviewFrame(page: Page, selector: string, timeoutMs = 30_000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      if (
        await frame
          .locator(selector)
          .count()
          .catch(() => 0)
      )
        return frame;
    }
    await page.waitForTimeout(250);
  }
  throw new Error(`no webview frame contains ${selector}`);
}

/** Saves a full-window screenshot to test-output/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  await page.screenshot({ path });
  return path;
}
