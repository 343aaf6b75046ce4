// One journey per connector kind that grants in a real system, against
// that system started on loopback (PostgreSQL, MariaDB, OpenLDAP, IAM
// Identity Center and IAM roles in moto), by the conformance suite's own harness through
// `target/debug/examples/e2e_targets`: carol connects it, alice requests
// access in the portal, it becomes Active, the target itself lets her in
// with what Access Details shows her, she revokes it, the target refuses her.
// For SSH the target is a real sshd trusting Gatehouse's CA, and she logs in
// with `gatehouse connect`, as Access Details tells her.
import { request as http, type Page } from '@playwright/test';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { test, expect, logIn, snapshot, DEMO_PASSWORD } from '../fixtures';

const TARGETS = process.env.GATEHOUSE_E2E_TARGETS ?? path.resolve(__dirname, '..', '..', 'target', 'debug', 'examples', 'e2e_targets');

type Started = { kind: string; settings: object; items: [string, string, string][]; ssh_options?: string[] };
const BINARY = process.env.GATEHOUSE_BINARY ?? path.resolve(__dirname, '..', '..', 'target', 'release', 'gatehouse');

/** A real target system, and the question the journeys ask it. */
class RealTarget {
  private constructor(
    private child: ChildProcessWithoutNullStreams,
    private lines: AsyncIterator<string>,
    readonly started: Started,
  ) {}

  static async start(kind: string): Promise<RealTarget> {
    const child = spawn(TARGETS, [kind], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done) throw new Error(`e2e_targets ${kind} did not start:\n${stderr}`);
    return new RealTarget(child, lines, JSON.parse(first.value));
  }

  /** Whether the target itself lets `login` (with `secret`) use `resource` now. */
  async works(login: string, secret: string | null, resource: string): Promise<boolean> {
    return (await this.ask(`works\t${login}\t${secret ?? ''}\t${resource}`)) === 'yes';
  }

  /** One line to the target, its one-line answer. */
  async ask(line: string): Promise<string> {
    this.child.stdin.write(`${line}\n`);
    return (await this.lines.next()).value;
  }

  async stop() {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.end();
    await exited;
  }
}

/** carol connects the target, syncs its catalog and lets everyone ask for it (approved at once). */
async function connect(baseURL: string, target: RealTarget): Promise<string> {
  const carol = await http.newContext({ baseURL });
  expect((await carol.post('/api/v1/session', { data: { username: 'carol', password: DEMO_PASSWORD } })).ok()).toBeTruthy();
  const { kind, settings, items } = target.started;
  const created = await carol.post('/api/v1/admin/integrations', {
    data: { name: `Real ${kind}`, kind, connector: kind, connection_options: ['terminal'], settings },
  });
  expect(created.status(), await created.text()).toBe(201);
  const integration = (await created.json()).id;
  const tested = await carol.post(`/api/v1/admin/integrations/${integration}/test`);
  expect((await tested.json()).ok, 'Test connection').toBe(true);
  const synced = await carol.post(`/api/v1/admin/integrations/${integration}/sync`);
  expect(synced.status(), await synced.text()).toBe(200);
  const flow = await carol.post('/api/v1/admin/access-flows', {
    data: { name: `Real ${kind} access`, grantees: [{ kind: 'everyone' }], scope: [{ kind: 'integration', id: integration }],
      auto_approve: true, durations_seconds: [3600], max_duration_seconds: 3600 },
  });
  expect(flow.status(), await flow.text()).toBe(201);
  // The name Sync gave the resource the journey requests.
  const [, resourcePath] = items[0];
  const found = await carol.get('/api/v1/resources', { params: { search: '', limit: 200 } });
  const resource = (await found.json()).items.find((r: { path: string }) => r.path === resourcePath);
  expect(resource, `Sync found ${resourcePath}`).toBeTruthy();
  await carol.dispose();
  return resource.name;
}

/** alice asks for `name` with `permission` on New Request, and lands on My Access. */
async function request(page: Page, name: string, permission: string) {
  await page.goto('/new-request');
  await logIn(page, 'alice');
  await page.getByLabel('Search').fill(name);
  await page.getByRole('checkbox', { name, exact: true }).check();
  await page.getByRole('link', { name: 'Next' }).click();
  await page.getByLabel(`Permission for ${name}`).selectOption(permission);
  await page.getByLabel('Why do you need this access?').fill(
    'Checking the nightly export because it failed, see OPS-1423; read access to the tables it writes',
  );
  await page.getByRole('button', { name: 'Submit Request' }).click();
  const granted = page.getByRole('dialog', { name: 'Access Granted' });
  await expect(granted).toBeVisible();
}

