// A manual integration: the request waits in Granting until its named
// fulfiller marks it granted on Approvals; the grantee then gets the secret once.
import { request as http } from '@playwright/test';
import { test, expect, logIn, logOut, snapshot, DEMO_PASSWORD } from '../fixtures';

test('bob grants a manual access by hand and alice sees the secret he handed over', async ({ page, baseURL }, testInfo) => {
  // carol (admin) sets up a manual integration that bob fulfils, and a flow over it.
  const carol = await http.newContext({ baseURL });
  expect((await carol.post('/api/v1/session', { data: { username: 'carol', password: DEMO_PASSWORD } })).ok()).toBeTruthy();
  const integration = await carol.post('/api/v1/admin/integrations', {
    data: { name: 'Legacy ERP', kind: 'erp', connector: 'manual', settings: { fulfillers: ['bob'] } },
  });
  expect(integration.status(), await integration.text()).toBe(201);
  const integrationId = (await integration.json()).id;
  const kind = await carol.post('/api/v1/admin/resource-types', {
    data: { integration_id: integrationId, name: 'module', permissions: ['user'] },
  });
  const resource = await carol.post('/api/v1/admin/resources', {
    data: { resource_type_id: (await kind.json()).id, name: 'ERP finance', path: 'erp/finance' },
  });
  expect(resource.status()).toBe(201);
  const resourceId = (await resource.json()).id;
  const flow = await carol.post('/api/v1/admin/access-flows', {
    data: { name: 'ERP by hand', grantees: [{ kind: 'everyone' }], scope: [{ kind: 'integration', id: integrationId }],
      auto_approve: true, durations_seconds: [3600], max_duration_seconds: 3600 },
  });
  expect(flow.status(), await flow.text()).toBe(201);
  await carol.dispose();

  await page.goto('/my-requests');
  await logIn(page, 'alice');
  await expect(page.getByRole('heading', { name: 'My Requests', level: 1 })).toBeVisible();
  const submitted = await page.request.post('/api/v1/requests', {
    data: { items: [{ resource_id: resourceId, permission: 'user' }], duration_seconds: 3600,
      justification: 'Closing the month, see FIN-7' },
  });
  expect(submitted.status(), await submitted.text()).toBe(201);
  const [created] = (await submitted.json()).requests;
  const id = created.id;
  expect(created.status).toBe('Granting');
  await logOut(page);

  await logIn(page, 'bob');
  await expect(page.getByRole('button', { name: 'Log out' })).toBeVisible();
  await page.goto('/approvals');
  const todo = page.getByRole('list', { name: 'To do by hand' }).getByRole('listitem').filter({ hasText: `request ${id}` });
  await expect(todo.getByRole('heading', { name: `Grant Legacy ERP access for alice (request ${id})` })).toBeVisible();
  await expect(todo).toContainText('erp/finance: user');
  await todo.getByLabel('Log-in name').fill('alice.erp');
  await todo.getByLabel('Secret').fill('Temporary-Pass-42');
  await todo.getByLabel('Instructions').fill('Sign in at erp.internal and change the password.');
  await snapshot(page, testInfo, 'fulfilment');
  await todo.getByRole('button', { name: 'Mark granted' }).click();
  await expect(page.getByRole('heading', { name: 'To do by hand' })).toBeHidden();
  await logOut(page);

  await logIn(page, 'alice');
  await expect(page.getByRole('button', { name: 'Log out' })).toBeVisible();
  await page.goto('/my-access');
  await page.getByRole('button', { name: `Access Details: request ${id}` }).click();
  const details = page.getByRole('dialog', { name: `Access Details: request ${id}` });
  await expect(details).toContainText('alice.erp');
  await expect(details).toContainText('Sign in at erp.internal');
  await details.getByRole('button', { name: 'Show secret' }).click();
  await expect(details.getByLabel('Secret')).toHaveText('Temporary-Pass-42');
});
