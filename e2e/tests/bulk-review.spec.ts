// The bulk review console on Approvals: bob selects and approves many
// requests with the keyboard alone, and sees per request what could not be decided.
import { test, expect, logIn, logOut, snapshot, submitViaApi, DEMO_PASSWORD } from '../fixtures';

const DATABASES = ['billing', 'orders', 'analytics', 'customers', 'inventory', 'billing.invoices'];

test('bob approves five requests with the keyboard', async ({ page, playwright, baseURL }, testInfo) => {
  await page.goto('/my-requests');
  await logIn(page, 'alice');
  await expect(page.getByRole('heading', { name: 'My Requests' })).toBeVisible();
  const ids: number[] = [];
  for (const resource of DATABASES) {
    ids.push(...(await submitViaApi(page, [{ resource, permission: 'read-only' }])));
  }
  await logOut(page);

  await logIn(page, 'bob');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Approvals/ }).click();
  await expect(page.getByRole('heading', { name: 'Approvals', level: 1 })).toBeVisible();
  const cards = page.getByRole('listitem').filter({ has: page.getByRole('article') });
  await expect(cards).toHaveCount(6);

  // ? lists the shortcuts.
  await page.locator('body').press('?');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(help).toBeVisible();
  await expect(help).toContainText('Move to the next request');
  await expect(help).toContainText('Reject the selected requests');
  await snapshot(page, testInfo, 'shortcut-help');
  await page.keyboard.press('Escape');
  await expect(help).toBeHidden();

  // Grouped by requester: one group, alice's six.
  await page.getByLabel('Group by').selectOption('requester');
  await expect(page.getByRole('heading', { name: 'Alice Requester (6)' })).toBeVisible();

  // j x five times: the first five are selected.
  for (let i = 0; i < 5; i++) {
    await page.keyboard.press('j');
    await page.keyboard.press('x');
  }
  await expect(page.getByRole('button', { name: 'Approve selected (5)' })).toBeEnabled();
  await expect(page.locator('[aria-current="true"]')).toHaveCount(1);
  // k moves back up; the selection stays.
  await page.keyboard.press('k');
  await expect(page.getByRole('button', { name: 'Approve selected (5)' })).toBeEnabled();
  await snapshot(page, testInfo, 'five-selected');

  // Meanwhile alice withdraws one of the selected five (another browser).
  const selectedIds = await cards.evaluateAll((items) =>
    items
      .filter((item) => (item.querySelector('input[type=checkbox]') as HTMLInputElement | null)?.checked)
      .map((item) => Number(item.id.replace('approval-card-', ''))),
  );
  expect(selectedIds).toHaveLength(5);
  const alice = await playwright.request.newContext({ baseURL });
  expect((await alice.post('/api/v1/session', { data: { username: 'alice', password: DEMO_PASSWORD } })).ok()).toBeTruthy();
  const withdrawn = selectedIds[2];
  expect((await alice.post(`/api/v1/requests/${withdrawn}/cancel`)).ok()).toBeTruthy();
  await alice.dispose();

  await page.keyboard.press('a');
  const results = page.getByRole('region', { name: 'Results' });
  await expect(results.getByRole('status')).toHaveText('4 decided, 1 could not be.');
  await expect(results).toContainText(`#${withdrawn}: Request ${withdrawn} was already decided by someone else: it is Revoked.`);
  await expect(cards).toHaveCount(1);
  await snapshot(page, testInfo, 'per-item-results');

  // The last one, with the keyboard again: j moves onto it, a approves it.
  await page.keyboard.press('j');
  await page.keyboard.press('a');
  await expect(results.getByRole('status')).toHaveText('1 request decided.');
  await expect(page.getByText('No requests wait on your approval.')).toBeVisible();
  const approved = ids.filter((id) => id !== withdrawn);
  expect(approved).toHaveLength(5);
  for (const id of approved) {
    const detail = await (await page.request.get(`/api/v1/requests/${id}`)).json();
    expect(['Granting', 'Active']).toContain(detail.status);
  }
});

test('bob rejects the requests matching a filter with one reason', async ({ page }, testInfo) => {
  await page.goto('/my-requests');
  await logIn(page, 'alice');
  await expect(page.getByRole('heading', { name: 'My Requests' })).toBeVisible();
  await submitViaApi(page, [{ resource: 'billing', permission: 'read-only' }]);
  await submitViaApi(page, [{ resource: 'billing.invoices', permission: 'read-only' }]);
  await submitViaApi(page, [{ resource: 'orders', permission: 'read-only' }]);
  await logOut(page);

  await logIn(page, 'bob');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Approvals/ }).click();
  const cards = page.getByRole('listitem').filter({ has: page.getByRole('article') });
  await expect(cards).toHaveCount(3);
  await page.getByLabel('Filter').fill('billing');
  await expect(cards).toHaveCount(2);
  await page.getByLabel('Select all 2 shown').check();
  await page.getByRole('button', { name: 'Reject selected (2)' }).click();
  const dialog = page.getByRole('dialog', { name: 'Reject 2 requests' });
  await dialog.getByRole('button', { name: 'Reject' }).click();
  await expect(dialog.getByText('Write the reason')).toBeVisible();
  await dialog.getByLabel('Reason (required)').fill('Billing is frozen during the audit');
  await snapshot(page, testInfo, 'bulk-reject');
  await dialog.getByRole('button', { name: 'Reject' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('region', { name: 'Results' }).getByRole('status')).toHaveText('2 requests decided.');
  await page.getByLabel('Filter').fill('');
  await expect(cards).toHaveCount(1);
  await expect(cards).toContainText('orders');
});
