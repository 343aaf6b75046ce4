// Requesting access for someone else, and who may revoke it.
import { test, expect, logIn, logOut, snapshot } from '../fixtures';

test('alice requests on behalf of bob, who sees it, while only alice can revoke it', async ({ page }, testInfo) => {
  await page.goto('/new-request');
  await logIn(page, 'alice');
  await expect(page.getByText('Access for: Me (Alice Requester)')).toBeVisible();

  await page.getByLabel('Request on Behalf of').fill('bob');
  await page.getByRole('button', { name: 'Bob Approver (bob)' }).click();
  await expect(page.getByText('Access for: Bob Approver (bob)')).toBeVisible();
  await snapshot(page, testInfo, 'on-behalf-of-bob');

  await page.getByLabel('Search').fill('docs');
  await page.getByRole('checkbox', { name: 'docs', exact: true }).check();
  await page.getByRole('link', { name: 'Next' }).click();
  await expect(page.getByText('On behalf of Bob Approver (bob)')).toBeVisible();
  await page.getByLabel('Why do you need this access?').fill('Bob is onboarding and needs the docs because of OPS-77');
  await page.getByRole('button', { name: 'Submit Request' }).click();
  await expect(page.getByRole('dialog', { name: 'Access Granted' })).toBeVisible();
  await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();

  await page.goto('/delegated-requests');
  const cards = page.getByRole('list', { name: 'Requests' }).getByRole('listitem');
  await expect(cards).toHaveCount(1);
  await expect(cards.first()).toContainText('For Bob Approver');
  await cards.first().getByRole('button').first().click();
  await expect(page.getByRole('dialog').getByRole('button', { name: 'Revoke access' })).toBeVisible();
  await page.keyboard.press('Escape');
  await logOut(page);

  await logIn(page, 'bob');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My Requests' }).click();
  await expect(cards).toHaveCount(1);
  await expect(cards.first()).toContainText('Requested by Alice Requester');
  await expect(cards.first()).toContainText('Active');
  await cards.first().getByRole('button').first().click();
  const panel = page.getByRole('dialog', { name: /Access Request #/ });
  await expect(panel.getByRole('link', { name: 'Use Access' })).toBeVisible();
  await expect(panel.getByRole('button', { name: 'Revoke access' })).toHaveCount(0);
  await snapshot(page, testInfo, 'delegated-seen-by-grantee');
});
