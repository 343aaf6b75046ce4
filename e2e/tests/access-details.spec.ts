// Access Details and Connect on My Access: the secret is shown once, Reset
// Credentials issues new ones (Credentials rotated), Connect offers the
// options the integration supports.
import { request as http } from '@playwright/test';
import { test, expect, logIn, logOut, snapshot, submitViaApi, DEMO_PASSWORD } from '../fixtures';

test('Access Details shows the secret once; Reset Credentials issues new ones; Connect lists the options', async ({ page, baseURL }, testInfo) => {
  await page.goto('/my-access');
  await logIn(page, 'alice');
  await expect(page.getByRole('heading', { name: 'My Access', level: 1 })).toBeVisible();
  // Prod PostgreSQL, read-only on a database; bob approves it.
  const [id] = await submitViaApi(page, [{ resource: 'orders', permission: 'read-only' }]);
  const bob = await http.newContext({ baseURL });
  expect((await bob.post('/api/v1/session', { data: { username: 'bob', password: DEMO_PASSWORD } })).ok()).toBeTruthy();
  const approved = await bob.post(`/api/v1/requests/${id}/approve`);
  expect(approved.status(), await approved.text()).toBe(200);
  expect((await approved.json()).status).toBe('Active');
  await bob.dispose();
  await page.reload();

  const session = page.getByRole('list', { name: 'My Sessions' }).getByRole('listitem').first();
  await session.getByRole('button', { name: `Access Details: request ${id}` }).click();
  const details = page.getByRole('dialog', { name: `Access Details: request ${id}` });
  await expect(details.getByRole('heading', { name: 'Prod PostgreSQL' })).toBeVisible();
  await expect(details).toContainText('From your admin: Connect through the bastion');
  await expect(details).toContainText(`demo_alice_${id}`);
  await expect(details.getByLabel('Secret')).toHaveCount(0);
  await details.getByRole('button', { name: 'Show secret' }).click();
  const secret = details.getByLabel('Secret');
  await expect(secret).toHaveText(/^[A-Za-z0-9]{32}$/);
  const first = await secret.textContent();
  await expect(details).toContainText('Gatehouse shows it only once');
  await snapshot(page, testInfo, 'access-details-secret');
  await details.getByRole('button', { name: 'Close' }).click();

  // Opened again: the secret is gone for good; only a reset gives a new one.
  await session.getByRole('button', { name: `Access Details: request ${id}` }).click();
  await expect(details).toContainText('The secret was shown once already');
  await expect(details.getByRole('button', { name: 'Show secret' })).toHaveCount(0);
  await details.getByRole('button', { name: 'Reset Credentials' }).click();
  await expect(details.getByText('Credentials rotated')).toBeVisible();
  await details.getByRole('button', { name: 'Show secret' }).click();
  await expect(secret).toHaveText(/^[A-Za-z0-9]{32}$/);
  expect(await secret.textContent()).not.toBe(first);
  await details.getByRole('button', { name: 'Close' }).click();

  // The API agrees: nothing more to reveal.
  const again = await page.request.post(`/api/v1/requests/${id}/access/1/reveal`);
  expect(again.status()).toBe(409);

  await session.getByRole('button', { name: `Connect: request ${id}` }).click();
  const connect = page.getByRole('dialog', { name: `Connect: request ${id}` });
  await expect(connect.getByRole('heading', { name: 'Open in my Terminal' })).toBeVisible();
  await expect(connect.getByLabel('CLI command')).toHaveText(`gatehouse connect ${id}`);
  await expect(connect.getByLabel('Terminal command')).toContainText('psql "host=postgres.demo.internal');
  await expect(connect.getByRole('link', { name: 'Open in App' })).toHaveAttribute('href', /^postgresql:\/\/demo_alice_/);
  await expect(connect.getByRole('link', { name: 'Open in Browser' })).toHaveCount(0);
  await snapshot(page, testInfo, 'connect');
});

