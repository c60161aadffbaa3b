import { defineConfig } from '@playwright/test';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';

// The server under test is the real binary built by `cargo leptos build`, started here
// on its own port with a throw-away SQLite database. scripts/test sets TOMBOLA_BIN and
// TOMBOLA_SITE_ROOT; the defaults fit a plain `cargo leptos build` in this checkout.
const root = path.resolve(__dirname, '..');
const port = process.env.TOMBOLA_E2E_PORT ?? '3100';
const baseURL = `http://127.0.0.1:${port}`;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tombola-e2e-'));
const bin = process.env.TOMBOLA_BIN ?? path.join(root, 'target', 'debug', 'tombola');
const databaseUrl = `sqlite://${dataDir}/e2e.db`;
// The Telegram Bot API simulator the server talks to instead of api.telegram.org.
const simPort = process.env.TOMBOLA_E2E_SIM_PORT ?? '3199';
const simBin = process.env.TOMBOLA_SIM_BIN ?? path.join(root, 'target', 'debug', 'telegram-sim');
process.env.TOMBOLA_E2E_SIM_URL = `http://127.0.0.1:${simPort}`;
// For global-setup.ts, which creates the operator account with the admin CLI.
process.env.TOMBOLA_E2E_BIN = bin;
process.env.TOMBOLA_E2E_DATABASE_URL = databaseUrl;

const chromium = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run',
  ],
};

export default defineConfig({
  testDir: './tests',
  globalSetup: './global-setup.ts',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 30_000,
  reporter: [['list']],
  use: {
    baseURL,
    locale: 'en-US',
    launchOptions: chromium,
    trace: 'off',
    screenshot: 'only-on-failure',
  },
  projects: [
    { name: 'hydrated', use: { javaScriptEnabled: true } },
    { name: 'no-js', use: { javaScriptEnabled: false } },
  ],
  webServer: [
  {
    command: `${simBin} --listen 127.0.0.1:${simPort}`,
    url: `http://127.0.0.1:${simPort}/sim/config`,
    timeout: 30_000,
    reuseExistingServer: false,
  },
  {
    command: bin,
    cwd: root,
    url: `${baseURL}/healthz`,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: process.env.TOMBOLA_SITE_ROOT ?? path.join(root, 'target', 'site'),
      TOMBOLA_DATABASE_URL: databaseUrl,
      TOMBOLA_SECRET_KEY_FILE: `${dataDir}/secret.key`,
      TOMBOLA_PUBLIC_URL: baseURL,
      // Every spec logs in from 127.0.0.1; the per-IP limit is covered by the Rust tests.
      TOMBOLA_LOGIN_MAX_FAILURES_PER_IP: '10000',
      TOMBOLA_LOGIN_MAX_FAILURES_PER_ACCOUNT: '5',
      TOMBOLA_LOG: process.env.TOMBOLA_E2E_LOG ?? 'warn',
      TOMBOLA_TELEGRAM_API_URL: `http://127.0.0.1:${simPort}`,
      // The giveaway spec moves the scheduler's clock instead of waiting for a draw.
      TOMBOLA_TEST_CLOCK: 'true',
      // Draws bound to a beacon round (protocol v3), served by the simulator's drand relay
      // for its test chain (telegram-sim/src/beacon.rs pins this key).
      TOMBOLA_BEACON_URLS: `http://127.0.0.1:${simPort}/drand`,
      TOMBOLA_BEACON_TEST_KEY:
        '8a4a72d83d3840957af533b1f9391eef34256cf274551bd83ad20ea20d5233d92d68a4b217a956d58fb003d5d3f68c910b8faf63d12e990ababd26af25109ebcc7a69fa58a278ac5781b505d8a3f927d6ec221b7ab70ce8951015af2494ccdf1',
    },
  },
  ],
});
