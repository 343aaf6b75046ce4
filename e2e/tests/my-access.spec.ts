// My Access: where Use Access leads.
import { test, expect, logIn, snapshot, submitViaApi } from '../fixtures';

test('Use Access leads to My Access, with the session, closed requests and favorites', async ({ page }, testInfo) => {
  await page.goto('/my-access');
  await logIn(page, 'alice');
  await expect(page.getByRole('heading', { name: 'My Access', level: 1 })).toBeVisible();
  const [old] = await submitViaApi(page, [{ resource: 'design-system', permission: 'read' }]);
  expect((await page.request.post(`/api/v1/requests/${old}/revoke`)).ok()).toBeTruthy();
  expect((await page.request.put(`/api/v1/requests/${old}/favorite`)).ok()).toBeTruthy();

  // Request through the form and follow Use Access from the pop-up.
  await page.goto('/new-request');
  await page.getByLabel('Search').fill('docs');
  await page.getByRole('checkbox', { name: 'docs', exact: true }).check();
  await page.getByRole('link', { name: 'Next' }).click();
  await page.getByRole('button', { name: 'Submit Request' }).click();
  await page.getByRole('dialog', { name: 'Access Granted' }).getByRole('link', { name: 'Use Access' }).click();

  await expect(page.getByRole('heading', { name: 'My Access', level: 1 })).toBeVisible();
  const sessions = page.getByRole('list', { name: 'My Sessions' }).getByRole('listitem');
  await expect(sessions).toHaveCount(1);
  await expect(sessions.first()).toContainText('docs (read)');
  await expect(sessions.first()).toContainText('left');
  await expect(page.getByRole('list', { name: 'Closed Requests' })).toContainText('design-system');
  const favorites = page.getByRole('list', { name: 'Favorites' }).getByRole('listitem');
  await expect(favorites).toHaveCount(1);
  await snapshot(page, testInfo, 'my-access');

  await favorites.first().getByRole('button', { name: /Request again/ }).click();
  const again = page.getByRole('dialog', { name: 'Request again' });
  await again.getByLabel('Justification', { exact: true }).fill('Design review needs the components, see DES-12');
  await again.getByRole('button', { name: 'Submit' }).click();
  await expect(again).toBeHidden();
  await expect(sessions).toHaveCount(2);
});
