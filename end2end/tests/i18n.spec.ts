import { expect, test } from '@playwright/test';
import { open, ready, signUp, uniqueEmail } from './helpers';

test('the language switch turns the page into Chinese and back, and is remembered', async ({ page }, testInfo) => {
  await open(page, testInfo, '/login');
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();

  await page.getByRole('button', { name: '简体中文' }).click();
  await expect(page.getByRole('heading', { name: '登录' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  await expect(page.getByText('还没有账户？')).toBeVisible();

  // The choice outlives a reload, over the browser's English preference.
  await page.reload();
  await ready(page, testInfo);
  await expect(page.getByRole('heading', { name: '登录' })).toBeVisible();

  await page.getByRole('button', { name: 'English' }).click();
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
});

test('the dashboard speaks Chinese too', async ({ page }, testInfo) => {
  await signUp(page, testInfo, '幸运抽奖小铺', uniqueEmail('zh'));
  await expect(page).toHaveURL(/\/$/);
  await ready(page, testInfo);
  await page.getByRole('button', { name: '简体中文' }).click();
  await expect(page.getByTestId('welcome')).toHaveText('欢迎使用 Tombola，幸运抽奖小铺');
  await expect(page.getByRole('link', { name: '机器人' })).toBeVisible();
  await expect(page.getByRole('button', { name: '退出登录' })).toBeVisible();
});

test('a browser asking for Chinese gets Chinese', async ({ browser }, testInfo) => {
  const ctx = await browser.newContext({ locale: 'zh-CN', javaScriptEnabled: testInfo.project.use.javaScriptEnabled });
  const page = await ctx.newPage();
  await open(page, testInfo, '/signup');
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  await expect(page.getByRole('button', { name: '创建账户' })).toBeVisible();
  await ctx.close();
});
