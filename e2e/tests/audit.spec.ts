// Admin → Audit Log: filtered by request and actor, exported with the same filters.
import { readFileSync } from 'node:fs';
import { test, expect, logIn, logOut, snapshot, submitViaApi } from '../fixtures';

test('carol filters the audit log by a request alice made and exports it as CSV', async ({ page }, testInfo) => {
  await page.goto('/my-requests');
  await logIn(page, 'alice');
  await expect(page.getByRole('heading', { name: 'My Requests', level: 1 })).toBeVisible();
  await submitViaApi(page, [{ resource: 'api-gateway', permission: 'read' }]);
  const [id] = await submitViaApi(page, [{ resource: 'docs', permission: 'read' }]);
  expect((await page.request.post(`/api/v1/requests/${id}/revoke`)).ok()).toBeTruthy();
  await logOut(page);

  await page.goto('/admin/audit');
  await logIn(page, 'carol');
  await expect(page.getByRole('heading', { name: 'Audit Log', level: 1 })).toBeVisible();
  const entries = page.getByRole('table', { name: 'Audit entries' }).locator('tbody tr');
  await expect(entries.first()).toBeVisible();

  await page.getByLabel('Request').fill(String(id));
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(new RegExp(`request=${id}`));
  await expect(entries).not.toHaveCount(0);
  // Count only once the filtered answer is shown: every row is this request's.
  await expect(entries.filter({ hasNotText: `#${id}` })).toHaveCount(0);
  const count = await entries.count();
  expect(count).toBeGreaterThanOrEqual(3); // submitted, granted, revoked
  // Newest first: the submission is the last row.
  await expect(entries.last()).toContainText('submitted');
  await expect(entries.first()).not.toContainText('submitted');
  for (const row of await entries.all()) {
    await expect(row).toContainText(`#${id}`);
  }
  await expect(page.getByRole('table', { name: 'Audit entries' })).toContainText('Alice Requester');
  await snapshot(page, testInfo, 'audit-filtered');

  // A reload keeps the filter; the actor filter narrows further.
  await page.reload();
  await expect(page.getByLabel('Request')).toHaveValue(String(id));
  await expect(entries).toHaveCount(count);
  await page.getByLabel('Actor').selectOption({ label: 'Alice Requester (alice)' });
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/actor=/);
  for (const row of await entries.all()) {
    await expect(row).toContainText('Alice Requester');
  }

  // Export: the file holds this request's rows, and only them.
  await expect(page.getByRole('link', { name: 'Export JSON lines' })).toHaveAttribute('href', new RegExp(`format=jsonl.*request_id=${id}`));
  const downloading = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Export CSV' }).click();
  const download = await downloading;
  const csv = readFileSync(await download.path(), 'utf8').trim().split('\n');
  expect(csv[0]).toBe('id,at,actor_id,actor,request_id,action,detail');
  expect(csv.length).toBeGreaterThan(1);
  for (const line of csv.slice(1)) {
    expect(line.split(',')[4]).toBe(String(id));
    expect(line).toContain('"alice"');
  }

  // The time range: nothing happened after 2099.
  await page.getByLabel('From').fill('2099-01-01T00:00');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/from=2099-01-01T00%3A00|from=2099-01-01T00:00/);
  await expect(page.getByText('No entries match these filters.')).toBeVisible();
  await page.getByLabel('From').fill('');
  await page.getByLabel('To', { exact: true }).fill('2099-01-01T00:00');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(entries.first()).toBeVisible();

  await page.getByRole('button', { name: 'Clear filters' }).click();
  await expect(page).not.toHaveURL(/request=/);
  await expect(page.getByLabel('Request')).toHaveValue('');
});
