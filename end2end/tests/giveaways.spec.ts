import { APIRequestContext, expect, Page, test, TestInfo } from '@playwright/test';
import { jsEnabled, open, ready, signUp, uniqueEmail } from './helpers';
import { connect, serverNow, shanghai, sim, simBot } from './sim';

type Msg = { message_id: number; text: string; reply_markup?: any };

/** The bot's messages in a user's private chat. */
async function messages(req: APIRequestContext, user: number, bot: string): Promise<Msg[]> {
  const events = await (await req.get(`${sim()}/sim/chats/${user}/events?bot=@${bot}`)).json();
  return events.filter((e: any) => e.kind === 'message').map((e: any) => e.message);
}

/** Waits until every user has at least `n` bot messages; returns each one's n-th. */
async function nth(req: APIRequestContext, users: number[], bot: string, n: number): Promise<Msg[]> {
  let out: Msg[] = [];
  await expect(async () => {
    out = await Promise.all(users.map(async (u) => (await messages(req, u, bot))[n - 1]));
    expect(out.filter((m) => !m).length).toBe(0);
  }).toPass({ timeout: 60_000, intervals: [250] });
  return out;
}

async function newUsers(req: APIRequestContext, n: number, prefix: string): Promise<number[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const u = await (await req.post(`${sim()}/sim/users`, { data: { first_name: `${prefix}${i}`, language_code: 'en' } })).json();
      return u.id as number;
    }),
  );
}

