// Journeys on New Request → All Resources → By Resource.
import { test, expect, logIn } from '../fixtures';
import type { Page } from '@playwright/test';

async function openNewRequestAs(page: Page, username: string) {
  await page.goto('/new-request');
  await logIn(page, username);
  await expect(page.getByRole('heading', { name: 'New Request' })).toBeVisible();
}

/** Open a multi-select filter, tick the named choices, close it with Escape. */
async function choose(page: Page, filter: string, ...choices: string[]) {
  await page.getByRole('button', { name: filter }).click();
  const group = page.getByRole('group', { name: filter });
  await expect(group).toBeVisible();
  for (const choice of choices) {
    await group.getByRole('checkbox', { name: choice }).check();
  }
  await page.keyboard.press('Escape');
  await expect(group).toBeHidden();
  await expect(page.getByRole('button', { name: filter })).toBeFocused();
}

test('alice narrows the catalog, picks resources, selects all she sees, and keeps it all on reload', async ({ page }) => {
  await openNewRequestAs(page, 'alice');
  await expect(page.getByRole('tab', { name: 'All Resources' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('radio', { name: 'By Resource' })).toBeChecked();
  await expect(page.getByText('68 resources', { exact: true })).toBeVisible();
  await expect(page.getByText('0 selected', { exact: true })).toBeVisible();

  // Search: the list follows once typing pauses, not at every key.
  const listRequests: string[] = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname === '/api/v1/resources') listRequests.push(request.url());
  });
  await page.getByLabel('Search').pressSequentially('invoices', { delay: 40 });
  await expect(page.getByText('6 resources', { exact: true })).toBeVisible();
  expect(listRequests.length).toBeLessThanOrEqual(2);
  expect(listRequests.at(-1)).toContain('search=invoices');
  await expect(page.getByRole('checkbox', { name: 'billing.invoices' })).toBeVisible();
  await expect(page).toHaveURL(/search=invoices/);

  // Clear the search again and filter instead.
  await page.getByLabel('Search').fill('');
  await expect(page.getByText('68 resources', { exact: true })).toBeVisible();

  await choose(page, 'Resource Type', 'AWS Production · S3 bucket', 'GitHub · repository');
  await expect(page.getByText('27 resources', { exact: true })).toBeVisible();

  await choose(page, 'Permission', 'read-only');
  await expect(page.getByText('12 resources', { exact: true })).toBeVisible();
  await expect(page.getByRole('checkbox', { name: 'acme-logs' })).toBeVisible();
  await expect(page.getByRole('checkbox', { name: 'api-gateway' })).toHaveCount(0);

  // Pick two by hand.
  await page.getByRole('checkbox', { name: 'acme-logs' }).check();
  await page.getByRole('checkbox', { name: 'acme-backups' }).check();
  await expect(page.getByText('2 selected', { exact: true })).toBeVisible();
  await page.getByRole('checkbox', { name: 'acme-backups' }).uncheck();
  await expect(page.getByText('1 selected', { exact: true })).toBeVisible();

  // Select all takes exactly what the filters show.
  await page.getByRole('button', { name: 'Select all' }).click();
  await expect(page.getByText('12 selected', { exact: true })).toBeVisible();
  await expect(page.getByRole('checkbox', { name: 'acme-backups' })).toBeChecked();

  // A reload (or a shared link) shows the same filtered list and selection.
  const filteredUrl = page.url();
  expect(filteredUrl).toMatch(/resource_type_id=\d+&resource_type_id=\d+&permission=read-only/);
  await page.reload();
  await expect(page).toHaveURL(filteredUrl);
  await expect(page.getByText('12 resources', { exact: true })).toBeVisible();
  await expect(page.getByText('12 selected', { exact: true })).toBeVisible();
  await page.getByRole('button', { name: 'Resource Type' }).click();
  const types = page.getByRole('group', { name: 'Resource Type' });
  await expect(types.getByRole('checkbox', { name: 'AWS Production · S3 bucket' })).toBeChecked();
  await expect(types.getByRole('checkbox', { name: 'GitHub · repository' })).toBeChecked();
  await expect(types.getByRole('checkbox', { name: 'Prod PostgreSQL · database' })).not.toBeChecked();
  await page.keyboard.press('Escape');

  await page.getByRole('button', { name: 'Clear selection' }).click();
  await expect(page.getByText('0 selected', { exact: true })).toBeVisible();
});

test('alice pages through the whole catalog and Back returns to the previous page', async ({ page }) => {
  await openNewRequestAs(page, 'alice');
  const pages = page.getByRole('navigation', { name: 'Pages' });
  await expect(pages.getByText('Page 1 of 4')).toBeVisible();
  await expect(page.getByText('Showing 1–20 of 68')).toBeVisible();
  await expect(pages.getByRole('button', { name: 'Previous' })).toBeDisabled();

  await pages.getByRole('button', { name: 'Next' }).click();
  await expect(pages.getByText('Page 2 of 4')).toBeVisible();
  await expect(page.getByText('Showing 21–40 of 68')).toBeVisible();
  await expect(page).toHaveURL(/page=2/);

  await page.goBack();
  await expect(pages.getByText('Page 1 of 4')).toBeVisible();
});

test('a link to a page past the end of the list offers the way back', async ({ page }) => {
  await openNewRequestAs(page, 'alice');
  await page.goto('/new-request?page=9');
  await expect(page.getByText('This page is past the end of the list.')).toBeVisible();
  await page.getByRole('button', { name: 'Go to the first page' }).click();
  await expect(page.getByText('Showing 1–20 of 68')).toBeVisible();
  await expect(page).not.toHaveURL(/page=/);
});

test('the filters are usable with the keyboard alone', async ({ page }) => {
  await openNewRequestAs(page, 'alice');
  const typeButton = page.getByRole('button', { name: 'Resource Type' });
  await typeButton.focus();
  await page.keyboard.press('Enter');
  await expect(typeButton).toHaveAttribute('aria-expanded', 'true');
  await page.keyboard.press('Tab');
  const first = page.getByRole('group', { name: 'Resource Type' }).getByRole('checkbox').first();
  await expect(first).toBeFocused();
  await page.keyboard.press('Space');
  await expect(first).toBeChecked();
  await page.keyboard.press('Escape');
  await expect(typeButton).toHaveAttribute('aria-expanded', 'false');
  await expect(typeButton).toBeFocused();
  await expect(page).toHaveURL(/resource_type_id=/);
});
