import { expect, test } from '@playwright/test';
import { fillLogin, logIn, open, PASSWORD, ready, signUp, uniqueEmail } from './helpers';

test('sign up, see the dashboard, log out, log in again', async ({ page }, testInfo) => {
  const email = uniqueEmail('flow');
  await signUp(page, testInfo, 'Lucky Draw Shop', email);
  await expect(page).toHaveURL(/\/$/);
  await ready(page, testInfo);
  await expect(page.getByTestId('tenant-name')).toHaveText('Lucky Draw Shop');
  await expect(page.getByTestId('welcome')).toContainText('Welcome to Tombola, Lucky Draw Shop');
  await expect(page.getByRole('link', { name: 'Bots' })).toBeVisible();

  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await ready(page, testInfo);
  // The dashboard is closed again.
  await page.goto('/');
  await expect(page).toHaveURL(/\/login$/);

  await logIn(page, testInfo, email);
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId('tenant-name')).toHaveText('Lucky Draw Shop');
});

test('a second tenant never sees the first one', async ({ browser }, testInfo) => {
  const a = await browser.newContext({ locale: 'en-US', javaScriptEnabled: testInfo.project.use.javaScriptEnabled });
  const b = await browser.newContext({ locale: 'en-US', javaScriptEnabled: testInfo.project.use.javaScriptEnabled });
  const pa = await a.newPage();
  const pb = await b.newPage();
  await signUp(pa, testInfo, 'Alpha Giveaways', uniqueEmail('alpha'));
  await signUp(pb, testInfo, 'Beta Raffles', uniqueEmail('beta'));
  await expect(pa.getByTestId('tenant-name')).toHaveText('Alpha Giveaways');
  await expect(pb.getByTestId('tenant-name')).toHaveText('Beta Raffles');
  await open(pb, testInfo, '/settings');
  await expect(pb.getByLabel('Company or display name')).toHaveValue('Beta Raffles');
  await expect(pb.locator('body')).not.toContainText('Alpha Giveaways');
  await a.close();
  await b.close();
});

test('a wrong password is refused with a clear message', async ({ page }, testInfo) => {
  const email = uniqueEmail('wrong');
  await signUp(page, testInfo, 'Wrong Password Co', email);
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await ready(page, testInfo);
  await fillLogin(page, email, 'not the password');
  await expect(page.getByTestId('form-error')).toHaveText('Wrong email or password.');
  await expect(page).toHaveURL(/\/login/);
  // An unknown account reads the same.
  await logIn(page, testInfo, uniqueEmail('nobody'), PASSWORD);
  await expect(page.getByTestId('form-error')).toHaveText('Wrong email or password.');
});

test('repeated wrong passwords lock the account for a while', async ({ page }, testInfo) => {
  const email = uniqueEmail('locked');
  await signUp(page, testInfo, 'Locked Out Ltd', email);
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  for (let i = 0; i < 5; i++) {
    await logIn(page, testInfo, email, `wrong password ${i}`);
    await expect(page.getByTestId('form-error')).toHaveText('Wrong email or password.');
  }
  // Even the right password waits now.
  await logIn(page, testInfo, email, PASSWORD);
  await expect(page.getByTestId('form-error')).toContainText('Too many attempts. Try again in');
  await page.goto('/');
  await expect(page).toHaveURL(/\/login$/);
});

test('sign-up errors are explained', async ({ page }, testInfo) => {
  const email = uniqueEmail('dup');
  await signUp(page, testInfo, 'Original', email);
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await signUp(page, testInfo, 'Copycat', email.toUpperCase());
  await expect(page.getByTestId('form-error')).toHaveText('This email is already registered. Log in instead.');
  await signUp(page, testInfo, 'Short', uniqueEmail('short'), 'short');
  await expect(page.getByTestId('form-error')).toHaveText('Password: too short.');
  await signUp(page, testInfo, '   ', uniqueEmail('blank'));
  await expect(page.getByTestId('form-error')).toHaveText('Company or display name: required.');
});
