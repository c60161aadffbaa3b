import { expect, test } from '@playwright/test';
import { logIn, open, OPERATOR_EMAIL, ready, signUp, uniqueEmail } from './helpers';

test('the operator turns self-service sign-up off and on', async ({ page, browser }, testInfo) => {
  await logIn(page, testInfo, OPERATOR_EMAIL);
  await expect(page).toHaveURL(/\/$/);
  await ready(page, testInfo);
  // `admin create` accounts start in zh-CN and a login brings the account's language along.
  await page.getByRole('button', { name: 'English' }).click();
  await expect(page.getByRole('link', { name: 'Operator' })).toBeVisible();
  await page.getByRole('link', { name: 'Operator' }).click();
  await expect(page).toHaveURL(/\/operator$/);
  await ready(page, testInfo);
  await expect(page.getByTestId('tenant-count')).toHaveText(/^\d+$/);
  await expect(page.getByTestId('signup-state')).toHaveText('Anyone can sign up for a new tenant account.');

  await page.getByRole('button', { name: 'Turn sign-up off' }).click();
  await expect(page.getByTestId('signup-state')).toHaveText(/Self-service sign-up is off/);

  const stranger = await browser.newContext({ locale: 'en-US', javaScriptEnabled: testInfo.project.use.javaScriptEnabled });
  const sp = await stranger.newPage();
  await signUp(sp, testInfo, 'Too Late', uniqueEmail('late'));
  await expect(sp.getByTestId('form-error')).toHaveText('Self-service sign-up is closed. Please contact the platform operator.');

  await open(page, testInfo, '/operator');
  await page.getByRole('button', { name: 'Turn sign-up on' }).click();
  await expect(page.getByTestId('signup-state')).toHaveText('Anyone can sign up for a new tenant account.');
  await signUp(sp, testInfo, 'Just In Time', uniqueEmail('intime'));
  await expect(sp.getByTestId('tenant-name')).toHaveText('Just In Time');
  await stranger.close();
});

test('tenants have no operator page', async ({ page }, testInfo) => {
  await signUp(page, testInfo, 'Plain Tenant', uniqueEmail('plain'));
  await expect(page).toHaveURL(/\/$/);
  await ready(page, testInfo);
  await expect(page.getByRole('link', { name: 'Operator' })).toHaveCount(0);
  await open(page, testInfo, '/operator');
  await expect(page.getByTestId('form-error')).toHaveText('You are not allowed to do this.');
});

test('the operator puts a tenant on a bigger plan', async ({ page, browser }, testInfo) => {
  const tenant = await browser.newContext({ locale: 'en-US', javaScriptEnabled: testInfo.project.use.javaScriptEnabled });
  const tp = await tenant.newPage();
  const company = `Growing Shop ${Date.now()}`;
  await signUp(tp, testInfo, company, uniqueEmail('grow'));
  await expect(tp).toHaveURL(/\/$/);
  await open(tp, testInfo, '/bots');
  await expect(tp.getByTestId('bots-used')).toHaveText('0 of 2 bots used');

  await logIn(page, testInfo, OPERATOR_EMAIL);
  await expect(page).toHaveURL(/\/$/);
  await open(page, testInfo, '/operator');
  const row = page.getByTestId('tenant-row').filter({ hasText: company });
  await expect(row).toBeVisible();
  await row.getByRole('combobox').selectOption('pro');
  await row.getByRole('button', { name: /Save|保存/ }).click();
  await expect(async () => {
    await open(tp, testInfo, '/bots');
    await expect(tp.getByTestId('bots-used')).toHaveText('0 of 10 bots used', { timeout: 1000 });
  }).toPass({ timeout: 10_000 });
  await tenant.close();
});

test('the operator suspends a tenant, who is told why, and resumes it', async ({ page, browser }, testInfo) => {
  const tenant = await browser.newContext({ locale: 'en-US', javaScriptEnabled: testInfo.project.use.javaScriptEnabled });
  const tp = await tenant.newPage();
  const company = `Late Payer ${Date.now()}`;
  await signUp(tp, testInfo, company, uniqueEmail('late'));
  await expect(tp).toHaveURL(/\/$/);
  await expect(tp.getByTestId('suspended')).toHaveCount(0);

  await logIn(page, testInfo, OPERATOR_EMAIL);
  await expect(page).toHaveURL(/\/$/);
  await open(page, testInfo, '/operator');
  const row = page.getByTestId('tenant-row').filter({ hasText: company });
  await expect(row.getByTestId('tenant-status')).toHaveText(/Active|正常/);
  await row.getByRole('textbox').fill('invoice 42 unpaid');
  await row.getByRole('button', { name: /Suspend|暂停/ }).click();
  await expect(page.getByTestId('tenant-row').filter({ hasText: company }).getByTestId('tenant-status')).toHaveText(/Suspended|已暂停/);

  // The tenant sees why on every page, and cannot change anything.
  await open(tp, testInfo, '/settings');
  await expect(tp.getByTestId('suspended')).toContainText('suspended by the platform operator (invoice 42 unpaid)');
  await tp.getByRole('button', { name: 'Save' }).click();
  await expect(tp.getByTestId('form-error')).toContainText('suspended by the platform operator');

  await open(page, testInfo, '/operator');
  await page.getByTestId('tenant-row').filter({ hasText: company }).getByRole('button', { name: /Resume|恢复/ }).click();
  await expect(page.getByTestId('tenant-row').filter({ hasText: company }).getByTestId('tenant-status')).toHaveText(/Active|正常/);
  await open(tp, testInfo, '/settings');
  await expect(tp.getByTestId('suspended')).toHaveCount(0);
  await tenant.close();
});