test('a giveaway: created, joined by 60, drawn on time, winners told, verified in the browser', async ({ page }, testInfo: TestInfo) => {
  test.setTimeout(240_000);
  const req = page.request;
  const bot = await simBot(page, 'draw');
  const channel = await (await req.post(`${sim()}/sim/chats`, { data: { type: 'channel', title: 'Draw news', username: `news${Date.now() % 1e9}` } })).json();
  await req.post(`${sim()}/sim/chats/${channel.id}/members`, { data: { bot: `@${bot.username}`, status: 'administrator' } });

  await signUp(page, testInfo, 'Draw Shop', uniqueEmail('draw'));
  await expect(page).toHaveURL(/\/$/);
  await connect(page, testInfo, bot.token);
  await expect(page.getByTestId('bot-row')).toBeVisible();

  // The form, as a tenant fills it in.
  await open(page, testInfo, '/giveaways');
  await page.getByTestId('new-giveaway').click();
  await expect(page).toHaveURL(/\/giveaways\/new$/);
  await page.waitForLoadState();
  if (jsEnabled(testInfo)) await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  await page.getByLabel('Title').fill('Autumn Draw');
  await page.getByLabel('Description').fill('Gift cards and mugs.');
  await page.getByLabel('Prizes').fill('Gift card × 3\nMug × 2');
  await page.getByLabel('Reserve winners').fill('2');
  const now = await serverNow(req);
  await page.getByLabel('Starts').fill(shanghai(now - 60_000));
  await page.getByLabel('Ends', { exact: true }).fill(shanghai(now + 86_400_000));
  await page.getByLabel('Condition: member of these channels or groups').fill(`@${channel.username}`);
  await page.getByLabel('Extra tickets for inviting friends, at most').fill('3');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page).toHaveURL(/\/giveaways\/[a-z0-9]{16}$/);
  const id = page.url().split('/').pop()!;
  await expect(page.getByTestId('giveaway-status')).toHaveText('Draft');
  const commitment = (await page.getByTestId('commitment').textContent())!;
  expect(commitment).toMatch(/^[0-9a-f]{64}$/);
  await page.getByTestId('publish').click();
  await expect(page.getByTestId('giveaway-status')).toHaveText('Open');

  // 50 members join with the button, then 10 by entry #1's invite link; 5 outsiders are
  // told why not.
  const members = await newUsers(req, 60, 'Fan');
  const outsiders = await newUsers(req, 5, 'Outsider');
  for (const u of members) {
    await req.post(`${sim()}/sim/chats/${channel.id}/members`, { data: { user_id: u, status: 'member' } });
  }
  const byButton = [...members.slice(0, 50), ...outsiders];
  const byLink = members.slice(50);
  await Promise.all(byButton.map((u) => req.post(`${sim()}/sim/users/${u}/start`, { data: { bot: `@${bot.username}` } })));
  const menus = await nth(req, byButton, bot.username, 1);
  await Promise.all(byButton.map((u, i) =>
    req.post(`${sim()}/sim/users/${u}/press`, { data: { bot: `@${bot.username}`, message_id: menus[i].message_id, data: 'm:join' } })));
  const cards = await nth(req, byButton, bot.username, 2);
  expect(cards[0].text).toContain('Autumn Draw');
  expect(cards[0].text).toContain(commitment.slice(0, 16));
  await Promise.all(byButton.map((u, i) =>
    req.post(`${sim()}/sim/users/${u}/press`, {
      data: { bot: `@${bot.username}`, message_id: cards[i].message_id, data: cards[i].reply_markup.inline_keyboard[0][0].callback_data },
    })));
  const answers = await nth(req, byButton, bot.username, 3);
  const first = answers.find((m) => m.text.startsWith("✅ You're in! Your entry number is #1 "))!;
  expect(first.text).toContain(`https://t.me/${bot.username}?start=r_${id}_1`);
  await Promise.all(byLink.map((u) => req.post(`${sim()}/sim/users/${u}/start`, { data: { bot: `@${bot.username}`, payload: `r_${id}_1` } })));
  const linkAnswers = await nth(req, byLink, bot.username, 1);
  const joined = [...answers.slice(0, 50), ...linkAnswers];
  expect(joined.every((m) => m.text.startsWith("✅ You're in! Your entry number is #"))).toBeTruthy();
  const numbers = joined.map((m) => Number(/#(\d+)/.exec(m.text)![1])).sort((a, b) => a - b);
  expect(numbers).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  for (const m of answers.slice(50)) {
    expect(m.text).toBe(`One more step: join @${channel.username} first, then tap Join again.`);
  }

  await open(page, testInfo, `/giveaways/${id}`);
  await expect(page.getByTestId('entry-count')).toHaveText('60');
  await expect(page.getByTestId('entry-total')).toContainText('60 in all');
  await page.locator('#entry-q').fill('Fan7');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByTestId('entry-row')).toHaveCount(1);
  // Entry #1 brought ten friends: 1 + 3 tickets (the cap).
  await page.locator('#entry-q').fill('#1');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByTestId('entry-row').first().getByTestId('entry-tickets')).toHaveText('4');

  // The clock moves past the end: the scheduler closes and draws, no sleeping.
  const moved = await req.post('/test/clock', { data: { advance_secs: 2 * 86_400 } });
  expect(moved.ok()).toBeTruthy();
  await expect(async () => {
    await open(page, testInfo, `/giveaways/${id}`);
    await expect(page.getByTestId('giveaway-status')).toHaveText('Drawn', { timeout: 1000 });
    await expect(page.getByTestId('notice-counts')).toContainText('5 sent', { timeout: 1000 });
  }).toPass({ timeout: 60_000 });
  await expect(page.getByTestId('winners').locator('li')).toHaveCount(5);

  // Five winners got a message, the others none.
  const last = await Promise.all(members.map(async (u) => (await messages(req, u, bot.username)).pop()!.text));
  expect(last.filter((t) => t.startsWith('🎉 Congratulations')).length).toBe(5);

  // Anyone can verify: ✓, computed in the browser when JavaScript runs.
  await open(page, testInfo, `/verify/${id}`);
  await expect(page.getByTestId('verdict')).toContainText('✓ Verified');
  // Bound to a beacon round: the simulator's test chain, marked so, its signature checked first.
  await expect(page.getByTestId('protocol')).toContainText('version 3: picks weighted by tickets, with randomness that also depends on a public beacon');
  await expect(page.getByTestId('beacon')).toContainText(/TEST beacon \(a locally generated key, not drand\), round \d+/);
  await expect(page.locator('ul.checks li').first()).toHaveText("✓ The beacon round's signature is the chain's (its BLS signature checked with the chain's public key)");
  await expect(page.getByTestId('computed-where')).toHaveText(
    jsEnabled(testInfo) ? 'Computed in your browser.' : 'Computed by the server with the same code (enable JavaScript to compute it in your browser).',
  );
  const list = await (await req.get(`/verify/${id}/entries.txt`)).text();
  expect(list.split('\n').filter(Boolean)).toHaveLength(60);
  if (jsEnabled(testInfo)) {
    // One entry changed in the downloaded list: ✗.
    const lines = list.split('\n');
    // The pseudonym changed, the ticket count (the list's last column) kept.
    lines[41] = lines[41].replace(/^42 \S+ /, '42 ffffffffff ');
    expect(lines[41]).toMatch(/^42 ffffffffff \d+$/);
    await page.getByTestId('entry-list').fill(lines.join('\n'));
    await expect(page.getByTestId('verdict')).toContainText('✗ Not verified');
    await page.getByTestId('entry-list').fill(list);
    await expect(page.getByTestId('verdict')).toContainText('✓ Verified');
    // The beacon's signature edited in the published facts: its check fails first.
    const facts = await page.getByTestId('draw-json').inputValue();
    const sig = /"signature": "([0-9a-f]+)"/.exec(facts)![1];
    const flipped = (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1);
    await page.getByTestId('draw-json').fill(facts.replace(sig, flipped));
    await expect(page.getByTestId('verdict')).toContainText('✗ Not verified');
    await expect(page.locator('ul.checks li').first()).toHaveText("✗ The beacon round's signature is the chain's (its BLS signature checked with the chain's public key)");
    await page.getByTestId('draw-json').fill(facts);
    await expect(page.getByTestId('verdict')).toContainText('✓ Verified');
  }
});

