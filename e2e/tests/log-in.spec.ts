// Journeys about getting in and out of the portal.
import { test, expect, logIn } from '../fixtures';

test('a mistyped password is refused with a clear message and the username stays typed', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();

  await logIn(page, 'alice', 'not-the-password');

  await expect(page.getByRole('alert')).toHaveText('Wrong username or password.');
  await expect(page.getByLabel('Username')).toHaveValue('alice');
  await expect(page).toHaveURL(/\/login/);

  // Fixing the password is all it takes.
  await page.getByLabel('Password').fill('gatehouse-demo');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { name: 'New Request' })).toBeVisible();
  await expect(page.getByRole('alert')).toHaveCount(0);
});

test('a signed-out visitor following a link lands on that page after logging in', async ({ page }) => {
  await page.goto('/new-request?search=billing');
  await expect(page).toHaveURL(/\/login\?next=/);

  await logIn(page, 'bob');

  await expect(page).toHaveURL(/\/new-request\?search=billing$/);
  await expect(page.getByLabel('Search')).toHaveValue('billing');
  await expect(page.getByRole('banner')).toContainText('Bob Approver');
});

test('logging out ends the session and leaves nothing behind for the next person', async ({ page }) => {
  await page.goto('/login');
  await logIn(page, 'carol');
  await expect(page.getByRole('banner')).toContainText('Carol Admin');
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New Request' })).toHaveAttribute(
    'aria-current',
    'page',
  );
  await page.getByRole('checkbox', { name: 'BillingAdmin' }).check();
  await expect(page.getByText('1 selected', { exact: true })).toBeVisible();

  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login$/);

  // The old page is no longer reachable without logging in again.
  await page.goto('/new-request');
  await expect(page).toHaveURL(/\/login\?next=/);

  // Whoever logs in next in this tab starts with an empty selection.
  await logIn(page, 'alice');
  await expect(page.getByRole('banner')).toContainText('Alice Requester');
  await expect(page.getByText('0 selected', { exact: true })).toBeVisible();
});

test('a signed-in visit shows its page without first asking who is signed in, and logging out still ends it', async ({ page }) => {
  // The server writes the session's user into the page: on a slow network
  // the round trip to /api/v1/me would come before anything else.
  const asked: string[] = [];
  page.on('request', (request) => {
    const path = new URL(request.url()).pathname;
    if (path === '/api/v1/me') asked.push(path);
  });
  await page.goto('/my-requests');
  await logIn(page, 'bob');
  await expect(page.getByRole('heading', { name: 'My Requests', level: 1 })).toBeVisible();
  asked.length = 0;

  await page.reload();
  await expect(page.getByRole('heading', { name: 'My Requests', level: 1 })).toBeVisible();
  await expect(page.getByRole('banner')).toContainText('Bob Approver');
  expect(asked).toEqual([]);

  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
  // The page the browser kept from before is not taken for a session.
  await page.goto('/my-requests');
  await expect(page).toHaveURL(/\/login\?next=/);
});
