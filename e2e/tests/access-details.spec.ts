// Access Details and Connect on My Access: the secret is shown once, Reset
// Credentials issues new ones (Credentials rotated), Connect offers the
// options the integration supports.
import { request as http } from '@playwright/test';
import { test, expect, logIn, snapshot, submitViaApi, DEMO_PASSWORD } from '../fixtures';

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
