import { expect, Page, TestInfo } from '@playwright/test';

export const PASSWORD = 'correct horse battery';
export const OPERATOR_EMAIL = 'operator@tombola.test';

/** A unique address per call, so specs never collide in the shared database. */
export function uniqueEmail(prefix: string): string {
  return `${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e9)}@example.com`;
}

export function jsEnabled(testInfo: TestInfo): boolean {
  return testInfo.project.use.javaScriptEnabled !== false;
}

/** Opens a page and, when JavaScript runs, waits until the wasm has hydrated it. */
export async function open(page: Page, testInfo: TestInfo, path: string) {
  await page.goto(path);
  await ready(page, testInfo);
}

export async function ready(page: Page, testInfo: TestInfo) {
  if (jsEnabled(testInfo)) {
    await expect(page.locator('body[data-hydrated="true"]')).toBeAttached({ timeout: 15_000 });
  }
}

export async function signUp(page: Page, testInfo: TestInfo, company: string, email: string, password = PASSWORD) {
  await open(page, testInfo, '/signup');
  await page.getByLabel('Company or display name').fill(company);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
}

export async function logIn(page: Page, testInfo: TestInfo, email: string, password = PASSWORD) {
  await open(page, testInfo, '/login');
  await fillLogin(page, email, password);
}

export async function fillLogin(page: Page, email: string, password: string) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}
