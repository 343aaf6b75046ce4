// Approvals for real teams: a quorum step, approving with changes, and the
// break-glass lane with its review.
import { test, expect, logIn, logOut, snapshot, submitViaApi } from '../fixtures';
import type { Page } from '@playwright/test';

/** As whoever is logged in (an admin), change the demo flow `name`. */
async function editFlow(page: Page, name: string, edit: (flow: Record<string, unknown>) => void) {
  const flows = await (await page.request.get('/api/v1/admin/access-flows')).json();
  const flow = flows.find((f: { name: string }) => f.name === name);
  const { id, ...body } = flow;
  edit(body);
  const answer = await page.request.put(`/api/v1/admin/access-flows/${id}`, { data: body });
  expect(answer.status(), await answer.text()).toBe(200);
}

async function groupId(page: Page, name: string): Promise<number> {
  const groups = await (await page.request.get('/api/v1/admin/groups')).json();
  return groups.find((g: { name: string }) => g.name === name).id;
}

/** Open the card of `resource` on My Requests. */
async function openMyRequest(page: Page, resource: string) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My Requests' }).click();
  const card = page.getByRole('list', { name: 'Requests' }).getByRole('listitem').filter({ hasText: resource });
  await card.getByRole('button').first().click();
  const panel = page.getByRole('dialog', { name: /Access Request #/ });
  await expect(panel).toBeVisible();
  return { card, panel };
}

test('two approvers reach a quorum', async ({ page }, testInfo) => {
  await page.goto('/approvals');
  await logIn(page, 'carol');
  await expect(page.getByRole('heading', { name: 'Approvals', level: 1 })).toBeVisible();
  const approvers = await groupId(page, 'approvers');
  await editFlow(page, 'Production databases', (flow) => {
    flow.approver_steps = [[{ kind: 'group', id: approvers }]];
    flow.step_rules = [{ required_approvals: 2 }];
  });
  // The flow editor shows the rule it now has.
  await page.goto('/admin/access-flows');
  await page.getByRole('button', { name: 'Edit Production databases' }).click();
  await expect(page.getByRole('dialog', { name: 'Edit access flow' })).toBeVisible();
  const required = page.locator('input[id$="-required"]').first();
  await expect(required).toHaveValue('2');
  await required.scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath('flow-editor-quorum.png') });
  await page.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByRole('row', { name: /Production databases/ })).toContainText('2 of Group approvers');
  await page.goto('/approvals');
  await logOut(page);

  await logIn(page, 'alice');
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
  await submitViaApi(page, [{ resource: 'orders', permission: 'read-only' }]);
  await logOut(page);

  await logIn(page, 'bob');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Approvals/ }).click();
  const waiting = page.getByRole('list', { name: 'Waiting for approval' }).getByRole('listitem').filter({ has: page.getByRole('article') });
  await expect(waiting).toHaveCount(1);
  await waiting.getByRole('button', { name: 'Approve', exact: true }).click();
  // Bob's part is done: it no longer waits on him, but it is not approved yet.
  await expect(page.getByText('No requests wait on your approval.')).toBeVisible();
  await logOut(page);

  await logIn(page, 'alice');
  let { card, panel } = await openMyRequest(page, 'orders');
  await expect(panel).toContainText('Pending Approval');
  await expect(panel).toContainText('1 of 2 approvals, 1 more needed');
  await expect(panel).toContainText('Approved by Bob Approver');
  await expect(panel).toContainText('Waiting on Carol Admin');
  await snapshot(page, testInfo, 'quorum-half-way');
  await panel.getByRole('button', { name: 'Close' }).click();
  await logOut(page);

  await logIn(page, 'carol');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Approvals/ }).click();
  await expect(waiting).toHaveCount(1);
  await waiting.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(page.getByText('No requests wait on your approval.')).toBeVisible();
  await logOut(page);

  await logIn(page, 'alice');
  ({ card, panel } = await openMyRequest(page, 'orders'));
  await expect(panel).toContainText('Active');
  await expect(panel).toContainText('Approved by Carol Admin');
  await expect(card).toContainText('Active');
});

