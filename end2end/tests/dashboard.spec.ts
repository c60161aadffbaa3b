import { expect, test } from '@playwright/test';
import { jsEnabled, open, ready, signUp, uniqueEmail } from './helpers';

test('settings are saved', async ({ page }, testInfo) => {
  await signUp(page, testInfo, 'Settings Shop', uniqueEmail('settings'));
  await expect(page).toHaveURL(/\/$/);
  await open(page, testInfo, '/settings');
  await page.getByLabel('Company or display name').fill('Settings Shop Renamed');
  await page.getByLabel('Time zone').selectOption('Europe/Berlin');
  await page.getByLabel('Default bot language').selectOption('en');
  await page.getByRole('button', { name: 'Save' }).click();
  await ready(page, testInfo);
  await page.goto('/settings');
  await expect(page.getByLabel('Company or display name')).toHaveValue('Settings Shop Renamed');
  await expect(page.getByLabel('Time zone')).toHaveValue('Europe/Berlin');
  await expect(page.getByLabel('Default bot language')).toHaveValue('en');
});

test('unknown pages answer 404 with a way back', async ({ page }, testInfo) => {
  const res = await page.goto('/definitely/not/here');
  expect(res?.status()).toBe(404);
  await ready(page, testInfo);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
});

test('the shell works at phone width', async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 375, height: 740 });
  await signUp(page, testInfo, 'Phone Shop', uniqueEmail('phone'));
  await expect(page).toHaveURL(/\/$/);
  await ready(page, testInfo);
  await expect(page.getByRole('link', { name: 'Settings' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Log out' })).toBeVisible();
  // Nothing sticks out sideways (measured where scripts may run).
  if (jsEnabled(testInfo)) {
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  }
});
