// Journeys on My Requests: filters, widgets, the details panel and its actions.
import { test, expect, logIn, snapshot, submitViaApi } from '../fixtures';
import type { Page } from '@playwright/test';

async function myRequestsAsAlice(page: Page) {
  await page.goto('/my-requests');
  await logIn(page, 'alice');
  await expect(page.getByRole('heading', { name: 'My Requests', level: 1 })).toBeVisible();
}

test('the status filter and each widget filter the list, and the URL keeps the filter', async ({ page }, testInfo) => {
  await myRequestsAsAlice(page);
  await submitViaApi(page, [{ resource: 'docs', permission: 'read' }]);
  await submitViaApi(page, [{ resource: 'orders', permission: 'read-only' }]);
  const [revoked] = await submitViaApi(page, [{ resource: 'api-gateway', permission: 'read' }]);
  expect((await page.request.post(`/api/v1/requests/${revoked}/revoke`)).ok()).toBeTruthy();
  await page.reload();

  const cards = page.getByRole('list', { name: 'Requests' }).getByRole('listitem');
  await expect(cards).toHaveCount(3);
  const widgets = page.getByRole('group', { name: 'Filter by status' });
  const active = widgets.getByRole('button', { name: /Active/ });
  const pending = widgets.getByRole('button', { name: /Pending Approval/ });
  const mfa = widgets.getByRole('button', { name: /Pending MFA/ });
  await expect(active).toHaveText(/1\s*Active/);
  await expect(pending).toHaveText(/1\s*Pending Approval/);
  await expect(mfa).toHaveText(/0\s*Pending MFA/);

  await active.click();
  await expect(active).toHaveAttribute('aria-pressed', 'true');
  await expect(page).toHaveURL(/status=Active/);
  await expect(cards).toHaveCount(1);
  await expect(cards.first()).toContainText('docs');

  await pending.click();
  await expect(cards).toHaveCount(2);
  await expect(page).toHaveURL(/status=Pending\+Approval&status=Active/);

  await active.click();
  await expect(cards).toHaveCount(1);
  await expect(cards.first()).toContainText('orders');

  // A reload keeps the filter.
  await page.reload();
  await expect(pending).toHaveAttribute('aria-pressed', 'true');
  await expect(cards).toHaveCount(1);
  await expect(cards.first()).toContainText('Pending Approval');

  await mfa.click();
  await pending.click();
  await expect(page.getByText('No requests here yet.')).toBeVisible();
  await mfa.click();
  await expect(cards).toHaveCount(3);

  // The Status multi-select filters the same way.
  await page.getByRole('button', { name: 'Status' }).click();
  await page.getByRole('group', { name: 'Status' }).getByRole('checkbox', { name: 'Revoked' }).check();
  await page.keyboard.press('Escape');
  await expect(page).toHaveURL(/status=Revoked/);
  await expect(cards).toHaveCount(1);
  await expect(cards.first()).toContainText('api-gateway');
  await snapshot(page, testInfo, 'filtered-revoked');
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await expect(cards).toHaveCount(3);
  await expect(page).not.toHaveURL(/status=/);
});

