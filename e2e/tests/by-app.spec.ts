// New Request → All Resources → By App.
import { test, expect, logIn, snapshot } from '../fixtures';

test('alice requests tables of an app: integration, resource type, resources, permission', async ({ page }, testInfo) => {
  await page.goto('/new-request');
  await logIn(page, 'alice');
  await page.getByRole('radio', { name: 'By App' }).check();
  await expect(page).toHaveURL(/by=app/);

  await page.getByLabel('Integration').selectOption({ label: 'Prod PostgreSQL' });
  await page.getByLabel('Resource Type').selectOption({ label: 'table' });
  const resources = page.getByRole('group', { name: 'Resources' });
  await resources.getByRole('checkbox', { name: 'orders.events' }).check();
  await resources.getByRole('checkbox', { name: 'orders.invoices' }).check();
  const permission = page.getByRole('group', { name: 'Permission' });
  await expect(permission.getByRole('radio')).toHaveCount(2);
  await permission.getByRole('radio', { name: 'read-write' }).check();
  await snapshot(page, testInfo, 'by-app');
  await page.getByRole('button', { name: 'Next' }).click();

  await expect(page.getByRole('heading', { name: 'Complete Additional Details' })).toBeVisible();
  await expect(page.getByText('Access to 2 resources')).toBeVisible();
  await expect(page.getByLabel('Permission for orders.events')).toHaveValue('read-write');
  await expect(page.getByLabel('Permission for orders.invoices')).toHaveValue('read-write');
  await expect(page.getByRole('region', { name: 'What happens next' })).toContainText('Production databases');

  // Back keeps the method chosen.
  await page.goBack();
  await expect(page.getByRole('radio', { name: 'By App' })).toBeChecked();
});