// aws_role: moto applies a role's Deny whatever its condition, so after the
// revoke the session is refused because a deny is in force on its role; that
// the deny names only this session is checked in backend/tests/aws.
for (const kind of ['postgresql', 'mysql', 'ldap', 'aws_identity_center', 'aws_role']) {
  test(`${kind}: alice gets access in the real system, and loses it when she revokes`, async ({ page, baseURL }, testInfo) => {
    test.setTimeout(120_000);
    const target = await RealTarget.start(kind);
    try {
      const [, resourcePath, permission] = target.started.items[0];
      const name = await connect(baseURL!, target);
      await request(page, name, permission);

      // Active, and Access Details give what she needs: the account, and its secret once.
      await page.goto('/my-requests');
      const card = page.getByRole('list', { name: 'Requests' }).getByRole('listitem').first();
      await expect(card).toContainText('Active', { timeout: 30_000 });
      await page.goto('/my-access');
      const session = page.getByRole('list', { name: 'My Sessions' }).getByRole('listitem').first();
      await session.getByRole('button', { name: /^Access Details: request \d+$/ }).click();
      const details = page.getByRole('dialog', { name: /^Access Details: request \d+$/ });
      await expect(details.getByRole('heading', { name: `Real ${kind}` })).toBeVisible();
      const login = (await details.locator('dt:text-is("Username") + dd code').textContent())!.trim();
      let secret: string | null = null;
      const show = details.getByRole('button', { name: 'Show secret' });
      if (await show.count()) {
        await show.click();
        // One line for the target's question (AWS keys are export lines).
        secret = (await details.getByLabel('Secret').textContent())!.replace(/\s+/g, ' ').trim();
      }
      await snapshot(page, testInfo, `${kind}-access-details`);
      expect(await target.works(login, secret, resourcePath), `${kind} lets ${login} in`).toBe(true);
      if (secret) expect(await target.works(login, `${secret}x`, resourcePath), 'not with another secret').toBe(false);
      await details.getByRole('button', { name: 'Close' }).click();

      // She revokes it; the target refuses her.
      await page.goto('/my-requests');
      await card.getByRole('button').first().click();
      const panel = page.getByRole('dialog', { name: /Access Request #/ });
      await panel.getByRole('button', { name: 'Revoke access' }).click();
      await page.getByRole('dialog', { name: 'Revoke access?' }).getByRole('button', { name: 'Yes' }).click();
      await expect(panel).toContainText('Revoked', { timeout: 30_000 });
      expect(await target.works(login, secret, resourcePath), `${kind} refuses ${login} after revoke`).toBe(false);
    } finally {
      await target.stop();
    }
  });
}

test('ssh: alice logs in to the real host with gatehouse connect, and is refused once she revokes', async ({ page, baseURL }, testInfo) => {
  test.setTimeout(120_000);
  const target = await RealTarget.start('ssh');
  try {
    // The host trusts the CA Gatehouse made (as an admin copies it there).
    const carol = await http.newContext({ baseURL });
    expect((await carol.post('/api/v1/session', { data: { username: 'carol', password: DEMO_PASSWORD } })).ok()).toBeTruthy();
    const ca = (await (await carol.get('/api/v1/ssh/ca')).text()).trim();
    await carol.dispose();
    expect(await target.ask(`ca\t${ca}`)).toBe('started');
    const [, , permission] = target.started.items[0];
    const name = await connect(baseURL!, target);
    await request(page, name, permission);

    await page.goto('/my-access');
    const session = page.getByRole('list', { name: 'My Sessions' }).getByRole('listitem').first();
    const detailsButton = session.getByRole('button', { name: /^Access Details: request \d+$/ });
    const id = (await detailsButton.getAttribute('aria-label'))?.match(/\d+$/)?.[0]
      ?? (await detailsButton.textContent())!.match(/\d+/)![0];
    await detailsButton.click();
    const details = page.getByRole('dialog', { name: `Access Details: request ${id}` });
    await expect(details).toContainText(`run \`gatehouse connect ${id}\``);
    await expect(details.locator('dt:text-is("Username") + dd code')).toHaveText('ghssh');
    await expect(details.getByRole('button', { name: 'Show secret' })).toHaveCount(0);
    await snapshot(page, testInfo, 'ssh-access-details');
    await details.getByRole('button', { name: 'Close' }).click();

    // What Access Details says, in a terminal: a key of her own, a certificate, ssh.
    const config = mkdtempSync(path.join(tmpdir(), 'gatehouse-cli-'));
    const cli = (...args: string[]) => spawnSync(BINARY, args, {
      env: { ...process.env, GATEHOUSE_CONFIG_DIR: config, GATEHOUSE_PASSWORD: DEMO_PASSWORD },
      encoding: 'utf8', timeout: 60_000,
    });
    const loggedIn = cli('login', '--server', baseURL!, '--username', 'alice');
    expect(loggedIn.status, loggedIn.stderr).toBe(0);
    const connected = cli('connect', id, '--', ...target.started.ssh_options!, 'echo', 'in');
    expect(connected.status, connected.stderr).toBe(0);
    expect(connected.stdout.trim()).toBe('in');
    const key = path.join(config, 'ssh', 'id_ed25519');
    const cert = `${key}-cert.pub`;
    expect(await target.ask(`ssh\t${key}\t${cert}`)).toBe('yes');

    // She revokes it: no new certificate, and once the host has the
    // revocation list, the last one is refused too.
    await page.goto('/my-requests');
    const card = page.getByRole('list', { name: 'Requests' }).getByRole('listitem').first();
    await card.getByRole('button').first().click();
    const panel = page.getByRole('dialog', { name: /Access Request #/ });
    await panel.getByRole('button', { name: 'Revoke access' }).click();
    await page.getByRole('dialog', { name: 'Revoke access?' }).getByRole('button', { name: 'Yes' }).click();
    await expect(panel).toContainText('Revoked', { timeout: 30_000 });
    const refused = cli('connect', id, '--', ...target.started.ssh_options!, 'echo', 'in');
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('no active access');
    const krl = await page.request.get('/api/v1/ssh/revoked-keys');
    expect(krl.ok()).toBeTruthy();
    expect(await target.ask(`krl\t${Buffer.from(await krl.body()).toString('base64')}`)).toBe('ok');
    expect(await target.ask(`ssh\t${key}\t${cert}`), 'the host refuses the revoked certificate').toBe('no');
  } finally {
    await target.stop();
  }
});
