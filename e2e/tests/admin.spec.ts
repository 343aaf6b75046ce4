// Admin: carol manages bundles and access flows that alice then uses;
// requesters cannot reach Admin, and the server refuses them too.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, expect, logIn, logOut, snapshot } from '../fixtures';

test('carol creates an access flow and a bundle in Admin and alice can use them', async ({ page }, testInfo) => {
  await page.goto('/my-access');
  await logIn(page, 'carol');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
  await expect(page).toHaveURL(/\/admin\/access-flows$/);
  await expect(page.getByRole('heading', { name: 'Access Flows', level: 1 })).toBeVisible();
  await expect(page.getByRole('row', { name: /GitHub self-service/ })).toBeVisible();

  // A bundle: the server's refusal shows next to its field, nothing typed is lost.
  const sections = page.getByRole('navigation', { name: 'Admin sections' });
  await sections.getByRole('link', { name: 'Bundles' }).click();
  await page.getByRole('button', { name: 'New bundle' }).click();
  await expect(page).toHaveURL(/edit=new/);
  const bundle = page.getByRole('dialog', { name: 'New bundle' });
  await bundle.getByLabel('Name').fill('Release tooling');
  await bundle.getByLabel('Description').fill('What a release manager needs on release day.');
  await bundle.getByRole('button', { name: 'Save' }).click();
  await expect(bundle.locator('#bundle-items-error')).toHaveText('A bundle holds 1 to 1000 items.');
  await expect(bundle.getByLabel('Name')).toHaveValue('Release tooling');

  await bundle.getByLabel('Add a resource').fill('deploy-scripts');
  await bundle.getByRole('button', { name: 'Add deploy-scripts' }).click();
  await bundle.getByLabel('Permission for deploy-scripts').selectOption('write');
  await bundle.getByLabel('Add a resource').fill('infra-terraform');
  await bundle.getByRole('button', { name: 'Add infra-terraform' }).click();
  await bundle.getByLabel('Permission for infra-terraform').selectOption('write');
  const items = bundle.getByRole('list', { name: 'Resources in the bundle' });
  await expect(items.getByRole('listitem')).toHaveCount(2);
  await snapshot(page, testInfo, 'bundle-editor');
  await bundle.getByRole('button', { name: 'Save' }).click();
  await expect(bundle).toBeHidden();
  await expect(page).not.toHaveURL(/edit=/);
  await expect(page.getByRole('row', { name: /Release tooling/ })).toContainText('deploy-scripts (write), infra-terraform (write)');

  // An access flow for alice over that bundle, auto-approved.
  await sections.getByRole('link', { name: 'Access Flows' }).click();
  await page.getByRole('button', { name: 'New access flow' }).click();
  const flow = page.getByRole('dialog', { name: 'New access flow' });
  await flow.getByLabel('Name').fill('Release managers');
  await flow.getByRole('button', { name: 'Grantees' }).click();
  await flow.getByRole('group', { name: 'Grantees' }).getByRole('checkbox', { name: 'Alice Requester' }).check();
  await page.keyboard.press('Escape');
  await flow.getByRole('button', { name: 'Bundles' }).click();
  await flow.getByRole('group', { name: 'Bundles' }).getByRole('checkbox', { name: 'Release tooling' }).check();
  await page.keyboard.press('Escape');
  // Approvers are required unless the flow auto-approves.
  await flow.getByLabel('Durations offered').fill('2h, 1d');
  await flow.getByLabel('Maximum duration').fill('4h');
  await flow.getByRole('button', { name: 'Save' }).click();
  await expect(flow.locator('#flow-durations-error')).toHaveText(
    'Every offered duration is positive and at most the maximum duration.',
  );
  await flow.getByLabel('Durations offered').fill('2h');
  await flow.getByRole('button', { name: 'Save' }).click();
  await expect(flow.locator('#flow-approvers-error')).toContainText('Name at least one approver');
  await flow.getByLabel('Auto-approve').check();
  await flow.getByLabel('Justification required').uncheck();
  await snapshot(page, testInfo, 'flow-editor');
  await flow.getByRole('button', { name: 'Save' }).click();
  await expect(flow).toBeHidden();
  const row = page.getByRole('row', { name: /Release managers/ });
  await expect(row).toContainText('Alice Requester');
  await expect(row).toContainText('Bundle Release tooling');
  await expect(row).toContainText('Auto-approve');
  await expect(row).toContainText('2 hours');
  await snapshot(page, testInfo, 'access-flows');
  await logOut(page);

  // alice requests the new bundle through the new flow.
  await page.goto('/new-request/bundles');
  await logIn(page, 'alice');
  await page.getByLabel('Search').fill('release');
  await expect(page.getByText('1 bundle', { exact: true })).toBeVisible();
  await page.getByRole('radio', { name: 'Release tooling' }).check();
  await page.getByRole('link', { name: 'Next' }).click();
  await expect(page.getByRole('heading', { name: 'Complete Additional Details' })).toBeVisible();
  await expect(page.getByLabel('Duration')).toHaveValue('7200');
  await page.getByRole('button', { name: 'Submit Request' }).click();
  const granted = page.getByRole('dialog', { name: 'Access Granted' });
  await expect(granted).toContainText('Release managers');
  await expect(granted).toContainText('deploy-scripts (write)');
  await expect(granted).toContainText('infra-terraform (write)');
  await snapshot(page, testInfo, 'alice-granted');
});

