// Regenerates docs/dashboard.png for the README: signs up a demo tenant on a running
// server (BASE_URL, default http://127.0.0.1:3000) and captures the Overview page.
// Usage: node end2end/screenshot.mjs   (needs fonts-noto-cjk for the Chinese text)
import { chromium } from 'playwright-core';

const base = process.env.BASE_URL ?? 'http://127.0.0.1:3000';
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const page = await browser.newPage({ locale: 'zh-CN', viewport: { width: 1200, height: 640 } });
await page.goto(`${base}/signup`);
await page.locator('body[data-hydrated="true"]').waitFor({ state: 'attached' });
await page.fill('#field-company', '幸运抽奖小铺');
await page.fill('#field-email', `demo-${Date.now()}@example.com`);
await page.fill('#field-password', 'correct horse battery');
await page.click('button[type=submit]');
await page.waitForURL(`${base}/`);
await page.locator('[data-testid=welcome]').waitFor();
await page.screenshot({ path: new URL('../docs/dashboard.png', import.meta.url).pathname });
await browser.close();
console.log('wrote docs/dashboard.png');
