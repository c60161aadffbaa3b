import { expect, Page, test, TestInfo } from '@playwright/test';
import { open, signUp, uniqueEmail } from './helpers';
import { connect, sim, simBot } from './sim';

test('tenants connect their own bots, and a token cannot be taken twice', async ({ page, browser }, testInfo) => {
  const botA = await simBot(page, 'shop');
  await signUp(page, testInfo, 'Bot Shop A', uniqueEmail('bots-a'));
  await expect(page).toHaveURL(/\/$/);

  await connect(page, testInfo, 'definitely-not-a-token');
  await expect(page.getByTestId('form-error')).toContainText('that is not a bot token');

  await connect(page, testInfo, botA.token);
  await expect(page).toHaveURL(/\/bots$/);
  const rowA = page.getByTestId('bot-row').filter({ hasText: `@${botA.username}` });
  await expect(rowA).toBeVisible();
  await expect(rowA.getByRole('link', { name: `@${botA.username}` })).toHaveAttribute('href', `https://t.me/${botA.username}`);
  // No public https URL in this run: the bot is polled, and goes live.
  await expect(async () => {
    await page.reload();
    await expect(rowA.getByTestId('bot-status')).toHaveText('Live · by polling', { timeout: 1000 });
  }).toPass({ timeout: 15_000 });
  await expect(page.locator('body')).not.toContainText(botA.token.split(':')[1]);

  // A Telegram user sends /start and gets this tenant's menu.
  const user = await (await page.request.post(`${sim()}/sim/users`, { data: { first_name: 'Ann', language_code: 'en' } })).json();
  await page.request.post(`${sim()}/sim/users/${user.id}/start`, { data: { bot: `@${botA.username}` } });
  await expect(async () => {
    const events = await (await page.request.get(`${sim()}/sim/chats/${user.id}/events?bot=@${botA.username}`)).json();
    const menu = events.find((e: any) => e.kind === 'message');
    expect(menu?.message?.text).toBe("👋 Hi Ann! Welcome to Bot Shop A's giveaways.");
    expect(menu.message.reply_markup.inline_keyboard.map((row: any) => row[0].text)).toEqual(['🎁 Join', '🎊 My giveaways', '❓ Help']);
  }).toPass({ timeout: 10_000 });

  const other = await browser.newContext({ locale: 'en-US', javaScriptEnabled: testInfo.project.use.javaScriptEnabled });
  const pb = await other.newPage();
  await signUp(pb, testInfo, 'Bot Club B', uniqueEmail('bots-b'));
  await expect(pb).toHaveURL(/\/$/);
  await connect(pb, testInfo, botA.token);
  await expect(pb.getByTestId('form-error')).toHaveText(
    'This bot is already connected to another account. If it is yours, issue a new token in @BotFather (/revoke) and connect again.',
  );
  const botB = await simBot(pb, 'club');
  await connect(pb, testInfo, botB.token);
  await expect(pb.getByTestId('bot-row').filter({ hasText: `@${botB.username}` })).toBeVisible();
  // The same Telegram user, the other tenant's bot: the other tenant's menu.
  await page.request.post(`${sim()}/sim/users/${user.id}/start`, { data: { bot: `@${botB.username}` } });
  await expect(async () => {
    const events = await (await page.request.get(`${sim()}/sim/chats/${user.id}/events?bot=@${botB.username}`)).json();
    expect(events.find((e: any) => e.kind === 'message')?.message?.text).toBe("👋 Hi Ann! Welcome to Bot Club B's giveaways.");
  }).toPass({ timeout: 10_000 });
  await expect(pb.locator('body')).not.toContainText(botA.username);

  await open(page, testInfo, '/bots');
  await expect(page.getByTestId('bot-row')).toHaveCount(1);
  await expect(page.locator('body')).not.toContainText(botB.username);
  await other.close();

  // Disable asks first, then stops the bot; Enable brings it back.
  await rowA.getByText('Disable', { exact: true }).click();
  await expect(rowA).toContainText(`Disable @${botA.username}? It stops answering until you enable it again.`);
  await rowA.getByRole('button', { name: 'Yes, disable' }).click();
  await expect(rowA.getByTestId('bot-status')).toHaveText('Stopped');
  await rowA.getByRole('button', { name: 'Enable' }).click();
  await expect(async () => {
    await page.reload();
    await expect(rowA.getByTestId('bot-status')).toHaveText('Live · by polling', { timeout: 1000 });
  }).toPass({ timeout: 15_000 });
});

test("the Usage page counts a bot's API calls", async ({ page }, testInfo) => {
  const bot = await simBot(page, 'usage');
  await signUp(page, testInfo, 'Usage Shop', uniqueEmail('usage'));
  await expect(page).toHaveURL(/\/$/);
  await open(page, testInfo, '/usage');
  await expect(page.locator('main')).toContainText('API calls and entries appear here once a bot is connected.');
  await connect(page, testInfo, bot.token);
  await expect(page).toHaveURL(/\/bots$/);
  const user = await (await page.request.post(`${sim()}/sim/users`, { data: { first_name: 'Uma', language_code: 'en' } })).json();
  await page.request.post(`${sim()}/sim/users/${user.id}/start`, { data: { bot: `@${bot.username}` } });
  // Counts are written every few seconds.
  await expect(async () => {
    await open(page, testInfo, '/usage?range=hour');
    await expect(page.getByTestId('method-row').filter({ hasText: 'sendMessage' })).toHaveCount(1, { timeout: 1000 });
  }).toPass({ timeout: 20_000 });
  await expect(page.getByTestId('calls-chart')).toBeVisible();
  await expect(page.getByTestId('entries-chart')).toBeVisible();
  await expect(page.getByTestId('webhook-health')).toContainText('long polling');
  await expect(page.getByTestId('inbox-pending')).toHaveText('0');
  // The form picks another range without JavaScript too.
  await page.getByLabel('Range').selectOption('month');
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(page).toHaveURL(/range=month/);
  await expect(page.getByTestId('method-row').filter({ hasText: 'sendMessage' })).toHaveCount(1);
});
