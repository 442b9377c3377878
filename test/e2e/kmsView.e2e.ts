// The KMS activity-bar container opens in the real workbench (code-server + Chromium).
import * as assert from 'node:assert/strict';
import { startE2eEnvironment, type E2eEnvironment } from './support/environment';
import { activityBarEntry, isActivityOpen, openActivity, screenshot, viewPane, waitForSideBarIdle } from './support/workbench';

describe('KMS view in the workbench', function () {
  this.timeout(180_000);
  let env: E2eEnvironment | undefined;

  before(async () => {
    env = await startE2eEnvironment();
  });

  after(async () => {
    await env?.close();
  });

  it('opens the KMS container from the activity bar and shows the Keys view', async () => {
    const { page } = env!;
    await activityBarEntry(page, 'KMS').waitFor({ state: 'visible', timeout: 60_000 });
    await openActivity(page, 'KMS');
    assert.equal(await isActivityOpen(page, 'KMS'), true, 'the KMS activity-bar entry is not selected');
    await viewPane(page, 'Keys').locator('.pane-body').waitFor({ state: 'visible', timeout: 30_000 });
    await waitForSideBarIdle(page);
    const path = await screenshot(page, 'kms-view');
    console.log(`      screenshot: ${path}`);
  });
});
