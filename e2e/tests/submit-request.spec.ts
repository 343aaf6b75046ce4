// Journeys from New Request through Complete Additional Details to the pop-ups.
import { test, expect, logIn, snapshot } from '../fixtures';
import type { Page } from '@playwright/test';

const GOOD_JUSTIFICATION =
  'Debugging failed order exports for OPS-1423; I need read access because the job logs point at these tables';

/** Log in as alice and tick resources found by search on New Request. */
async function selectAsAlice(page: Page, ...names: string[]) {
  await page.goto('/new-request');
  await logIn(page, 'alice');
  await expect(page.getByRole('heading', { name: 'New Request' })).toBeVisible();
  for (const name of names) {
    await page.getByLabel('Search').fill(name);
    await page.getByRole('checkbox', { name, exact: true }).check();
  }
  await expect(page.getByText(`${names.length} selected`, { exact: true })).toBeVisible();
}

test('alice requests two resources covered by two flows and gets two requests', async ({ page }, testInfo) => {
  await selectAsAlice(page, 'docs', 'orders');
  await page.getByRole('link', { name: 'Next' }).click();

  await expect(page.getByRole('heading', { name: 'Complete Additional Details' })).toBeVisible();
  await expect(page.getByLabel('Permission for docs')).toHaveValue('read');
  await expect(page.getByLabel('Permission for orders')).toHaveValue('read-only');
  // Two flows: GitHub self-service approves itself, Production databases waits on Bob.
  const preview = page.getByRole('region', { name: 'What happens next' });
  await expect(preview.getByText('GitHub self-service')).toBeVisible();
  await expect(preview.getByText('Production databases')).toBeVisible();
  await expect(preview.getByText('Approval by Bob Approver')).toBeVisible();
  await expect(preview.getByText('Auto-approved')).toBeVisible();
  // Only durations both flows offer.
  await expect(page.getByLabel('Duration').getByRole('option')).toHaveText(['1 hour', '8 hours']);

  await page.getByLabel('Why do you need this access?').fill(GOOD_JUSTIFICATION);
  await snapshot(page, testInfo, 'complete-additional-details');
  await page.getByRole('button', { name: 'Submit Request' }).click();

  const dialog = page.getByRole('dialog', { name: 'Access Granted' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByText('Production databases')).toBeVisible();
  await expect(dialog.getByText('GitHub self-service')).toBeVisible();
  await expect(dialog.getByText('1 request is Pending Approval')).toBeVisible();
  await expect(dialog.getByRole('link', { name: 'Use Access' })).toBeVisible();
  await snapshot(page, testInfo, 'access-granted');

  await dialog.getByRole('link', { name: 'My Requests' }).click();
  await expect(page.getByRole('heading', { name: 'My Requests' })).toBeVisible();
  const cards = page.getByRole('list', { name: 'Requests' }).getByRole('listitem');
  await expect(cards).toHaveCount(2);
  await expect(cards.filter({ hasText: 'GitHub self-service' })).toContainText('Active');
  await expect(cards.filter({ hasText: 'Production databases' })).toContainText('Pending Approval');
  await snapshot(page, testInfo, 'my-requests');
});

test('a request needing approval ends on the Pending Approval pop-up', async ({ page }, testInfo) => {
  await selectAsAlice(page, 'billing.invoices');
  await page.getByRole('link', { name: 'Next' }).click();
  await page.getByLabel('Permission for billing.invoices').selectOption('read-write');
  await page.getByLabel('Duration').selectOption({ label: '4 hours' });
  // The server refuses a missing justification next to the field; the rest stays.
  await page.getByLabel('Ticket ID').fill('OPS-7');
  await page.getByRole('button', { name: 'Submit Request' }).click();
  await expect(page.getByText('requires a justification')).toBeVisible();
  await expect(page.getByLabel('Ticket ID')).toHaveValue('OPS-7');
  await expect(page.getByLabel('Duration')).toHaveValue('14400');
  await expect(page.getByLabel('Permission for billing.invoices')).toHaveValue('read-write');

  await page.getByLabel('Why do you need this access?').fill(GOOD_JUSTIFICATION);
  await page.getByRole('button', { name: 'Submit Request' }).click();
  const dialog = page.getByRole('dialog', { name: 'Pending Approval' });
  await expect(dialog).toBeVisible();
  await snapshot(page, testInfo, 'pending-approval');
  await dialog.getByRole('link', { name: 'My Requests' }).click();
  await expect(page).toHaveURL(/\/my-requests/);
});

test('justification feedback turns green only when all three checks hold', async ({ page }, testInfo) => {
  await selectAsAlice(page, 'orders');
  await page.getByRole('link', { name: 'Next' }).click();
  const field = page.getByLabel('Why do you need this access?');
  const checks = page.getByRole('list', { name: 'Justification checks' }).getByRole('listitem');
  const verdict = page.getByText('Clear justification: approvers have what they need.');

  // A bare wish passes nothing: it names no task and gives no reason.
  await field.fill('need it, because I need it');
  await expect(checks.nth(0)).toContainText('(missing)');
  await expect(checks.nth(1)).toContainText('(missing)');
  await expect(checks.nth(2)).toContainText('(missing)');
  await expect(verdict).toHaveCount(0);

  await field.fill('Looking into the orders database for the export job today');
  await expect(checks.nth(0)).toContainText('(done)');
  await expect(checks.nth(1)).toContainText('(missing)');
  await expect(verdict).toHaveCount(0);

  await field.fill('Looking into the orders database because exports fail');
  await expect(checks.nth(1)).toContainText('(done)');
  await expect(checks.nth(2)).toContainText('(missing)');
  await expect(verdict).toHaveCount(0);

  await field.fill('Looking into the orders database because exports fail, see OPS-1423');
  await expect(checks.nth(0)).toContainText('(done)');
  await expect(checks.nth(1)).toContainText('(done)');
  await expect(checks.nth(2)).toContainText('(done)');
  await expect(verdict).toBeVisible();
  await snapshot(page, testInfo, 'justification-green');
});

test('a flow needing a ticket: each refusal is shown next to its field until the form is complete', async ({ page }, testInfo) => {
  await selectAsAlice(page, 'acme-logs');
  await page.getByRole('link', { name: 'Next' }).click();
  const preview = page.getByRole('region', { name: 'What happens next' });
  await expect(preview.getByText('AWS production')).toBeVisible();
  await expect(preview.getByText('Approval by Bob Approver, then Carol Admin')).toBeVisible();
  await expect(preview.getByText('Ticket required')).toBeVisible();
  await expect(page.getByLabel('Ticket Type').getByRole('option')).toHaveText(['None', 'Jira', 'ServiceNow']);

  await page.getByLabel('Why do you need this access?').fill(GOOD_JUSTIFICATION);
  await page.getByRole('button', { name: 'Submit Request' }).click();
  await expect(page.locator('#ticket-id-error')).toHaveText(/requires a ticket ID/);
  await expect(page.getByLabel('Why do you need this access?')).toHaveValue(GOOD_JUSTIFICATION);

  await page.getByLabel('Ticket ID').fill('OPS-1423');
  await page.getByRole('button', { name: 'Submit Request' }).click();
  await expect(page.locator('#ticket-type-error')).toHaveText(/requires a ticket type/);
  await expect(page.locator('#ticket-id-error')).toBeHidden();
  await snapshot(page, testInfo, 'ticket-type-refused');

  await page.getByLabel('Ticket Type').selectOption('Jira');
  await page.getByRole('button', { name: 'Submit Request' }).click();
  await expect(page.getByRole('dialog', { name: 'Pending Approval' })).toBeVisible();
});
