// Test fixtures: every test gets its own Gatehouse (the release binary with
// the demo catalog on a fresh SQLite file, on a free port), and fails if the
// page logs an error (a CSP violation, a panic, a failed asset).
import { test as base, expect, type Page, type TestInfo } from '@playwright/test';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// GATEHOUSE_BINARY lets a developer point the journeys at another build
// (e.g. target/debug/gatehouse, which reads dist/ from disk) while iterating.
const BINARY = process.env.GATEHOUSE_BINARY ?? path.resolve(__dirname, '..', 'target', 'release', 'gatehouse');
const STARTED = /Gatehouse is running at (http:\/\/\S+?)\/?$/m;

export const DEMO_PASSWORD = 'gatehouse-demo';

/** Browsers log every 401, 403, 409 and 422 answer: signed-out checks, refused
 * log-ins and the refusals journeys provoke on purpose (shown in the page). */
const EXPECTED_CONSOLE = [/Failed to load resource: the server responded with a status of (401|403|409|422)/];

/** The running server: its address and what its `--db` names (for journeys
 * that must move time, e.g. bring an expiry near): a SQLite file, or, when
 * the project's `pgServer` names a PostgreSQL server (the `postgres` project
 * of playwright.config.ts, from GATEHOUSE_E2E_PG), a database of its own there. */
type Fixtures = { server: { baseURL: string; db: string } };
type Options = { pgServer: string | undefined };

/** A fresh database on the test PostgreSQL `server`, as a `postgres://` URL. */
function postgresDatabase(server: string): string {
  const name = `e2e_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  execFileSync('psql', [server, '-qc', `CREATE DATABASE ${name}`]);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Run one SQL statement (no parameters) on the server's store. */
export function runSql(db: string, sql: string) {
  if (db.startsWith('postgres')) {
    execFileSync('psql', [db, '-qc', sql]);
  } else {
    execFileSync('python3', ['-c', 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1], timeout=10); c.execute(sys.argv[2]); c.commit()', db, sql]);
  }
}

export const test = base.extend<Fixtures & Options>({
  pgServer: [undefined, { option: true }],
  server: async ({ pgServer }, use) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-e2e-'));
    const db = pgServer ? postgresDatabase(pgServer) : path.join(dir, 'gatehouse.db');
    const child = spawn(
      BINARY,
      ['serve', '--demo', '--db', db, '--key-file', path.join(dir, 'gatehouse.key'), '--listen', '127.0.0.1:0'],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GATEHOUSE_LOG: 'warn' } },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const baseURL = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`gatehouse did not start in 30 s:\n${stdout}\n${stderr}`)), 30_000);
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
        const started = STARTED.exec(stdout);
        if (started) {
          clearTimeout(timer);
          resolve(started[1]);
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`gatehouse exited (${code}) before starting:\n${stdout}\n${stderr}`));
      });
    });
    await use({ baseURL, db });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(killer);
    rmSync(dir, { recursive: true, force: true });
  },
  baseURL: async ({ server }, use) => {
    await use(server.baseURL);
  },
  page: async ({ page, baseURL }, use) => {
    const problems: string[] = [];
    page.on('console', (message) => {
      const text = message.text();
      // Only our own pages and files count: the identity provider's sign-in
      // page (sso.spec.ts) is someone else's.
      const where = message.location().url;
      const ours = !where || !baseURL || where.startsWith(baseURL);
      if (ours && message.type() === 'error' && !EXPECTED_CONSOLE.some((expected) => expected.test(text))) {
        problems.push(text);
      }
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await use(page);
    expect(problems, 'the page logged errors').toEqual([]);
  },
});

export { expect };

/** Log in through the form, as a person would. */
export async function logIn(page: Page, username: string, password = DEMO_PASSWORD) {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** Save a screenshot of the page into this test's output folder. */
export async function snapshot(page: Page, testInfo: TestInfo, name: string) {
  await page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
}

/** Log out through the header button and wait for the log-in page. */
export async function logOut(page: Page) {
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
}

/**
 * Submit a request through the API as whoever is logged in on `page` (setup
 * for journeys that start after the form); resources are named exactly.
 */
export async function submitViaApi(
  page: Page,
  items: { resource: string; permission: string }[],
  justification = 'Checking the nightly export because it failed, see OPS-1423',
  duration_seconds = 3600,
): Promise<number[]> {
  const resolved = [];
  for (const item of items) {
    const found = await page.request.get('/api/v1/resources', { params: { search: item.resource, limit: 100 } });
    expect(found.ok()).toBeTruthy();
    const body = await found.json();
    const resource = body.items.find((r: { name: string }) => r.name === item.resource);
    expect(resource, `resource ${item.resource}`).toBeTruthy();
    resolved.push({ resource_id: resource.id, permission: item.permission });
  }
  const answer = await page.request.post('/api/v1/requests', {
    data: { items: resolved, duration_seconds, justification },
  });
  expect(answer.status(), await answer.text()).toBe(201);
  const created = await answer.json();
  return created.requests.map((r: { id: number }) => r.id);
}
