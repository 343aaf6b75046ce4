// New Request → Bundles: search, bundle cards, a subset of a bundle.
import { test, expect, logIn, snapshot } from '../fixtures';

test('alice requests part of a bundle', async ({ page }, testInfo) => {
  await page.goto('/new-request');
  await logIn(page, 'alice');
  await page.getByRole('tab', { name: 'Bundles' }).click();
  await expect(page).toHaveURL(/\/new-request\/bundles$/);
  await expect(page.getByRole('tab', { name: 'Bundles' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByText('3 bundles', { exact: true })).toBeVisible();

  await page.getByLabel('Search').fill('onboard');
  await expect(page.getByText('1 bundle', { exact: true })).toBeVisible();
  await page.getByRole('radio', { name: 'New engineer onboarding' }).check();
  await expect(page.getByText('4 of 4 resources selected')).toBeVisible();

  // Take only some of its resources.
  await page.getByRole('button', { name: 'Resources of New engineer onboarding' }).click();
  const resources = page.getByRole('list', { name: 'Resources of New engineer onboarding' });
  await resources.getByRole('checkbox', { name: 'design-system' }).uncheck();
  await resources.getByRole('checkbox', { name: 'platform' }).uncheck();
  await expect(page.getByText('2 of 4 resources selected')).toBeVisible();
  await page.getByRole('button', { name: 'Show selected' }).click();
  await expect(resources.getByRole('checkbox')).toHaveCount(2);
  await snapshot(page, testInfo, 'bundles');

  await page.getByRole('link', { name: 'Next' }).click();
  await expect(page.getByRole('heading', { name: 'Complete Additional Details' })).toBeVisible();
  await expect(page.getByText('Bundle: New engineer onboarding')).toBeVisible();
  await expect(page.getByRole('list', { name: 'Bundle resources' }).getByRole('listitem')).toHaveCount(2);
  await expect(page.getByText('Access to 2 resources')).toBeVisible();
  await page.getByRole('button', { name: 'Submit Request' }).click();

  const dialog = page.getByRole('dialog', { name: 'Access Granted' });
  await expect(dialog).toContainText('GitHub self-service');
  await expect(dialog).toContainText('api-gateway (read)');
  await expect(dialog).not.toContainText('design-system');
});
