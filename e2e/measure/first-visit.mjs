// Measures, in Chromium against the real release binary, how long the portal
// takes to work on a slow network: DevTools' "Fast 4G" and "Slow 4G"
// network profiles (Network.emulateNetworkConditions) with the CPU slowed 4x
// (Emulation.setCPUThrottlingRate), as a phone on a mobile network would see
// it. For each profile, RUNS times:
//   - log-in form interactive, first visit with a cold cache: from navigation
//     start to the portal's `gatehouse:login-interactive` performance mark
//     (set once the form's handlers are attached);
//   - the same on a repeat visit (same browser context: the portal's hashed
//     files come from the HTTP cache, only index.html crosses the network);
//   - the bytes transferred until the log-in form works, and those the
//     portal prefetches once it is idle (the modules of New Request etc.);
//   - signed in (session cookie set), /my-requests until its 20 cards are in
//     the page, cold cache and repeat visit.
// Also the bytes a cold log-in visit transfers (every response, headers
// included) and, once per profile, the waterfall of that visit.
// Usage (after scripts/build): node e2e/measure/first-visit.mjs [RUNS]
// Prints median and p75 of each; figures go to BENCHMARKS.md.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const runs = Number(process.argv[2] ?? 10);
// DevTools' presets: throughput in bytes per second, latency in ms added to
// each request (as DevTools computes them: 90% of the nominal rate).
const PROFILES = [
  { name: 'Fast 4G', latency: 165, downloadThroughput: 1_012_500, uploadThroughput: 168_750 },
  { name: 'Slow 4G', latency: 562.5, downloadThroughput: 180_000, uploadThroughput: 84_375 },
];
const CPU_SLOWDOWN = 4;

const work = mkdtempSync(join(tmpdir(), 'gh-first-visit-'));
const server = spawn(join(root, 'target/release/gatehouse'), ['serve', '--demo', '--db', join(work, 'db'), '--key-file', join(work, 'key'), '--listen', '127.0.0.1:0'], {
  stdio: ['ignore', 'pipe', 'ignore'],
  env: { ...process.env, GATEHOUSE_LOG: 'warn' },
});
const url = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (chunk) => {
    out += chunk;
    const match = out.match(/Gatehouse is running at (http\S+)\//);
    if (match) resolve(match[1]);
  });
  server.on('exit', () => reject(new Error('server exited')));
});

const median = (xs) => quantile(xs, 0.5);
function quantile(xs, q) {
  const sorted = [...xs].sort((a, b) => a - b);
  // Nearest rank: p75 of 10 runs is the 8th.
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

/** A page whose network and CPU are throttled; `transfers` collects what it downloads. */
async function throttledPage(context, profile) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: profile.latency,
    downloadThroughput: profile.downloadThroughput,
    uploadThroughput: profile.uploadThroughput,
  });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU_SLOWDOWN });
  const requests = new Map();
  const transfers = [];
  cdp.on('Network.requestWillBeSent', (event) => requests.set(event.requestId, { url: event.request.url, start: event.timestamp }));
  cdp.on('Network.responseReceived', (event) => {
    const request = requests.get(event.requestId);
    if (request) {
      request.fromCache = event.response.fromDiskCache || event.response.fromPrefetchCache || event.response.fromServiceWorker;
      request.encoding = event.response.headers['content-encoding'] ?? event.response.headers['Content-Encoding'];
    }
  });
  cdp.on('Network.loadingFinished', (event) => {
    const request = requests.get(event.requestId);
    if (request) transfers.push({ ...request, end: event.timestamp, bytes: event.encodedDataLength });
  });
  return { page, cdp, transfers };
}

/** Milliseconds from navigation start to the log-in form working. */
async function loginInteractive(page) {
  await page.goto(`${url}/login`, { waitUntil: 'commit' });
  await page.waitForFunction(() => performance.getEntriesByName('gatehouse:login-interactive').length > 0, null, { polling: 50, timeout: 60_000 });
  return page.evaluate(() => performance.getEntriesByName('gatehouse:login-interactive')[0].startTime);
}

// Notes, inside the page, when the 20th request card is added: the time is
// the page's own clock (0 = navigation start), not polling's.
const WATCH_CARDS = () => {
  new MutationObserver((_, observer) => {
    if (document.querySelectorAll('ul[aria-label="Requests"] > li').length >= 20) {
      window.__cardsAt = performance.now();
      observer.disconnect();
    }
  }).observe(document, { childList: true, subtree: true });
};

async function cardsVisible(page) {
  await page.goto(`${url}/my-requests`, { waitUntil: 'commit' });
  await page.waitForFunction(() => window.__cardsAt !== undefined, null, { polling: 50, timeout: 60_000 });
  return page.evaluate(() => window.__cardsAt);
}