test('a grant that keeps failing is retried, and the request says why while it is Granting', async ({ page, baseURL }, testInfo) => {
  // carol connects a MySQL server that does not answer (nothing listens on port 1) and lets everyone ask for it.
  const carol = await http.newContext({ baseURL });
  expect((await carol.post('/api/v1/session', { data: { username: 'carol', password: DEMO_PASSWORD } })).ok()).toBeTruthy();
  const integration = await carol.post('/api/v1/admin/integrations', {
    data: { name: 'Shop MariaDB', kind: 'mysql', connector: 'mysql', connection_options: ['terminal'],
      settings: { host: '127.0.0.1', port: 1, user: 'gatehouse', password: 'a-long-admin-password', ssl_mode: 'disable' } },
  });
  expect(integration.status(), await integration.text()).toBe(201);
  const integrationId = (await integration.json()).id;
  const kind = await carol.post('/api/v1/admin/resource-types', {
    data: { integration_id: integrationId, name: 'database', permissions: ['read-only'] },
  });
  expect(kind.status(), await kind.text()).toBe(201);
  const resource = await carol.post('/api/v1/admin/resources', {
    data: { resource_type_id: (await kind.json()).id, name: 'shop', path: 'shop' },
  });
  expect(resource.status(), await resource.text()).toBe(201);
  const resourceId = (await resource.json()).id;
  const flow = await carol.post('/api/v1/admin/access-flows', {
    data: { name: 'Shop reads', grantees: [{ kind: 'everyone' }], scope: [{ kind: 'integration', id: integrationId }],
      auto_approve: true, durations_seconds: [3600], max_duration_seconds: 3600 },
  });
  expect(flow.status(), await flow.text()).toBe(201);
  await carol.dispose();

  await page.goto('/my-requests');
  await logIn(page, 'alice');
  await expect(page.getByRole('heading', { name: 'My Requests', level: 1 })).toBeVisible();
  const submitted = await page.request.post('/api/v1/requests', {
    data: { items: [{ resource_id: resourceId, permission: 'read-only' }], duration_seconds: 3600,
      justification: 'Reading the orders of OPS-31' },
  });
  expect(submitted.status(), await submitted.text()).toBe(201);
  const [{ id }] = (await submitted.json()).requests;
  // The first attempt fails within a moment; the request stays Granting.
  await expect
    .poll(async () => (await (await page.request.get(`/api/v1/requests/${id}/access`)).json())[0]?.attempts ?? 0)
    .toBeGreaterThan(0);

  await page.goto(`/my-requests?request=${id}`);
  const panel = page.getByRole('dialog', { name: `Access Request #${id}` });
  await expect(panel.locator('.panel-summary')).toContainText('Granting');
  const progress = panel.getByRole('region', { name: 'Granting access' });
  await expect(progress).toContainText('Shop MariaDB: being granted');
  await expect(progress).toContainText(/Granting failed: cannot connect to MySQL at 127\.0\.0\.1:1: .+ — retried, attempt \d+/);
  await snapshot(page, testInfo, 'granting-failed');

  // Admins see it on the integration too.
  await panel.getByRole('button', { name: 'Close' }).click();
  await logOut(page);
  await page.goto('/admin/integrations');
  await logIn(page, 'carol');
  const row = page.getByRole('row', { name: /Shop MariaDB/ });
  await expect(row).toContainText('1 failing');
  await snapshot(page, testInfo, 'integrations-failing');
  await row.getByRole('button', { name: 'Edit Shop MariaDB' }).click();
  const edit = page.getByRole('dialog', { name: 'Edit integration' });
  const failing = edit.getByText('1 grant or removal is being retried. The latest failure: cannot connect to MySQL at 127.0.0.1:1');
  await expect(failing).toBeVisible();
  await failing.scrollIntoViewIfNeeded();
  await snapshot(page, testInfo, 'integration-failing-editor');
});
