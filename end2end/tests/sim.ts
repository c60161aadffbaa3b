import { APIRequestContext, expect, Page, TestInfo } from '@playwright/test';
import { open } from './helpers';

/** The Bot API simulator's address (playwright.config.ts starts it). */
export const sim = () => process.env.TOMBOLA_E2E_SIM_URL!;

/** A bot that exists in the simulator, with a fresh token and username. */
export async function simBot(page: Page, name: string): Promise<{ token: string; username: string }> {
  const id = 100000000 + Math.floor(Math.random() * 800000000);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
  const secret = Array.from({ length: 35 }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');
  const username = `${name}_${id}_bot`;
  const res = await page.request.post(`${sim()}/sim/bots`, { data: { token: `${id}:${secret}`, username } });
  expect(res.ok()).toBeTruthy();
  return { token: `${id}:${secret}`, username };
}

/** Pastes a token into the Bots page's form and connects it. */
export async function connect(page: Page, testInfo: TestInfo, token: string) {
  await open(page, testInfo, '/bots');
  await page.getByLabel('Bot token').fill(token);
  await page.getByRole('button', { name: 'Connect bot' }).click();
}

/** The server's clock (earlier runs may have moved it forward). */
export async function serverNow(req: APIRequestContext): Promise<number> {
  const res = await req.post('/test/clock', { data: { advance_secs: 0 } });
  expect(res.ok()).toBeTruthy();
  return Date.parse((await res.json()).now);
}

/** "YYYY-MM-DDTHH:MM" in Asia/Shanghai (UTC+8, no DST), the tenant's default zone. */
export function shanghai(at: number): string {
  return new Date(at + 8 * 3600_000).toISOString().slice(0, 16);
}
