import { expect, Page } from "@playwright/test";

/** A unique suffix so every run signs up fresh admins and accounts. */
export function unique(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

/** Waits until the page is interactive (set by the wasm entry point after hydration). */
export async function hydrated(page: Page): Promise<void> {
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
}

export interface Admin {
  email: string;
  password: string;
  company: string;
}

export async function signUp(page: Page, admin: Admin, application = "Billing"): Promise<void> {
  await page.goto("/signup");
  await hydrated(page);
  await page.getByLabel("First name").fill("Ada");
  await page.getByLabel("Last name").fill("Lovelace");
  await page.getByLabel("Work email").fill(admin.email);
  await page.getByLabel("Password", { exact: true }).fill(admin.password);
  await page.getByLabel("Company name").fill(admin.company);
  await page.getByLabel("Application name").fill(application);
  await page.getByTestId("submit").click();
}

export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto("/signin");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByTestId("submit").click();
}