/** The callback data of a message's first callback button. */
function callbackOf(m: Msg): string {
  return m.reply_markup.inline_keyboard.flat().find((b: any) => b.callback_data).callback_data;
}

test('prize codes and a claim window: a winner does not claim, the reserve gets the code, /verify lists it', async ({ page }, testInfo: TestInfo) => {
  test.setTimeout(240_000);
  const req = page.request;
  const bot = await simBot(page, 'codes');
  await signUp(page, testInfo, 'Code Shop', uniqueEmail('codes'));
  await expect(page).toHaveURL(/\/$/);
  await connect(page, testInfo, bot.token);
  await expect(page.getByTestId('bot-row')).toBeVisible();

  // Referrals and a claim window in the form.
  await open(page, testInfo, '/giveaways/new');
  await page.getByLabel('Title').fill('Code Draw');
  await page.getByLabel('Description').fill('Two gift cards with codes.');
  await page.getByLabel('Prizes').fill('Gift card × 2');
  await page.getByLabel('Reserve winners').fill('2');
  const now = await serverNow(req);
  await page.getByLabel('Starts').fill(shanghai(now - 60_000));
  await page.getByLabel('Ends', { exact: true }).fill(shanghai(now + 86_400_000));
  await page.getByLabel('Extra tickets for inviting friends, at most').fill('2');
  await page.getByLabel('Hours a winner has to claim the prize').fill('24');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page).toHaveURL(/\/giveaways\/[a-z0-9]{16}$/);
  const id = page.url().split('/').pop()!;
  await page.getByTestId('publish').click();
  await expect(page.getByTestId('giveaway-status')).toHaveText('Open');

  // Codes: a CSV file read into the box where JavaScript runs, pasted otherwise.
  await ready(page, testInfo);
  await page.getByTestId('codes-upload').locator('summary').click();
  const csv = 'code,value\nGIFT-A,50\nGIFT-B,50\nGIFT-C,50\n';
  if (jsEnabled(testInfo)) {
    await page.getByLabel('Or read a CSV file').setInputFiles({ name: 'codes.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await expect(page.getByLabel('Codes (one per line)')).toHaveValue(csv);
  } else {
    await page.getByLabel('Codes (one per line)').fill(csv);
  }
  await page.getByRole('button', { name: 'Add codes' }).click();
  await expect(async () => {
    if (!jsEnabled(testInfo)) await open(page, testInfo, `/giveaways/${id}`);
    await expect(page.getByTestId('codes-summary')).toHaveText('Gift card: 3 codes, 0 given', { timeout: 1000 });
  }).toPass({ timeout: 20_000 });
  if (jsEnabled(testInfo)) await expect(page.getByTestId('codes-added')).toHaveText('Added 3 codes; 0 were there already.');

  // While the page is open, what the tenant types stays as the figures refresh.
  if (jsEnabled(testInfo)) await page.locator('#announce-chat').fill('@codes_news');

  // 30 users: 20 by the giveaway's link, 10 through entry #1's invite link.
  const users = await newUsers(req, 30, 'Coder');
  for (const u of users.slice(0, 20)) {
    await req.post(`${sim()}/sim/users/${u}/start`, { data: { bot: `@${bot.username}`, payload: `g_${id}` } });
    await nth(req, [u], bot.username, 1);
  }
  await Promise.all(users.slice(20).map((u) => req.post(`${sim()}/sim/users/${u}/start`, { data: { bot: `@${bot.username}`, payload: `r_${id}_1` } })));
  const receipts = await nth(req, users, bot.username, 1);
  expect(receipts.every((m) => m.text.startsWith("✅ You're in! Your entry number is #"))).toBeTruthy();
  if (jsEnabled(testInfo)) {
    await expect(page.getByTestId('entry-count')).toHaveText('30', { timeout: 15_000 });
    await expect(page.locator('#announce-chat')).toHaveValue('@codes_news');
  }

  // The draw: two winners told to claim for their code.
  expect((await req.post('/test/clock', { data: { advance_secs: 2 * 86_400 } })).ok()).toBeTruthy();
  const wins = async (): Promise<[number, Msg][]> => {
    const out: [number, Msg][] = [];
    for (const u of users) {
      const m = (await messages(req, u, bot.username)).find((x) => x.text.startsWith('🎉 Congratulations'));
      if (m) out.push([u, m]);
    }
    return out;
  };
  let winners: [number, Msg][] = [];
  await expect(async () => {
    winners = await wins();
    expect(winners.length).toBe(2);
  }).toPass({ timeout: 60_000, intervals: [500] });
  for (const [, m] of winners) expect(m.text).toContain('Press “✅ Claim” to receive your code.');

  // The first claims and gets a code; the second lets the 24 hours pass.
  const [claimer, claimMsg] = winners[0];
  await req.post(`${sim()}/sim/users/${claimer}/press`, { data: { bot: `@${bot.username}`, message_id: claimMsg.message_id, data: callbackOf(claimMsg) } });
  const codeMsg = async (u: number) => {
    let text = '';
    await expect(async () => {
      text = (await messages(req, u, bot.username)).map((m) => m.text).find((t) => t.includes('Your code for Gift card')) ?? '';
      expect(text).not.toBe('');
    }).toPass({ timeout: 30_000, intervals: [250] });
    return text.split('\n').pop()!;
  };
  const firstCode = await codeMsg(claimer);
  expect(['GIFT-A', 'GIFT-B', 'GIFT-C']).toContain(firstCode);
  expect((await req.post('/test/clock', { data: { advance_secs: 25 * 3600 } })).ok()).toBeTruthy();

  // A reserve steps in, is told, claims and gets another code.
  let reserve: [number, Msg] | undefined;
  await expect(async () => {
    reserve = (await wins()).find(([u]) => u !== claimer && u !== winners[1][0]);
    expect(reserve).toBeTruthy();
  }).toPass({ timeout: 60_000, intervals: [500] });
  const [stepIn, stepInMsg] = reserve!;
  // The page, open before the reserve claims, shows the claim when it comes.
  await expect(async () => {
    await open(page, testInfo, `/giveaways/${id}`);
    await expect(page.getByTestId('rerolls')).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 20_000 });
  await expect(page.getByTestId('claim-state').filter({ hasText: 'claim by' })).toHaveCount(1);
  await req.post(`${sim()}/sim/users/${stepIn}/press`, { data: { bot: `@${bot.username}`, message_id: stepInMsg.message_id, data: callbackOf(stepInMsg) } });
  if (jsEnabled(testInfo)) await expect(page.getByTestId('claim-state')).toHaveText(['✓ claimed', '✓ claimed'], { timeout: 15_000 });
  const secondCode = await codeMsg(stepIn);
  expect(['GIFT-A', 'GIFT-B', 'GIFT-C']).toContain(secondCode);
  expect(secondCode).not.toBe(firstCode);

  // The dashboard shows whom each code went to; the reroll beside the winners.
  await expect(async () => {
    await open(page, testInfo, `/giveaways/${id}`);
    await expect(page.getByTestId('codes-summary')).toHaveText('Gift card: 3 codes, 2 given', { timeout: 1000 });
  }).toPass({ timeout: 20_000 });
  await expect(page.getByTestId('rerolls')).toContainText('prize not claimed in time');
  await expect(page.getByTestId('claim-state')).toHaveText(['✓ claimed', '✓ claimed']);
  await expect(page.getByTestId('code-row').filter({ hasText: secondCode })).toContainText('✓');

  // /verify: ✓ with the reroll listed.
  await open(page, testInfo, `/verify/${id}`);
  await expect(page.getByTestId('verdict')).toContainText('✓ Verified');
  await expect(page.getByTestId('rerolls')).toContainText('prize not claimed in time');
});