test('carol edits a resource type and a refused delete says why', async ({ page }, testInfo) => {
  await page.goto('/admin/resource-types');
  await logIn(page, 'carol');
  const row = page.getByRole('row', { name: /GitHub team/ });
  await row.getByRole('button', { name: 'Edit GitHub team' }).click();
  const editor = page.getByRole('dialog', { name: 'Edit resource type' });
  await expect(editor.getByLabel('Integration')).toBeDisabled();
  await editor.getByLabel('Permissions').fill('');
  await editor.getByRole('button', { name: 'Save' }).click();
  await expect(editor.locator('#type-permissions-error')).toHaveText('A resource type offers at least one permission.');
  await editor.getByLabel('Permissions').fill('member, maintainer, owner');
  await editor.getByRole('button', { name: 'Save' }).click();
  await expect(editor).toBeHidden();
  await expect(row).toContainText('owner');

  // The integration still has resource types: the server refuses, the dialog says why.
  await page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Integrations' }).click();
  await page.getByRole('button', { name: 'Delete GitHub' }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete GitHub?' });
  await confirm.getByRole('button', { name: 'Delete' }).click();
  await expect(confirm.getByRole('alert')).toBeVisible();
  await snapshot(page, testInfo, 'refused-delete');
  await confirm.getByRole('button', { name: 'No' }).click();
  await expect(page.getByRole('row', { name: /GitHub/ })).toBeVisible();

  // Resources: server paging and search, kept in the URL.
  await page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Resources' }).click();
  await expect(page.getByText('Page 1 of')).toBeVisible();
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page).toHaveURL(/page=2/);
  await expect(page.getByText('Page 2 of')).toBeVisible();
  await page.getByLabel('Search').fill('acme-logs');
  await expect(page).toHaveURL(/search=acme-logs/);
  await expect(page.getByText('1 resource', { exact: true })).toBeVisible();
  await page.reload();
  await expect(page.getByRole('row', { name: /acme-logs/ })).toBeVisible();
  await snapshot(page, testInfo, 'resources');
});

test('carol keeps the ticket types, and a flow scoped to one resource names it', async ({ page }, testInfo) => {
  await page.goto('/admin/ticket-types');
  await logIn(page, 'carol');
  await expect(page.getByRole('heading', { name: 'Ticket Types', level: 1 })).toBeVisible();
  await expect(page.getByRole('row', { name: /Jira/ })).toBeVisible();
  await expect(page.getByRole('row', { name: /ServiceNow/ })).toBeVisible();

  // A name taken is refused next to the field, and what was typed stays.
  await page.getByRole('button', { name: 'New ticket type' }).click();
  const editor = page.getByRole('dialog', { name: 'New ticket type' });
  await editor.getByLabel('Name').fill('Jira');
  await editor.getByRole('button', { name: 'Save' }).click();
  await expect(editor.getByRole('alert').first()).toContainText('already exists');
  await expect(editor.getByLabel('Name')).toHaveValue('Jira');
  await editor.getByLabel('Name').fill('Linear');
  await editor.getByRole('button', { name: 'Save' }).click();
  await expect(editor).toBeHidden();
  await expect(page.getByRole('row', { name: /Linear/ })).toBeVisible();

  await page.getByRole('button', { name: 'Edit ServiceNow' }).click();
  const rename = page.getByRole('dialog', { name: 'Rename ticket type' });
  await rename.getByLabel('Name').fill('ServiceNow ITSM');
  await rename.getByRole('button', { name: 'Save' }).click();
  await expect(rename).toBeHidden();
  await expect(page.getByRole('row', { name: /ServiceNow ITSM/ })).toBeVisible();

  await page.getByRole('button', { name: 'Delete Jira' }).click();
  await page.getByRole('dialog', { name: 'Delete Jira?' }).getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByRole('row', { name: /Jira/ })).toHaveCount(0);
  await snapshot(page, testInfo, 'ticket-types');

  // A flow over one resource shows the resource's name, in the list and the editor.
  const found = await page.request.get('/api/v1/resources?all=true&search=deploy-scripts');
  const resource = (await found.json()).items[0];
  const created = await page.request.post('/api/v1/admin/access-flows', {
    data: {
      name: 'Deploy scripts only', grantees: [{ kind: 'everyone' }], scope: [{ kind: 'resource', id: resource.id }],
      auto_approve: true, durations_seconds: [3600], max_duration_seconds: 3600,
    },
  });
  expect(created.status()).toBe(201);
  await page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Access Flows' }).click();
  const row = page.getByRole('row', { name: /Deploy scripts only/ });
  await expect(row).toContainText(`Resource deploy-scripts (${resource.integration_name})`);
  await row.getByRole('button', { name: 'Edit Deploy scripts only' }).click();
  await expect(page.getByRole('dialog', { name: 'Edit access flow' })).toContainText(`deploy-scripts (${resource.integration_name})`);
  await snapshot(page, testInfo, 'flow-resource-named');
});

