// The request pages on a phone-sized screen: nothing wider than the screen.
import { test, expect, logIn, logOut, snapshot, submitViaApi } from '../fixtures';
import type { Page } from '@playwright/test';

async function fitsTheScreen(page: Page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, 'page wider than the screen').toBeLessThanOrEqual(0);
}

test('on a phone, New Request details, My Requests with its panel and Approvals fit the screen', async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/my-requests');
  await logIn(page, 'alice');
  await expect(page.getByRole('heading', { name: 'My Requests', level: 1 })).toBeVisible();
  await submitViaApi(page, [{ resource: 'docs', permission: 'read' }]);
  await submitViaApi(page, [
    { resource: 'orders', permission: 'read-only' },
    { resource: 'billing.invoices', permission: 'read-write' },
  ]);
  await page.reload();
  const cards = page.getByRole('list', { name: 'Requests' }).getByRole('listitem');
  await expect(cards).toHaveCount(2);
  await fitsTheScreen(page);
  await snapshot(page, testInfo, 'phone-my-requests');

  await cards.first().getByRole('button').first().click();
  const panel = page.getByRole('dialog', { name: /Access Request #/ });
  await expect(panel.getByText('Waiting on Bob Approver')).toBeVisible();
  await fitsTheScreen(page);
  await snapshot(page, testInfo, 'phone-request-panel');
  await page.keyboard.press('Escape');
  await expect(panel).toBeHidden();

  await page.goto('/new-request');
  await page.getByLabel('Search').fill('analytics');
  await page.getByRole('checkbox', { name: 'analytics', exact: true }).check();
  await page.getByRole('link', { name: 'Next' }).click();
  await expect(page.getByRole('heading', { name: 'Complete Additional Details' })).toBeVisible();
  await expect(page.getByText('Approval by Bob Approver')).toBeVisible();
  await fitsTheScreen(page);
  await snapshot(page, testInfo, 'phone-details');
  await logOut(page);

  await logIn(page, 'bob');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Approvals/ }).click();
  await expect(page.getByRole('article')).toHaveCount(1);
  await fitsTheScreen(page);
  await snapshot(page, testInfo, 'phone-approvals');
});
