// Sign in with the company's identity provider: a real OpenID Provider
// (oidc-provider, on loopback) and its own sign-in page, in Chromium.
import { test, expect, logIn, snapshot, DEMO_PASSWORD } from '../fixtures';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** Start the provider with Gatehouse's callback registered; its issuer URL. */
async function startProvider(callback: string): Promise<{ issuer: string; child: ChildProcess }> {
  const child = spawn('node', [path.resolve(__dirname, '..', 'oidc', 'provider.mjs')], {
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, OIDC_REDIRECT_URIS: callback },
  });
  const issuer = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the provider did not start: ${out}`)), 15_000);
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const found = /issuer (\S+)/.exec(out);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    });
  });
  return { issuer, child };
}

test('dana signs in with the identity provider and requests through a flow granted to her IdP group', async ({ page, server }, testInfo) => {
  const provider = await startProvider(`${server.baseURL}/api/v1/sso/callback`);
  try {
    // carol (admin) turns sign-in with the provider on, in Admin → Sign-in.
    await page.goto('/admin/sso');
    await logIn(page, 'carol');
    await expect(page.getByRole('heading', { name: 'Sign-in' })).toBeVisible();
    await page.getByLabel('Offer sign-in with the identity provider').check();
    await page.getByLabel('Name on the button').fill('Acme SSO');
    await page.getByLabel('Issuer URL').fill(provider.issuer);
    await page.getByLabel('Client ID').fill('gatehouse');
    await page.getByLabel('Client secret').fill('gatehouse-secret');
    await page.getByLabel('Scopes besides openid').fill('email profile groups');
    await page.getByLabel('Admin group').fill('gatehouse-admins');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByText('Saved.')).toBeVisible();
    await expect(page.getByText('A secret is stored (never shown).')).toBeVisible();
    await snapshot(page, testInfo, 'admin-sign-in');
    await page.getByRole('button', { name: 'Log out' }).click();

    // dana has never been here: the provider's page signs her in.
    await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
    const button = page.getByRole('link', { name: 'Sign in with Acme SSO' });
    await expect(button).toBeVisible();
    await snapshot(page, testInfo, 'log-in-with-provider');
    await button.click();
    await expect(page).toHaveURL(new RegExp(`^${provider.issuer}/interaction/`));
    await page.locator('input[name="login"]').fill('dana');
    await page.locator('input[name="password"]').fill('her provider password');
    await page.getByRole('button', { name: 'Sign-in' }).click();

    // Back in Gatehouse, signed in, on New Request.
    await expect(page.getByRole('heading', { name: 'New Request' })).toBeVisible();
    await expect(page.getByText('Dana Scully', { exact: true })).toBeVisible();
    const me = await (await page.request.get('/api/v1/me')).json();
    expect(me.username).toBe('dana');
    expect(me.is_admin).toBe(false);

    // Her provider group engineering lets her ask for the orders database.
    await page.getByLabel('Search').fill('orders');
    await page.getByRole('checkbox', { name: 'orders', exact: true }).check();
    await page.getByRole('link', { name: 'Next' }).click();
    await expect(page.getByRole('heading', { name: 'Complete Additional Details' })).toBeVisible();
    const preview = page.getByRole('region', { name: 'What happens next' });
    await expect(preview.getByText('Production databases')).toBeVisible();
    await page
      .getByLabel('Why do you need this access?')
      .fill('Debugging failed order exports for OPS-1423; I need read access because the job logs point at these tables');
    await page.getByRole('button', { name: 'Submit Request' }).click();
    const dialog = page.getByRole('dialog', { name: 'Pending Approval' });
    await expect(dialog).toBeVisible();
    await expect(dialog.getByText('Production databases')).toBeVisible();
    await snapshot(page, testInfo, 'dana-submitted');
  } finally {
    provider.child.kill();
  }
});

test('with passwords off, the form is folded away for break-glass admins', async ({ page }, testInfo) => {
  // Configured through the API, as an automated install would.
  const login = await page.request.post('/api/v1/session', { data: { username: 'carol', password: DEMO_PASSWORD } });
  expect(login.ok()).toBeTruthy();
  const saved = await page.request.put('/api/v1/admin/sso', {
    data: {
      enabled: true, display_name: 'Acme SSO', issuer: 'http://127.0.0.1:9/', client_id: 'gatehouse',
      password_login: false, break_glass_admins: ['carol'],
    },
  });
  expect(saved.status(), await saved.text()).toBe(200);
  await page.context().clearCookies();
  await page.goto('/login');
  await expect(page.getByRole('link', { name: 'Sign in with Acme SSO' })).toBeVisible();
  await expect(page.getByText('Passwords are turned off here.')).toBeVisible();
  await expect(page.getByLabel('Username')).toBeHidden();
  await snapshot(page, testInfo, 'passwords-off');
  // alice's password no longer works; carol (break-glass) still signs in.
  await page.getByText('Break-glass admin: sign in with a password').click();
  await logIn(page, 'alice');
  await expect(page.getByRole('alert')).toContainText('Passwords are turned off here: sign in with Acme SSO.');
  await page.getByLabel('Username').fill('carol');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { name: 'New Request' })).toBeVisible();
});