test('alice cannot reach Admin, and the server refuses her its API', async ({ page }, testInfo) => {
  await page.goto('/admin/audit');
  await logIn(page, 'alice');
  await expect(page.getByRole('alert')).toContainText('Only admins can open the Admin pages.');
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Export CSV' })).toHaveCount(0);
  await snapshot(page, testInfo, 'not-admin');
  expect((await page.request.get('/api/v1/admin/audit')).status()).toBe(403);
  expect((await page.request.get('/api/v1/admin/access-flows')).status()).toBe(403);
  const bundle = await page.request.post('/api/v1/admin/bundles', {
    data: { name: 'Sneaky', description: '', items: [{ resource_id: 1, permission: 'read-only' }] },
  });
  expect(bundle.status()).toBe(403);
});

test('pages outside the first download come as modules of their own, to those who use them', async ({ page }) => {
  // scripts/portal-wasm splits the portal (app.rs): the log-in page, the
  // shell and My Requests are the first download; the requester's other
  // pages (split_requester.wasm, prefetched once the first page is idle),
  // Approvals, Admin and the MFA dialog are modules of their own.
  // Every module comes as the build's brotli copy: Chromium takes br.
  const fetched: string[] = [];
  const encodings = new Map<string, string | undefined>();
  page.on('response', async (response) => {
    const path = new URL(response.url()).pathname;
    if (!/\/portal-[0-9a-f]+\/[^/]+\.wasm$/.test(path)) return;
    encodings.set(path.split('/').pop() ?? path, (await response.allHeaders())['content-encoding']);
    const split = /split_([a-z]+)\.wasm$/.exec(path);
    if (split) fetched.push(`${response.status()} ${split[1]}`);
  });
  // What each user's session fetched (each module once, whether prefetched or opened).
  const modules = () => [...new Set(fetched.splice(0))].sort();
  const main = page.getByRole('navigation', { name: 'Main' });

  await page.goto('/login');
  await expect(page.getByRole('button', { name: 'Log in' })).toBeVisible();
  // The requester pages are prefetched while someone types their password.
  await expect.poll(modules).toEqual(['200 requester']);
  await logIn(page, 'alice');
  await expect(page.getByRole('heading', { name: 'New Request', level: 1 })).toBeVisible();
  for (const view of ['My Requests', 'My Access']) {
    await main.getByRole('link', { name: view, exact: true }).click();
    await expect(page.getByRole('heading', { name: view, level: 1 })).toBeVisible();
  }
  expect(modules()).toEqual(['200 requester']);
  await logOut(page);

  await logIn(page, 'bob');
  await main.getByRole('link', { name: /^Approvals/ }).click();
  await expect(page.getByRole('heading', { name: 'Approvals', level: 1 })).toBeVisible();
  await main.getByRole('link', { name: 'My Requests', exact: true }).click();
  await main.getByRole('link', { name: /^Approvals/ }).click();
  await expect(page.getByRole('heading', { name: 'Approvals', level: 1 })).toBeVisible();
  expect(modules()).toEqual(['200 approvals']);
  await logOut(page);

  await logIn(page, 'carol');
  await main.getByRole('link', { name: 'Admin' }).click();
  await expect(page.getByRole('heading', { name: 'Access Flows', level: 1 })).toBeVisible();
  const sections = page.getByRole('navigation', { name: 'Admin sections' });
  for (const section of ['Bundles', 'Users', 'Audit Log']) {
    await sections.getByRole('link', { name: section }).click();
    await expect(page.getByRole('heading', { name: section, level: 1 })).toBeVisible();
  }
  expect(modules()).toEqual(['200 admin']);
  expect([...encodings.keys()]).toEqual(
    expect.arrayContaining(['gatehouse-portal_bg.wasm', 'split_requester.wasm', 'split_admin.wasm', 'split_approvals.wasm']),
  );
  expect([...encodings.keys()]).not.toContain('split_mfa.wasm');
  expect(new Set(encodings.values())).toEqual(new Set(['br']));
});

