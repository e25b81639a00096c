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

/** Confirms the signed-in admin's email with the link sign-up emailed, read from the Dev mailbox
 *  with the admin's own session: what an admin does before inviting other admins (an unconfirmed
 *  admin may not). The page must be on a dashboard URL of the admin's Account. */
export async function confirmEmail(page: Page, email: string): Promise<void> {
  const account = new URL(page.url()).pathname.split("/").filter(Boolean)[0];
  const box = await page.request.post("/api/load_mailbox", { data: { account, page: 1 } });
  expect(box.ok(), await box.text()).toBe(true);
  const items = (await box.json()).page.items as { id: string; kind: string; recipient: string }[];
  const mail = items.find((m) => m.kind === "admin_email_verification" && m.recipient === email);
  expect(mail, "the sign-up's confirmation email").toBeTruthy();
  const message = await page.request.post("/api/load_mail_message", { data: { account, id: mail?.id } });
  expect(message.ok(), await message.text()).toBe(true);
  const text = (await message.json()).text_body as string;
  const token = /token=([A-Za-z0-9_-]{43})/.exec(text)?.[1];
  expect(token, text).toBeTruthy();
  const verified = await page.request.post("/api/verify_admin_email", { data: { token } });
  expect(verified.ok(), await verified.text()).toBe(true);
}
