// Journeys of an approver and what the requester then sees.
import { test, expect, logIn, logOut, snapshot, submitViaApi } from '../fixtures';

test('bob approves one request and rejects another with a reason; alice sees both outcomes', async ({ page }, testInfo) => {
  await page.goto('/my-requests');
  await logIn(page, 'alice');
  await expect(page.getByRole('heading', { name: 'My Requests' })).toBeVisible();
  await submitViaApi(page, [{ resource: 'orders', permission: 'read-only' }]);
  await submitViaApi(page, [{ resource: 'customers', permission: 'read-only' }], 'Looking at customers');
  await logOut(page);

  await logIn(page, 'bob');
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link', { name: /Approvals/ })).toContainText('2');
  await nav.getByRole('link', { name: /Approvals/ }).click();
  await expect(page.getByRole('heading', { name: 'Approvals', level: 1 })).toBeVisible();
  const waiting = page.getByRole('list', { name: 'Waiting for approval' }).getByRole('listitem').filter({ has: page.getByRole('article') });
  await expect(waiting).toHaveCount(2);
  const orders = waiting.filter({ hasText: 'orders' });
  const customers = waiting.filter({ hasText: 'customers' });
  await expect(orders).toContainText('Alice Requester');
  await expect(orders).toContainText('read-only');
  await expect(orders).toContainText('1 hour');
  await expect(orders).toContainText('Clear justification');
  await expect(customers).toContainText('has no ticket ID');
  await snapshot(page, testInfo, 'approvals');

  await orders.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(waiting).toHaveCount(1);

  await customers.getByRole('button', { name: 'Reject' }).click();
  const dialog = page.getByRole('dialog', { name: /Reject request/ });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Reject' }).click();
  await expect(dialog.getByText('Write the reason')).toBeVisible();
  await dialog.getByLabel('Reason (required)').fill('Use the reporting replica instead');
  await snapshot(page, testInfo, 'reject-dialog');
  await dialog.getByRole('button', { name: 'Reject' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByText('No requests wait on your approval.')).toBeVisible();
  await logOut(page);

  await logIn(page, 'alice');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My Requests' }).click();
  const cards = page.getByRole('list', { name: 'Requests' }).getByRole('listitem');
  await expect(cards.filter({ hasText: 'orders' })).toContainText('Active');
  await expect(cards.filter({ hasText: 'customers' })).toContainText('Rejected');
  await cards.filter({ hasText: 'customers' }).getByRole('button').first().click();
  const panel = page.getByRole('dialog', { name: /Access Request #/ });
  await expect(panel).toBeVisible();
  await expect(panel.getByText('Rejection Reason:')).toBeVisible();
  await expect(panel).toContainText('Use the reporting replica instead');
  await expect(page).toHaveURL(/request=\d+/);
  await snapshot(page, testInfo, 'rejected-panel');
  await panel.getByRole('button', { name: 'Close' }).click();
  await expect(panel).toBeHidden();
  await expect(page).not.toHaveURL(/request=/);
});
