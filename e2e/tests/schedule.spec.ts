// Scheduled access: alice asks for access that starts a little later, sees it
// Scheduled with its start, and then Active once the worker reaches it.
import { test, expect, logIn, snapshot } from '../fixtures';

const GOOD_JUSTIFICATION =
  'Reviewing the docs release for OPS-1423 tonight; I need read access because the release notes live there';

test('alice schedules access for later and sees it become Active', async ({ page }, testInfo) => {
  await page.goto('/new-request');
  await logIn(page, 'alice');
  await page.getByLabel('Search').fill('docs');
  await page.getByRole('checkbox', { name: 'docs', exact: true }).check();
  await page.getByRole('link', { name: 'Next' }).click();
  await expect(page.getByRole('heading', { name: 'Complete Additional Details' })).toBeVisible();

  await page.getByLabel('Why do you need this access?').fill(GOOD_JUSTIFICATION);
  await page.getByRole('radio', { name: 'Start later' }).check();
  // A start some seconds ahead, in the browser's local time (the worker
  // passes four times a second; the real clock has to get there).
  const start = await page.evaluate(() => {
    const at = new Date(Date.now() + 12_000);
    const two = (n: number) => String(n).padStart(2, '0');
    return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())}T${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}`;
  });
  await page.getByLabel('Start at (your local time)').fill(start);
  await snapshot(page, testInfo, 'start-later');
  await page.getByRole('button', { name: 'Submit Request' }).click();

  const dialog = page.getByRole('dialog', { name: 'Access Scheduled' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByText('Scheduled', { exact: true })).toBeVisible();
  await dialog.getByRole('link', { name: 'My Requests' }).click();

  const card = page.getByRole('list', { name: 'Requests' }).getByRole('listitem').filter({ hasText: 'GitHub self-service' });
  await expect(card).toContainText('Scheduled');
  await expect(card).toContainText('Starts ');
  await expect(
    page.getByRole('group', { name: 'Filter by status' }).getByRole('button', { name: /1\s*Scheduled/ }),
  ).toBeVisible();
  await snapshot(page, testInfo, 'scheduled');

  // The details panel says when it starts, and offers Cancel.
  await card.getByRole('button').first().click();
  const panel = page.getByRole('dialog', { name: /Access Request #/ });
  await expect(panel.getByText('Starts', { exact: true })).toBeVisible();
  await expect(panel.getByRole('button', { name: 'Cancel request' })).toBeVisible();
  await snapshot(page, testInfo, 'scheduled-details');
  await page.keyboard.press('Escape');

  // Once its start has come, it is Active.
  await expect(async () => {
    await page.reload();
    await expect(card).toContainText('Active', { timeout: 1_000 });
  }).toPass({ timeout: 40_000 });
  await expect(card).toContainText('left');
  await snapshot(page, testInfo, 'active');
});

test('alice asks for the weekly maintenance window of the orders database', async ({ page }, testInfo) => {
  await page.goto('/new-request');
  await logIn(page, 'alice');
  await page.getByLabel('Search').fill('orders');
  await page.getByRole('checkbox', { name: 'orders', exact: true }).check();
  await page.getByRole('link', { name: 'Next' }).click();

  await page.getByLabel('Why do you need this access?').fill(GOOD_JUSTIFICATION);
  // Production databases offers Tuesdays 22:00 for 4 hours in Berlin.
  await page.getByRole('radio', { name: 'Recurring: Tuesdays 22:00–02:00 (Europe/Berlin)' }).check();
  await expect(page.getByLabel('Duration')).toBeHidden();
  await page.getByLabel('For how many weeks').fill('3');
  await snapshot(page, testInfo, 'recurring');
  await page.getByRole('button', { name: 'Submit Request' }).click();

  const dialog = page.getByRole('dialog', { name: 'Pending Approval' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('link', { name: 'My Requests' }).click();
  const card = page.getByRole('list', { name: 'Requests' }).getByRole('listitem').filter({ hasText: 'Production databases' });
  await expect(card).toContainText('Pending Approval');
  await expect(card).toContainText('Tuesdays 22:00–02:00 (Europe/Berlin), window 1 of 3');
  await expect(card).toContainText('4 hours');
  await snapshot(page, testInfo, 'recurring-pending');
});
