// Browser journeys against the real release binary in Debian's Chromium.
// No browser is ever downloaded: Playwright drives /usr/bin/chromium.
import { defineConfig, devices } from '@playwright/test';

const chromium = {
  ...devices['Desktop Chrome'],
  launchOptions: {
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  },
};

export default defineConfig<{ pgServer: string | undefined }>({
  testDir: './tests',
  outputDir: './test-results',
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: 0,
  // Two at a time: each journey waits on its page and its server more than
  // it works (GATEHOUSE_E2E_WORKERS to change it).
  workers: Number(process.env.GATEHOUSE_E2E_WORKERS) || 2,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    { name: 'chromium', use: { ...chromium } },
    // The core journeys again on PostgreSQL, when GATEHOUSE_E2E_PG names a
    // server (scripts/test): each test makes a database of its own there.
    ...(process.env.GATEHOUSE_E2E_PG
      ? [
          {
            name: 'postgres',
            testMatch: /(submit-request|approvals|my-access|access-details|extend)\.spec\.ts/,
            use: { ...chromium, pgServer: process.env.GATEHOUSE_E2E_PG },
          },
        ]
      : []),
  ],
});
