// No duplicate access: asking again for access alice already has shows the
// request that covers it, offers Extend when it nears expiry, and still lets
// her submit a second request on purpose.
import { test, expect, logIn, runSql, snapshot, submitViaApi } from '../fixtures';

test('alice is offered Extend instead of a duplicate', async ({ page, server }, testInfo) => {
  await page.goto('/new-request');
  await logIn(page, 'alice');
  await expect(page.getByRole('heading', { name: 'New Request' })).toBeVisible();
  // GitHub self-service: auto-approved, Extend offered in the last 15 minutes.
  const [id] = await submitViaApi(page, [{ resource: 'docs', permission: 'read' }]);
  const at = Math.floor(Date.now() / 1000) + 600;
  runSql(server.db, `UPDATE requests SET expires_at = ${at} WHERE id = ${Math.trunc(id)}`);

  await page.getByLabel('Search').fill('docs');
  await page.getByRole('checkbox', { name: 'docs', exact: true }).check();
  await page.getByRole('link', { name: 'Next' }).click();
  await expect(page.getByRole('heading', { name: 'Complete Additional Details' })).toBeVisible();
  const notice = page.getByRole('region', { name: 'You already have or asked for this access' });
  await expect(notice).toContainText(`You already have docs (read) through request #${id}.`);
  const submit = page.getByRole('button', { name: 'Submit Request' });
  await expect(submit).toBeDisabled();
  await snapshot(page, testInfo, 'offered-extend');

  await notice.getByRole('button', { name: `Extend request #${id}` }).click();
  await expect(notice.getByRole('status')).toContainText(`Request #${id} was extended`);
  const extended = await (await page.request.get(`/api/v1/requests/${id}`)).json();
  expect(extended.extensions_used).toBe(1);
  expect((await page.request.get('/api/v1/requests')).ok()).toBeTruthy();
  const mine = await (await page.request.get('/api/v1/requests')).json();
  expect(mine.items).toHaveLength(1);

  // Still covered (now far from expiry): she may submit a second one on purpose.
  await expect(notice.getByRole('button', { name: `Extend request #${id}` })).toHaveCount(0);
  await notice.getByLabel('Submit a new request anyway').check();
  await expect(submit).toBeEnabled();
  await submit.click();
  await expect(page.getByRole('dialog', { name: 'Access Granted' })).toBeVisible();
  const after = await (await page.request.get('/api/v1/requests')).json();
  expect(after.items).toHaveLength(2);
  const audit = await (await page.request.get(`/api/v1/requests/${after.items[0].id}`)).json();
  expect(audit.audit.map((entry: { action: string }) => entry.action)).toContain('duplicate_forced');
});

test('a request already waiting for approval is named, and the API refuses the duplicate', async ({ page }, testInfo) => {
  await page.goto('/new-request');
  await logIn(page, 'alice');
  await expect(page.getByRole('heading', { name: 'New Request' })).toBeVisible();
  const [id] = await submitViaApi(page, [{ resource: 'orders', permission: 'read-write' }]);
  await page.getByLabel('Search').fill('orders');
  await page.getByRole('checkbox', { name: 'orders', exact: true }).check();
  await page.getByRole('link', { name: 'Next' }).click();
  const notice = page.getByRole('region', { name: 'You already have or asked for this access' });
  await expect(notice).toContainText(`Request #${id} for orders (read-write) is already waiting for approval`);
  await expect(notice.getByRole('button', { name: /Extend/ })).toHaveCount(0);
  await snapshot(page, testInfo, 'already-waiting');
  // The API says the same, naming the covering request: read-write covers read-only.
  const found = await (await page.request.get('/api/v1/resources', { params: { search: 'orders', limit: 100 } })).json();
  const orders = found.items.find((r: { name: string }) => r.name === 'orders');
  const refused = await page.request.post('/api/v1/requests', {
    data: { items: [{ resource_id: orders.id, permission: 'read-only' }], duration_seconds: 3600, justification: 'Checking the nightly export because it failed, see OPS-1423' },
  });
  expect(refused.status()).toBe(409);
  const body = await refused.json();
  expect(body.code).toBe('duplicate_request');
  expect(body.covering[0].request_id).toBe(id);
  expect(body.covering[0].covering_permission).toBe('read-write');
});