test('bob narrows alice\'s request and she sees the change', async ({ page }, testInfo) => {
  await page.goto('/my-requests');
  await logIn(page, 'alice');
  await expect(page.getByRole('heading', { name: 'My Requests' })).toBeVisible();
  await submitViaApi(page, [{ resource: 'orders', permission: 'read-write' }], 'Fixing the order export for OPS-1423; I need write access because rows must be corrected', 4 * 3600);
  await logOut(page);

  await logIn(page, 'bob');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Approvals/ }).click();
  const card = page.getByRole('list', { name: 'Waiting for approval' }).getByRole('listitem').filter({ hasText: 'orders' });
  await card.getByRole('button', { name: 'Approve with changes' }).click();
  const dialog = page.getByRole('dialog', { name: /Approve request #\d+ with changes/ });
  await expect(dialog).toBeVisible();
  // Nothing wider than asked is on offer.
  await expect(dialog.getByLabel('Permission on orders').getByRole('option')).toHaveText(['read-write', 'read-only']);
  await expect(dialog.getByLabel('Duration').getByRole('option').first()).toHaveText('4 hours (as asked)');
  await dialog.getByRole('button', { name: 'Approve with changes' }).click();
  await expect(dialog.getByText('Say why you changed the request')).toBeVisible();
  await dialog.getByLabel('Duration').selectOption({ label: '1 hour' });
  await dialog.getByLabel('Permission on orders').selectOption('read-only');
  await dialog.getByLabel(/Why \(required/).fill('Read-only for an hour is enough to find the bad rows; ask again to write.');
  await snapshot(page, testInfo, 'approve-with-changes');
  await dialog.getByRole('button', { name: 'Approve with changes' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByText('No requests wait on your approval.')).toBeVisible();
  await logOut(page);

  await logIn(page, 'alice');
  const { card: mine, panel } = await openMyRequest(page, 'orders');
  await expect(mine).toContainText('Changed by approver');
  await expect(panel).toContainText('Changed by an approver');
  await expect(panel).toContainText('Duration 4 hours → 1 hour');
  await expect(panel).toContainText('orders (read-write) → orders (read-only)');
  await expect(panel).toContainText('Read-only for an hour is enough to find the bad rows');
  await expect(panel.getByText('read-only', { exact: true })).toBeAttached();
  await snapshot(page, testInfo, 'alice-sees-the-change');
});

test('alice uses break-glass and bob reviews it', async ({ page }, testInfo) => {
  await page.goto('/new-request');
  await logIn(page, 'carol');
  await expect(page.getByRole('heading', { name: 'New Request' })).toBeVisible();
  await editFlow(page, 'Production databases', (flow) => {
    flow.break_glass = { enabled: true, max_duration_seconds: 3600 };
  });
  await logOut(page);

  await logIn(page, 'alice');
  await expect(page.getByRole('heading', { name: 'New Request' })).toBeVisible();
  await page.getByLabel('Search').fill('orders');
  await page.getByRole('checkbox', { name: 'orders', exact: true }).check();
  await page.getByRole('link', { name: 'Next' }).click();
  await expect(page.getByRole('heading', { name: 'Complete Additional Details' })).toBeVisible();
  await page.getByLabel('Break-glass: approve it myself, now').check();
  await page.getByLabel('Why do you need this access?').fill('Orders API is down, INC-4711; I need read access because the logs point at the orders table');
  await page.getByRole('button', { name: 'Break glass and get access' }).click();
  await expect(page.getByText('Break-glass needs a reason')).toBeVisible();
  await page.getByLabel(/Reason \(required\), e\.g\. the incident ID/).fill('INC-4711: orders API down');
  await snapshot(page, testInfo, 'break-glass-form');
  await page.getByRole('button', { name: 'Break glass and get access' }).click();
  const granted = page.getByRole('dialog', { name: 'Access Granted' });
  await expect(granted).toBeVisible();
  await granted.getByRole('link', { name: 'My Requests' }).click();
  const mine = page.getByRole('list', { name: 'Requests' }).getByRole('listitem').filter({ hasText: 'orders' });
  await expect(mine).toContainText('Active');
  await expect(mine).toContainText('Break-glass · unreviewed');
  await logOut(page);

  await logIn(page, 'bob');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Approvals/ }).click();
  const queue = page.getByRole('list', { name: 'Break-glass uses to review' }).getByRole('listitem');
  await expect(queue).toHaveCount(1);
  await expect(queue).toContainText('INC-4711: orders API down');
  await expect(queue).toContainText('Alice Requester');
  await snapshot(page, testInfo, 'break-glass-review-queue');
  await queue.getByRole('button', { name: 'Mark reviewed' }).click();
  await expect(page.getByRole('heading', { name: 'Break-glass uses to review' })).toBeHidden();
  await logOut(page);

  await logIn(page, 'alice');
  const { card, panel } = await openMyRequest(page, 'orders');
  await expect(card).toContainText('Break-glass · reviewed');
  await expect(panel).toContainText('INC-4711: orders API down');
  await expect(panel).toContainText('Reviewed by Bob Approver');
  await snapshot(page, testInfo, 'break-glass-reviewed');
});