test('a browser that does not take brotli gets the portal gzipped, and it works', async ({ browser, baseURL }) => {
  // Chromium sends the header it is given in place of its own.
  const context = await browser.newContext({ baseURL, extraHTTPHeaders: { 'Accept-Encoding': 'gzip, deflate' } });
  const page = await context.newPage();
  const encodings = new Map<string, string | undefined>();
  page.on('response', async (response) => {
    const path = new URL(response.url()).pathname;
    if (!/\/portal-[0-9a-f]+\/[^/]+\.(wasm|js)$/.test(path)) return;
    const headers = await response.allHeaders();
    encodings.set(path.split('/').pop() ?? path, `${headers['content-encoding']} (vary: ${headers['vary']})`);
  });
  await page.goto('/my-requests');
  await logIn(page, 'alice');
  await expect(page.getByRole('heading', { name: 'My Requests', level: 1 })).toBeVisible();
  // The first download, and whatever was prefetched by then: all gzip.
  expect(Object.fromEntries(encodings)).toMatchObject({
    'gatehouse-portal.js': 'gzip (vary: accept-encoding)',
    '__wasm_split.js': 'gzip (vary: accept-encoding)',
    'gatehouse-portal_bg.wasm': 'gzip (vary: accept-encoding)',
  });
  expect(new Set(encodings.values())).toEqual(new Set(['gzip (vary: accept-encoding)']));
  await context.close();
});

test('a failed download of Admin says so, and opening Admin again retries', async ({ browser, baseURL }, testInfo) => {
  // Its own page: the browser logs the refused download, which the shared
  // page fixture counts as a failure.
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  const adminModule = /\/portal-[0-9a-f]+\/split_admin\.wasm$/;
  await page.route(adminModule, (route) => route.abort('connectionfailed'));
  await page.goto('/my-requests');
  await logIn(page, 'carol');
  const main = page.getByRole('navigation', { name: 'Main' });
  await main.getByRole('link', { name: 'Admin' }).click();
  const failed = page.getByRole('alert');
  const message =
    'Admin could not be downloaded. Check the connection and open Admin again, or reload the page if Gatehouse was updated since you opened it.';
  await expect(failed).toHaveText(message);
  await snapshot(page, testInfo, 'admin-not-downloaded');
  // The button reloads the whole page (which, still refused, fails again).
  await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Reload the page' }).click()]);
  await expect(page).toHaveURL(/\/admin\/access-flows$/);
  await expect(failed).toHaveText(message);

  await page.unroute(adminModule);
  await main.getByRole('link', { name: 'My Requests' }).click();
  await expect(page.getByRole('heading', { name: 'My Requests', level: 1 })).toBeVisible();
  await main.getByRole('link', { name: 'Admin' }).click();
  await expect(page.getByRole('heading', { name: 'Access Flows', level: 1 })).toBeVisible();
  await expect(page.getByRole('row', { name: /GitHub self-service/ })).toBeVisible();
  await context.close();
});