function printWaterfall(title, transfers) {
  const t0 = Math.min(...transfers.map((t) => t.start));
  console.log(`  ${title}, first run (ms from its first request: start → end, bytes, encoding; "cache" = HTTP cache):`);
  for (const t of [...transfers].sort((a, b) => a.start - b.start)) {
    const path = new URL(t.url).pathname.replace(/portal-[0-9a-f]+/, 'portal-…') + new URL(t.url).search;
    const ms = (time) => String(Math.round((time - t0) * 1000)).padStart(5);
    console.log(`    ${ms(t.start)} → ${ms(t.end)}  ${String(t.bytes).padStart(7)} B  ${t.fromCache ? 'cache' : (t.encoding ?? '-')}  ${path}`);
  }
}

try {
  // 50 requests for alice (auto-approved GitHub reads), as in my-requests-render.mjs.
  const login = await fetch(`${url}/api/v1/session`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'alice', password: 'gatehouse-demo' }) });
  const cookie = login.headers.get('set-cookie').split(';')[0];
  const headers = { 'Content-Type': 'application/json', Cookie: cookie };
  const docs = (await (await fetch(`${url}/api/v1/resources?search=acme%2Fdocs`, { headers })).json()).items[0].id;
  for (let n = 0; n < 50; n++) {
    const made = await fetch(`${url}/api/v1/requests`, { method: 'POST', headers, body: JSON.stringify({ items: [{ resource_id: docs, permission: 'read' }], duration_seconds: 3600, allow_duplicate: true }) });
    if (made.status !== 201) throw new Error(`submit: ${made.status}`);
  }
  const [cookieName, cookieValue] = [cookie.slice(0, cookie.indexOf('=')), cookie.slice(cookie.indexOf('=') + 1)];

  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'] });
  for (const profile of PROFILES) {
    const results = { loginCold: [], loginRepeat: [], cardsCold: [], cardsRepeat: [], bytes: [], prefetched: [] };
    let waterfall;
    let signedInWaterfall;
    for (let run = 0; run < runs; run++) {
      // Signed out: a cold first visit, then a repeat visit in the same context.
      let context = await browser.newContext();
      let { page, transfers } = await throttledPage(context, profile);
      results.loginCold.push(await loginInteractive(page));
      results.bytes.push(transfers.reduce((sum, t) => sum + t.bytes, 0));
      // Then the portal prefetches the requester pages' modules (main.rs).
      const atMark = transfers.length;
      await page.waitForLoadState('networkidle');
      results.prefetched.push(transfers.slice(atMark).filter((t) => /\/(split_|chunk_)/.test(t.url)).reduce((sum, t) => sum + t.bytes, 0));
      if (run === 0) waterfall = [...transfers];
      await page.goto('about:blank');
      results.loginRepeat.push(await loginInteractive(page));
      await context.close();

      // Signed in: /my-requests with alice's session cookie.
      context = await browser.newContext();
      await context.addCookies([{ name: cookieName, value: cookieValue, url }]);
      await context.addInitScript(WATCH_CARDS);
      ({ page, transfers } = await throttledPage(context, profile));
      results.cardsCold.push(await cardsVisible(page));
      await page.goto('about:blank');
      const before = transfers.length;
      results.cardsRepeat.push(await cardsVisible(page));
      if (run === 0) signedInWaterfall = transfers.slice(before);
      await context.close();
    }
    console.log(`\n${profile.name} (${profile.downloadThroughput} B/s, ${profile.latency} ms), CPU ${CPU_SLOWDOWN}x slower, ${runs} runs`);
    printWaterfall('cold log-in visit', waterfall);
    printWaterfall('signed-in repeat visit to /my-requests', signedInWaterfall);
    const row = (label, xs) => console.log(`  ${label.padEnd(44)} median ${Math.round(median(xs))} ms, p75 ${Math.round(quantile(xs, 0.75))} ms  (runs: ${xs.map(Math.round).join(', ')})`);
    row('log-in interactive, cold cache', results.loginCold);
    row('log-in interactive, repeat visit', results.loginRepeat);
    row('signed in, 20 My Requests cards, cold cache', results.cardsCold);
    row('signed in, 20 My Requests cards, repeat visit', results.cardsRepeat);
    console.log(`  bytes transferred by a cold log-in visit until it is interactive: median ${median(results.bytes)} B`);
    console.log(`  bytes prefetched after that (the requester pages' modules): median ${median(results.prefetched)} B`);
  }
  await browser.close();
} finally {
  server.kill();
  rmSync(work, { recursive: true, force: true });
}