test('alice revokes active access, stars it, and requests it again from Favorites', async ({ page }, testInfo) => {
  await myRequestsAsAlice(page);
  await submitViaApi(page, [{ resource: 'docs', permission: 'read' }]);
  await page.reload();
  const cards = page.getByRole('list', { name: 'Requests' }).getByRole('listitem');
  await expect(cards).toHaveCount(1);
  await expect(cards.first()).toContainText('left');
  await cards.first().getByRole('button').first().click();

  const panel = page.getByRole('dialog', { name: /Access Request #/ });
  await expect(panel.getByRole('link', { name: 'Use Access' })).toBeVisible();
  await panel.getByRole('button', { name: 'View resources' }).click();
  await expect(panel.getByRole('list', { name: 'Resources' })).toContainText('docs');
  await snapshot(page, testInfo, 'active-panel');
  await panel.getByRole('button', { name: 'Revoke access' }).click();
  const confirm = page.getByRole('dialog', { name: 'Revoke access?' });
  await expect(confirm).toBeVisible();
  // Keyboard focus stays inside the pop-up.
  for (let i = 0; i < 5; i++) await page.keyboard.press('Tab');
  await expect(confirm.locator(':focus')).toHaveCount(1);
  await page.keyboard.press('Shift+Tab');
  await expect(confirm.locator(':focus')).toHaveCount(1);
  await confirm.getByRole('button', { name: 'Yes' }).click();
  await expect(confirm).toBeHidden();
  await expect(panel).toContainText('Revoked');
  await expect(panel.getByRole('button', { name: 'Revoke access' })).toHaveCount(0);

  const star = panel.getByRole('button', { name: /Add request \d+ to favorites/ });
  await star.click();
  await expect(panel.getByRole('button', { name: /Remove request \d+ from favorites/ })).toHaveAttribute('aria-pressed', 'true');
  await panel.getByRole('button', { name: 'Close' }).click();
  await expect(cards.first().getByRole('button', { name: /from favorites/ })).toBeVisible();

  await page.getByRole('navigation', { name: 'Request views' }).getByRole('link', { name: 'Favorites' }).click();
  await expect(page.getByRole('heading', { name: 'Favorites', level: 1 })).toBeVisible();
  await expect(cards).toHaveCount(1);
  await cards.first().getByRole('button', { name: /Request again/ }).click();
  const again = page.getByRole('dialog', { name: 'Request again' });
  await again.getByLabel('Justification', { exact: true }).fill('Reviewing the docs again because OPS-1500 needs new pages');
  await expect(again.getByText('Clear justification')).toBeVisible();
  await snapshot(page, testInfo, 'request-again');
  await again.getByRole('button', { name: 'Submit' }).click();
  await expect(again).toBeHidden();

  await page.getByRole('navigation', { name: 'Request views' }).getByRole('link', { name: 'My Requests' }).click();
  await expect(cards).toHaveCount(2);
  await expect(cards.filter({ hasText: 'Active' })).toHaveCount(1);
  await expect(cards.filter({ hasText: 'Revoked' })).toHaveCount(1);
});

test('My Requests pages with Load more, and the other views say what to do when empty', async ({ page }, testInfo) => {
  await myRequestsAsAlice(page);
  const repositories = ['api-gateway', 'billing-service', 'checkout-web', 'data-pipeline', 'deploy-scripts', 'design-system', 'docs', 'identity-service'];
  for (let round = 0; round < 3; round++) {
    for (const repository of repositories) {
      const [id] = await submitViaApi(page, [{ resource: repository, permission: 'read' }]);
      expect((await page.request.post(`/api/v1/requests/${id}/revoke`)).ok()).toBeTruthy();
    }
  }
  await page.reload();
  const cards = page.getByRole('list', { name: 'Requests' }).getByRole('listitem');
  await expect(cards).toHaveCount(20);
  await page.getByRole('button', { name: 'Load more' }).click();
  await expect(cards).toHaveCount(24);
  await expect(page.getByRole('button', { name: 'Load more' })).toHaveCount(0);
  // Newest first: the last card is the very first request.
  await expect(cards.last()).toContainText('#1');
  await snapshot(page, testInfo, 'load-more');

  const views = page.getByRole('navigation', { name: 'Request views' });
  await views.getByRole('link', { name: 'Delegated Requests' }).click();
  await expect(page.getByText('You have not requested access for anyone else.')).toBeVisible();
  await views.getByRole('link', { name: 'Favorites' }).click();
  await expect(page.getByText('No favorites yet.')).toBeVisible();
  // The views of requests keep My Requests lit in the main navigation.
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My Requests' })).toHaveAttribute(
    'aria-current',
    'page',
  );
});

test('a signed-in visit to My Requests shows its first page from the page itself, and later visits ask afresh', async ({ page }) => {
  await myRequestsAsAlice(page);
  await submitViaApi(page, [{ resource: 'docs', permission: 'read' }]);
  await submitViaApi(page, [{ resource: 'orders', permission: 'read-only' }]);
  const asked: string[] = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith('/api/')) asked.push(url.pathname + url.search);
  });
  const firstReads = ['/api/v1/requests?limit=20', '/api/v1/requests/counts', '/api/v1/approvals/count'];

  // The server answers the page's first reads into the page (backend/src/app.rs).
  await page.reload();
  const cards = page.getByRole('list', { name: 'Requests' }).getByRole('listitem');
  await expect(cards).toHaveCount(2);
  await expect(page.getByRole('group', { name: 'Filter by status' }).getByRole('button', { name: /Pending Approval/ })).toHaveText(/1\s*Pending Approval/);
  expect(await page.locator('script#gatehouse-answers').count()).toBe(1);
  expect(asked.filter((url) => firstReads.includes(url))).toEqual([]);

  // Each answer is used once: the next visit to My Requests asks, and sees what changed.
  await submitViaApi(page, [{ resource: 'api-gateway', permission: 'read' }]);
  const main = page.getByRole('navigation', { name: 'Main' });
  await main.getByRole('link', { name: 'My Access', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'My Access', level: 1 })).toBeVisible();
  await main.getByRole('link', { name: 'My Requests', exact: true }).click();
  await expect(cards).toHaveCount(3);
  expect(asked).toContain('/api/v1/requests?limit=20');

  // Signed out, the page carries nobody's data.
  const signedOut = await page.request.fetch('/my-requests', { headers: { Cookie: '' } });
  expect(await signedOut.text()).not.toContain('gatehouse-answers');
});