test('carol connects an integration through a webhook and tests the connection', async ({ page }, testInfo) => {
  const pings: string[] = [];
  const receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      pings.push(body);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/gatehouse`;
  try {
    await page.goto('/admin/integrations');
    await logIn(page, 'carol');
    await page.getByRole('button', { name: 'New integration' }).click();
    const editor = page.getByRole('dialog', { name: 'New integration' });
    await editor.getByLabel('Name').fill('Deploy hooks');
    await editor.getByLabel('Kind').fill('deploy');
    await editor.getByLabel('Connector').selectOption('webhook');
    await editor.getByLabel('URL').fill(url);
    await editor.getByLabel('Signing secret').fill('too-short');
    await editor.getByRole('button', { name: 'Save' }).click();
    // Refused under the setting the server names.
    await expect(editor.locator('#hook-secret-error')).toContainText('at least 16 characters');
    await expect(editor.locator('#integration-settings-error')).toBeHidden();
    await editor.getByLabel('Signing secret').fill('0123456789abcdef-deploy');
    await editor.getByRole('button', { name: 'Save' }).click();
    await expect(editor).toBeHidden();
    const row = page.getByRole('row', { name: /Deploy hooks/ });
    await expect(row).toContainText('webhook');

    // The secret is never shown back; the saved settings answer a test.
    await row.getByRole('button', { name: 'Edit Deploy hooks' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit integration' });
    await expect(edit.getByLabel('URL')).toHaveValue(url);
    await expect(edit.getByLabel('Signing secret')).toHaveValue('');
    await expect(edit.getByText('Saved and never shown. Leave empty to keep it.')).toBeVisible();
    await edit.getByRole('button', { name: 'Test connection' }).click();
    await expect(edit.getByRole('status')).toContainText('Connection works');
    expect(pings.join('\n')).toContain('ping');
    await snapshot(page, testInfo, 'webhook-integration');
    // Saving without retyping the secret keeps it.
    await edit.getByLabel('Timeout in seconds').fill('5');
    await edit.getByRole('button', { name: 'Save' }).click();
    await expect(edit).toBeHidden();
    await row.getByRole('button', { name: 'Edit Deploy hooks' }).click();
    await expect(edit.getByLabel('Timeout in seconds')).toHaveValue('5');
    await edit.getByRole('button', { name: 'Test connection' }).click();
    await expect(edit.getByRole('status')).toContainText('Connection works');
  } finally {
    receiver.close();
  }
});

test('carol sets up a PostgreSQL integration: TLS unless turned off, and its settings refused next to them', async ({ page }, testInfo) => {
  await page.goto('/admin/integrations');
  await logIn(page, 'carol');
  await page.getByRole('button', { name: 'New integration' }).click();
  const editor = page.getByRole('dialog', { name: 'New integration' });
  await editor.getByLabel('Name').fill('Orders database');
  await editor.getByLabel('Kind').fill('database');
  await editor.getByLabel('Connector').selectOption('postgresql');
  await editor.getByLabel('Host', { exact: true }).fill('orders-db.internal');
  await editor.getByLabel('Admin user').fill('gatehouse');
  await editor.getByLabel('Admin password').fill('a-long-admin-password');
  const settingsError = editor.locator('#integration-settings-error');

  await editor.getByLabel('TLS').fill('prefer');
  await editor.getByRole('button', { name: 'Save' }).click();
  await expect(settingsError).toContainText('expected `verify-full` or `disable`');

  await editor.getByLabel('TLS').fill('verify-full');
  await editor.getByLabel('CA certificate (PEM)').fill('-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----');
  await editor.getByRole('button', { name: 'Save' }).click();
  await expect(editor.locator('#db-ssl-root-cert-error')).toContainText('ssl_root_cert is not a PEM certificate');
  await expect(editor.getByLabel('CA certificate (PEM)')).toHaveAttribute('aria-invalid', 'true');
  await expect(editor.getByLabel('Name')).toHaveValue('Orders database');
  await snapshot(page, testInfo, 'postgresql-tls-settings');

  await editor.getByLabel('CA certificate (PEM)').fill('');
  await editor.getByRole('button', { name: 'Save' }).click();
  await expect(editor).toBeHidden();
  const row = page.getByRole('row', { name: /Orders database/ });
  await row.getByRole('button', { name: 'Edit Orders database' }).click();
  await expect(page.getByRole('dialog', { name: 'Edit integration' }).getByLabel('TLS')).toHaveValue('verify-full');
});

test('carol sets up MySQL and LDAP integrations: their fields, what their own account needs, a bad DN refused', async ({ page }, testInfo) => {
  await page.goto('/admin/integrations');
  await logIn(page, 'carol');
  await page.getByRole('button', { name: 'New integration' }).click();
  const editor = page.getByRole('dialog', { name: 'New integration' });
  const settingsError = editor.locator('#integration-settings-error');
  const needs = editor.locator('.least-privilege');
  await editor.getByLabel('Name').fill('Shop MariaDB');
  await editor.getByLabel('Kind').fill('mysql');
  // Nothing to give a webhook's account: it signs in nowhere.
  await editor.getByLabel('Connector').selectOption('webhook');
  await expect(needs.getByRole('heading', { name: "What the connector's own account needs" })).toBeVisible();
  await expect(needs).toContainText('Nothing');

  // MySQL: its own fields, the drift settings, and the GRANTs from the README.
  await editor.getByLabel('Connector').selectOption('mysql');
  await expect(editor.getByText('Default 3306.')).toBeVisible();
  await expect(editor.getByLabel('Database', { exact: true })).toHaveCount(0);
  await editor.getByLabel('Host', { exact: true }).fill('shop-db.internal');
  await editor.getByLabel('Admin user').fill('gatehouse');
  await editor.getByLabel('Admin password').fill('a-long-admin-password');
  await editor.getByLabel('Host grantees connect to').fill('shop-db.example.com');
  await editor.getByLabel('TLS').fill('disable');
  await editor.getByLabel('Grant attempts').fill('3');
  await editor.getByLabel('Drift mode').selectOption('enforce');
  await editor.getByLabel('Check for drift every (minutes)').fill('30');
  await expect(needs).toContainText("GRANT CREATE USER, PROCESS, CONNECTION ADMIN ON *.* TO 'gatehouse'@'%';");
  await expect(needs).toContainText("GRANT SELECT ON mysql.tables_priv TO 'gatehouse'@'%';");
  await needs.scrollIntoViewIfNeeded();
  await snapshot(page, testInfo, 'mysql-integration');
  await editor.getByRole('button', { name: 'Save' }).click();
  await expect(editor).toBeHidden();
  const mysqlRow = page.getByRole('row', { name: /Shop MariaDB/ });
  await expect(mysqlRow).toContainText('mysql');
  await mysqlRow.getByRole('button', { name: 'Edit Shop MariaDB' }).click();
  const edit = page.getByRole('dialog', { name: 'Edit integration' });
  await expect(edit.getByLabel('Connector')).toHaveValue('mysql');
  await expect(edit.getByLabel('Host', { exact: true })).toHaveValue('shop-db.internal');
  await expect(edit.getByLabel('Admin password')).toHaveValue('');
  await expect(edit.getByText('Saved and never shown. Leave empty to keep it.')).toBeVisible();
  await expect(edit.getByLabel('Grant attempts')).toHaveValue('3');
  await expect(edit.getByLabel('Drift mode')).toHaveValue('enforce');
  await expect(edit.getByLabel('Check for drift every (minutes)')).toHaveValue('30');
  await expect(edit.getByRole('region', { name: 'Drift' })).toContainText('Checked every 30 minutes; what is found is reported and removed.');
  await edit.getByRole('button', { name: 'Cancel' }).click();
  await expect(edit).toBeHidden();

  // LDAP: a yes/no, choices with defaults, and the DN checked on save.
  await page.getByRole('button', { name: 'New integration' }).click();
  await editor.getByLabel('Name').fill('Directory groups');
  await editor.getByLabel('Kind').fill('ldap');
  await editor.getByLabel('Connector').selectOption('ldap');
  await expect(editor.getByLabel('Host', { exact: true })).toHaveCount(0);
  await editor.getByLabel('Directory URL').fill('ldap://dir.internal');
  await editor.getByLabel('Use StartTLS').check();
  await editor.getByLabel('Bind DN').fill('gatehouse at example');
  await editor.getByLabel('Bind password').fill('a-long-bind-password');
  await editor.getByLabel('Users under').fill('ou=people,dc=example,dc=com');
  await expect(editor.getByLabel('Matched with')).toHaveValue('');
  await editor.getByLabel('Matched with').selectOption('email');
  await editor.getByLabel('User attribute').fill('mail');
  await editor.getByLabel('Groups under').fill('ou=groups,dc=example,dc=com');
  await editor.getByLabel('Membership').selectOption('memberUid');
  await expect(needs).toContainText('attrs=member,memberUid');
  await expect(needs).toContainText('Write Members on the managed groups');
  await editor.getByRole('button', { name: 'Save' }).click();
  // Refused under the field the server names, the rest of the form as typed.
  const dnError = editor.locator('#ldap-bind-dn-error');
  await expect(dnError).toContainText('bind_dn "gatehouse at example" is not a DN');
  await expect(editor.getByLabel('Bind DN')).toHaveAttribute('aria-invalid', 'true');
  await expect(settingsError).toBeHidden();
  await expect(editor.getByLabel('Name')).toHaveValue('Directory groups');
  await expect(editor.getByLabel('Use StartTLS')).toBeChecked();
  await dnError.scrollIntoViewIfNeeded();
  await snapshot(page, testInfo, 'ldap-integration-bad-dn');
  await editor.getByLabel('Bind DN').fill('cn=gatehouse,ou=services,dc=example,dc=com');
  await editor.getByRole('button', { name: 'Save' }).click();
  await expect(editor).toBeHidden();
  const ldapRow = page.getByRole('row', { name: /Directory groups/ });
  await expect(ldapRow).toContainText('ldap');
  await ldapRow.getByRole('button', { name: 'Edit Directory groups' }).click();
  await expect(edit.getByLabel('Use StartTLS')).toBeChecked();
  await expect(edit.getByLabel('Matched with')).toHaveValue('email');
  await expect(edit.getByLabel('Membership')).toHaveValue('memberUid');
  await expect(edit.getByLabel('Bind password')).toHaveValue('');
  await expect(edit.getByLabel('Drift mode')).toHaveValue('');
  // Unchecked and saved without the password: StartTLS off, the password kept.
  await edit.getByLabel('Use StartTLS').uncheck();
  await edit.getByRole('button', { name: 'Save' }).click();
  await expect(edit).toBeHidden();
  const saved = await page.request.get('/api/v1/admin/integrations');
  const directory = (await saved.json()).find((i: { name: string }) => i.name === 'Directory groups');
  expect(directory.settings).toMatchObject({ url: 'ldap://dir.internal', password: '(set)', membership: 'memberUid', user_match: 'email' });
  expect(directory.settings.start_tls).toBeUndefined();
});

test('carol sets up SSH and AWS integrations: the CA key hosts trust, the IAM policy, a bad ARN refused', async ({ page }, testInfo) => {
  await page.goto('/admin/integrations');
  await logIn(page, 'carol');
  await page.getByRole('button', { name: 'New integration' }).click();
  const editor = page.getByRole('dialog', { name: 'New integration' });
  const needs = editor.locator('.least-privilege');
  await editor.getByLabel('Name').fill('Bastion');
  await editor.getByLabel('Kind').fill('ssh');
  // SSH: the sshd lines, and the CA's public key, made on first use.
  await editor.getByLabel('Connector').selectOption('ssh');
  const caKey = editor.locator('#ssh-ca-key');
  await expect(caKey).toHaveText(/^ssh-ed25519 AAAA\S+ gatehouse-user-ca$/);
  await expect(needs.first()).toContainText('TrustedUserCAKeys /etc/ssh/gatehouse_ca.pub');
  await expect(needs.first()).toContainText('RevokedKeys /etc/ssh/gatehouse_revoked.krl');
  const served = await page.request.get('/api/v1/ssh/ca');
  expect((await served.text()).trim()).toBe((await caKey.textContent())!.trim());
  await editor.getByLabel('Host', { exact: true }).fill('bastion.internal');
  await editor.getByLabel('Logins').fill('deploy, ops');
  await editor.getByLabel('Certificate minutes').fill('5');
  await caKey.scrollIntoViewIfNeeded();
  await snapshot(page, testInfo, 'ssh-integration');
  await editor.getByRole('button', { name: 'Save' }).click();
  await expect(editor).toBeHidden();
  const sshRow = page.getByRole('row', { name: /Bastion/ });
  await expect(sshRow).toContainText('ssh');
  // Sync offers each login as a resource.
  await sshRow.getByRole('button', { name: 'Edit Bastion' }).click();
  const edit = page.getByRole('dialog', { name: 'Edit integration' });
  await expect(edit.getByLabel('Logins')).toHaveValue('deploy, ops');
  await edit.getByRole('button', { name: 'Sync catalog' }).click();
  await expect(edit.getByText('Catalog synced: 2 found, 2 new.')).toBeVisible();
  await edit.getByRole('button', { name: 'Cancel' }).click();
  await expect(edit).toBeHidden();

  // AWS IAM Identity Center: its fields, the exact policy, the ARN checked on save.
  await page.getByRole('button', { name: 'New integration' }).click();
  await editor.getByLabel('Name').fill('AWS accounts');
  await editor.getByLabel('Kind').fill('aws');
  await editor.getByLabel('Connector').selectOption('aws_identity_center');
  await expect(editor.getByLabel('Logins')).toHaveCount(0);
  await editor.getByLabel('Region').fill('eu-west-1');
  await editor.getByLabel('Instance ARN').fill('arn:aws:iam::123456789012:role/admin');
  await editor.getByLabel('Users matched by').selectOption('email');
  await expect(needs).toContainText('"sso:CreateAccountAssignment"');
  await expect(needs).toContainText('"identitystore:GetUserId"');
  await editor.getByRole('button', { name: 'Save' }).click();
  const arnError = editor.locator('#aws-instance-error');
  await expect(arnError).toContainText('is not an IAM Identity Center instance ARN');
  await expect(editor.getByLabel('Instance ARN')).toHaveAttribute('aria-invalid', 'true');
  await arnError.scrollIntoViewIfNeeded();
  await snapshot(page, testInfo, 'aws-integration-bad-arn');
  await editor.getByLabel('Instance ARN').fill('arn:aws:sso:::instance/ssoins-1234567890abcdef');
  await editor.getByRole('button', { name: 'Save' }).click();
  await expect(editor).toBeHidden();
  await expect(page.getByRole('row', { name: /AWS accounts/ })).toContainText('aws_identity_center');

  // AWS roles: keys without their secret are refused.
  await page.getByRole('button', { name: 'New integration' }).click();
  await editor.getByLabel('Name').fill('AWS roles');
  await editor.getByLabel('Kind').fill('aws');
  await editor.getByLabel('Connector').selectOption('aws_role');
  await editor.getByLabel('Region').fill('us-east-1');
  await editor.getByLabel('Access key id').fill('AKIAIOSFODNN7EXAMPLE');
  await expect(needs).toContainText('"sts:AssumeRole"');
  await editor.getByRole('button', { name: 'Save' }).click();
  await expect(editor).toContainText('give both access_key_id and secret_access_key');
  await editor.getByLabel('Secret access key').fill('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
  await editor.getByRole('button', { name: 'Save' }).click();
  await expect(editor).toBeHidden();
  await expect(page.getByRole('row', { name: /AWS roles/ })).toContainText('aws_role');
});

test('carol checks an integration for drift: an unreachable server is reported with its error', async ({ page }, testInfo) => {
  await page.goto('/admin/integrations');
  await logIn(page, 'carol');
  await expect(page.getByRole('heading', { name: 'Integrations', level: 1 })).toBeVisible();
  // Nothing listens on port 1: the check cannot connect.
  const created = await page.request.post('/api/v1/admin/integrations', {
    data: { name: 'Billing MySQL', kind: 'mysql', connector: 'mysql', connection_options: ['terminal'],
      settings: { host: '127.0.0.1', port: 1, user: 'gatehouse', password: 'a-long-admin-password', ssl_mode: 'disable' } },
  });
  expect(created.status(), await created.text()).toBe(201);
  await page.reload();
  await page.getByRole('row', { name: /Billing MySQL/ }).getByRole('button', { name: 'Edit Billing MySQL' }).click();
  const edit = page.getByRole('dialog', { name: 'Edit integration' });
  const drift = edit.getByRole('region', { name: 'Drift' });
  // The last check loads with the editor (a new integration may not have one yet).
  await expect(drift.getByRole('status')).toContainText(/Not checked yet\.|Last checked/);
  await expect(drift).toContainText('Checked every 10 minutes; what is found is reported, not removed.');
  const checked = page.waitForResponse((r) => r.url().endsWith('/drift') && r.request().method() === 'POST');
  await drift.getByRole('button', { name: 'Check for drift' }).click();
  expect((await checked).status()).toBe(200);
  await expect(drift.getByRole('status')).toContainText(/Last checked .*: the check failed\./);
  await expect(drift.getByRole('status')).toContainText('cannot connect to MySQL at 127.0.0.1:1');
  await expect(drift.getByRole('table', { name: 'Drift findings' })).toHaveCount(0);
  await drift.scrollIntoViewIfNeeded();
  await snapshot(page, testInfo, 'drift-unreachable');

  // The report stays: opened again, the editor shows the same check.
  await edit.getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('row', { name: /Billing MySQL/ }).getByRole('button', { name: 'Edit Billing MySQL' }).click();
  await expect(drift.getByRole('status')).toContainText('cannot connect to MySQL at 127.0.0.1:1');
  // Connectors that cannot list holdings have no Drift section.
  await edit.getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('row', { name: /Prod PostgreSQL/ }).getByRole('button', { name: 'Edit Prod PostgreSQL' }).click();
  await expect(edit.getByLabel('Connector')).toHaveValue('demo');
  await expect(edit.getByRole('region', { name: 'Drift' })).toHaveCount(0);
});

test('Admin on a phone-sized screen: one card per row, nothing wider than the screen', async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/admin/access-flows');
  await logIn(page, 'carol');
  const row = page.getByRole('row', { name: /On-call break-glass/ });
  await expect(row).toContainText('Group engineering');
  const edit = row.getByRole('button', { name: 'Edit On-call break-glass' });
  await expect(edit).toBeInViewport();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await snapshot(page, testInfo, 'phone-access-flows');

  await edit.click();
  const editor = page.getByRole('dialog', { name: 'Edit access flow' });
  await expect(editor.getByLabel('Name')).toHaveValue('On-call break-glass');
  await editor.getByLabel('Name').fill('On-call break-glass (incidents)');
  await editor.getByLabel('Each extension adds').fill('30m');
  await editor.getByRole('button', { name: 'Save' }).click();
  await expect(editor).toBeHidden();
  await expect(page.getByRole('row', { name: /On-call break-glass \(incidents\)/ })).toBeVisible();
  await page.getByRole('row', { name: /incidents/ }).getByRole('button', { name: /^Edit/ }).click();
  await expect(editor.getByLabel('Each extension adds')).toHaveValue('30m');
  await snapshot(page, testInfo, 'phone-flow-editor');
});
