// Measures, in Chromium against the real release binary, the time from
// navigating to /my-requests to the page showing its first page (20 cards) for a user with 50 requests.
// Usage (after scripts/build): node e2e/measure/my-requests-render.mjs [RUNS]
// Prints each run and the median; figures go to BENCHMARKS.md.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const runs = Number(process.argv[2] ?? 10);
const work = mkdtempSync(join(tmpdir(), 'gh-measure-'));
const server = spawn(join(root, 'target/release/gatehouse'), ['serve', '--demo', '--db', join(work, 'db'), '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'ignore'] });
const url = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (chunk) => {
    out += chunk;
    const match = out.match(/Gatehouse is running at (http\S+)\//);
    if (match) resolve(match[1]);
  });
  server.on('exit', () => reject(new Error('server exited')));
});
try {
  // 50 requests for alice (auto-approved GitHub reads).
  const login = await fetch(`${url}/api/v1/session`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'alice', password: 'gatehouse-demo' }) });
  const cookie = login.headers.get('set-cookie').split(';')[0];
  const headers = { 'Content-Type': 'application/json', Cookie: cookie };
  const docs = (await (await fetch(`${url}/api/v1/resources?search=acme%2Fdocs`, { headers })).json()).items[0].id;
  for (let n = 0; n < 50; n++) {
    const made = await fetch(`${url}/api/v1/requests`, { method: 'POST', headers, body: JSON.stringify({ items: [{ resource_id: docs, permission: 'read' }], duration_seconds: 3600, allow_duplicate: true }) });
    if (made.status !== 201) throw new Error(`submit: ${made.status}`);
  }
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'] });
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${url}/login`);
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password').fill('gatehouse-demo');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(/new-request/);
  const times = [];
  for (let run = 0; run < runs; run++) {
    const started = Date.now();
    await page.goto(`${url}/my-requests`);
    await page.getByRole('list', { name: 'Requests' }).getByRole('listitem').nth(19).waitFor();
    times.push(Date.now() - started);
  }
  await browser.close();
  times.sort((a, b) => a - b);
  console.log(`runs (ms): ${times.join(', ')}`);
  console.log(`median: ${times[Math.floor(times.length / 2)]} ms, worst: ${times[times.length - 1]} ms`);
} finally {
  server.kill();
  rmSync(work, { recursive: true, force: true });
}
