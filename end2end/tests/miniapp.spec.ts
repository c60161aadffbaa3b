import { APIRequestContext, expect, Page, test, TestInfo } from '@playwright/test';
import { jsEnabled, open, signUp, uniqueEmail } from './helpers';
import { connect, serverNow, shanghai, sim, simBot } from './sim';

// The Mini App page as Telegram opens it: Telegram's script (telegram-web-app.js) is
// served by the test as a small stub of `window.Telegram.WebApp` holding initData that
// the simulator signed with the bot's token, the way Telegram would.

const TELEGRAM_SCRIPT = 'https://telegram.org/js/telegram-web-app.js';

/** Serves Telegram's script as a stub with this initData and a dark theme. */
async function inTelegram(page: Page, initData: string) {
  await page.unroute(TELEGRAM_SCRIPT);
  await page.route(TELEGRAM_SCRIPT, (route) =>
    route.fulfill({
      contentType: 'application/javascript',
      body: `
        const theme = { bg_color: '#17212b', text_color: '#f5f5f5', hint_color: '#708499',
          link_color: '#6ab3f3', button_color: '#5288c1', button_text_color: '#ffffff',
          secondary_bg_color: '#232e3c' };
        for (const [k, v] of Object.entries(theme)) {
          document.documentElement.style.setProperty('--tg-theme-' + k.replace(/_/g, '-'), v);
        }
        window.Telegram = { WebApp: { initData: ${JSON.stringify(initData)}, themeParams: theme,
          colorScheme: 'dark', ready() { window.__tgReady = true; }, expand() {} } };`,
    }),
  );
}

/** initData for `user` opening bot `bot`'s app, dated by the server's (test) clock. */
async function openApp(req: APIRequestContext, user: number, bot: string): Promise<string> {
  const now = await serverNow(req);
  const res = await req.post(`${sim()}/sim/users/${user}/open_webapp`, {
    data: { bot: `@${bot}`, auth_date: Math.floor(now / 1000) },
  });
  expect(res.ok()).toBeTruthy();
  return (await res.json()).init_data;
}

test('outside Telegram the page says how to open it', async ({ page }, testInfo: TestInfo) => {
  await page.route(TELEGRAM_SCRIPT, (route) => route.fulfill({ contentType: 'application/javascript', body: '' }));
  await open(page, testInfo, '/m/g/nosuchgiveaway01');
  if (jsEnabled(testInfo)) {
    await expect(page.getByTestId('mini-no-telegram')).toHaveText("Open this page from the giveaway's bot in Telegram.");
  } else {
    await expect(page.getByTestId('mini-needs-js')).toContainText('This is a Telegram Mini App page');
  }
});

test('a user joins in the Mini App, sees their number, then the result with ✓', async ({ page }, testInfo: TestInfo) => {
  test.setTimeout(120_000);
  const req = page.request;
  const bot = await simBot(page, 'mini');

  await signUp(page, testInfo, 'Mini Shop', uniqueEmail('mini'));
  await expect(page).toHaveURL(/\/$/);
  await connect(page, testInfo, bot.token);
  await expect(page.getByTestId('bot-row')).toBeVisible();
  await open(page, testInfo, '/giveaways/new');
  await page.getByLabel('Title').fill('Moon Cake Draw');
  await page.getByLabel('Description').fill('A box of moon cakes for one of you.');
  await page.getByLabel('Prizes').fill('Moon cake box × 1');
  await page.getByLabel('Reserve winners').fill('0');
  const now = await serverNow(req);
  await page.getByLabel('Starts').fill(shanghai(now - 60_000));
  await page.getByLabel('Ends', { exact: true }).fill(shanghai(now + 86_400_000));
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page).toHaveURL(/\/giveaways\/[a-z0-9]{16}$/);
  const giveaway = page.url().split('/').pop()!;
  await page.getByTestId('publish').click();
  await expect(page.getByTestId('giveaway-status')).toHaveText('Open');

  // Without JavaScript a Mini App cannot run: the real giveaway's page says so, and
  // nothing else happens.
  if (!jsEnabled(testInfo)) {
    await page.goto(`/m/g/${giveaway}`);
    await expect(page.getByTestId('mini-needs-js')).toContainText('This is a Telegram Mini App page');
    await expect(page.getByTestId('mini-card')).toHaveCount(0);
    return;
  }

  const user = (await (await req.post(`${sim()}/sim/users`, { data: { first_name: 'Lin', language_code: 'en' } })).json()).id;

  // Forged data (another user's id in signed data): a clear message, nothing joined.
  const genuine = await openApp(req, user, bot.username);
  await inTelegram(page, genuine.replace(String(user), String(user + 1)));
  await page.goto(`/m/g/${giveaway}`);
  await expect(page.getByTestId('mini-error')).toHaveText('Not found.');

  // The real thing, in a phone-sized window.
  await page.setViewportSize({ width: 390, height: 760 });
  await inTelegram(page, genuine);
  await page.goto(`/m/g/${giveaway}`);
  await expect(page.getByTestId('mini-card')).toBeVisible();
  await expect(page.locator('h1')).toHaveText('Moon Cake Draw');
  await expect(page.getByTestId('mini-state')).toContainText('Ends in 23 h');
  await expect(page.getByTestId('mini-count')).toHaveText('Entries so far: 0');
  expect(await page.evaluate(() => (window as any).__tgReady)).toBe(true);
  // Telegram's theme colours, as its script sets them.
  await expect(page.locator('main.mini')).toHaveCSS('background-color', 'rgb(23, 33, 43)');
  await page.getByTestId('mini-join').click();
  await expect(page.getByTestId('mini-said')).toContainText("You're in! Your entry number is #1");
  await expect(page.getByTestId('mini-entry')).toHaveText(/^You're in: entry #1 \(shown as .+\)$/);
  await expect(page.getByTestId('mini-count')).toHaveText('Entries so far: 1');
  await expect(page.getByTestId('mini-join')).toHaveCount(0);

  // The test clock passes the end; the scheduler draws. Reopened (fresh data, as
  // Telegram gives on each opening), the page shows the result and checks the draw.
  expect((await req.post('/test/clock', { data: { advance_secs: 2 * 86_400 } })).ok()).toBeTruthy();
  await expect(async () => {
    await inTelegram(page, await openApp(req, user, bot.username));
    await page.goto(`/m/g/${giveaway}`);
    await expect(page.getByTestId('mini-state')).toHaveText('Drawn', { timeout: 2000 });
  }).toPass({ timeout: 60_000 });
  await expect(page.getByTestId('mini-result')).toHaveText('🎉 You won: Moon cake box');
  await expect(page.getByTestId('mini-check')).toContainText('✓ Verified');
  // The e2e server draws on the simulator's test beacon, and the page says so.
  await expect(page.getByTestId('mini-test-beacon')).toContainText('TEST beacon');
  if (process.env.TOMBOLA_E2E_SCREENSHOTS) {
    await page.screenshot({ path: `${process.env.TOMBOLA_E2E_SCREENSHOTS}/miniapp.png`, fullPage: true });
  }
});
