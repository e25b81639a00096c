import { BrowserContext, expect, Page, test } from "@playwright/test";
import { hydrated, signUp, unique } from "./helpers";
import { expectAccessible, watchConsole } from "./page-quality";

// An admin's own account: the sign-up's confirmation banner and its link; forgot password from
// the sign-in page (a signed-out browser asks; the link is read from the Dev mailbox with the
// admin's other, still signed-in session, as identity-loop.spec.ts does) → reset → sign in with
// the new password; change password in the profile; the Sessions page shows this device.

const PASSWORD = "owners first passphrase 2026";
const RESET = "a reset admin passphrase 31";
const CHANGED = "a changed admin passphrase 42";

/** Forgot-password limits count per client address; the test server trusts loopback as a
 *  proxy, so this test spends them on an address of its own (see identity-signin.spec.ts). */
async function fromOwnAddress(page: Page): Promise<void> {
  const octet = () => Math.floor(Math.random() * 254) + 1;
  await page.setExtraHTTPHeaders({ "X-Forwarded-For": `198.51.${octet()}.${octet()}` });
}

/** Opens the newest message to `recipient` whose subject contains `subject` in Tenant › Mailbox
 *  and returns the path and query of its link. */
async function linkFromMailbox(page: Page, dashboard: string, recipient: string, subject: string): Promise<string> {
  await page.goto(`${dashboard}/mailbox`);
  await hydrated(page);
  const row = page.getByTestId("mail-row").filter({ hasText: recipient }).filter({ hasText: subject }).first();
  await expect(async () => {
    await page.getByTestId("refresh-mailbox").click();
    await expect(row).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  await row.getByTestId("open-mail").click();
  const message = page.getByTestId("mail-message");
  await expect(message).toBeVisible();
  const href = await message.getByTestId("mail-text").getByRole("link").first().getAttribute("href");
  expect(href, "the message carries a link").toBeTruthy();
  await page.keyboard.press("Escape");
  // The message's text was its last request; leave once its dialog is closed. (Not
  // "networkidle": the split bundle's chunk preloads can keep that from ever settling.)
  await expect(message).toBeHidden();
  const url = new URL(href as string);
  return `${url.pathname}${url.search}`;
}

async function signedOutPage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await fromOwnAddress(page);
  return page;
}

test("confirm email from the banner's mail; forgot → Dev mailbox → reset → sign in; change password; sessions show this device", async ({ page, browser }) => {
  test.setTimeout(120_000);
  const watched = watchConsole(page);
  const id = unique();
  const email = `security.${id}@example.com`;
  await signUp(page, { email, password: PASSWORD, company: `Security ${id}` });
  await expect(page).toHaveURL(/\/development\/overview$/);
  await hydrated(page);
  const dashboard = new URL(page.url()).pathname.replace(/\/overview$/, "");

  // Unconfirmed: the banner, with Resend (which replaces the link).
  const banner = page.getByTestId("verify-banner");
  await expect(banner).toContainText(email);
  await expectAccessible(page, "overview with the confirmation banner");
  await banner.getByTestId("resend-verification").click();
  await expect(page.getByTestId("toast").last()).toContainText(`We sent a new confirmation link to ${email}`);
  const confirm = await linkFromMailbox(page, dashboard, email, "Confirm your email address");
  expect(confirm).toMatch(/^\/signup\/verify\?token=/);
  await page.goto(confirm);
  await hydrated(page);
  await page.getByTestId("submit").click();
  await expect(page.getByTestId("verify-done")).toContainText("confirmed");
  await expectAccessible(page, "email confirmed");
  await page.goto(`${dashboard}/overview`);
  await hydrated(page);
  await expect(page.getByTestId("stat-nodes")).toBeVisible();
  await expect(page.getByTestId("verify-banner")).toHaveCount(0);
  expect(watched.take(), "console while confirming").toEqual([]);

  // Forgot password, from the sign-in page of a signed-out browser.
  const context = await browser.newContext();
  const signedOut = await signedOutPage(context);
  const outside = watchConsole(signedOut);
  await signedOut.goto("/signin");
  await hydrated(signedOut);
  await signedOut.getByTestId("forgot-password").click();
  await expect(signedOut).toHaveURL(/\/signin\/forgot$/);
  await hydrated(signedOut);
  await signedOut.getByLabel("Email").fill("not-an-email");
  await signedOut.getByTestId("submit").click();
  await expect(signedOut.getByText("Enter a valid email address")).toBeVisible();
  await signedOut.getByLabel("Email").fill(email);
  await signedOut.getByTestId("submit").click();
  await expect(signedOut.getByTestId("forgot-sent")).toContainText("If an admin account uses this email");
  await expectAccessible(signedOut, "forgot password sent");

  const reset = await linkFromMailbox(page, dashboard, email, "Reset your Arbor password");
  expect(reset).toMatch(/^\/signin\/reset\?token=/);
  await signedOut.goto(reset);
  await hydrated(signedOut);
  await expect(signedOut.getByText(email)).toBeVisible();
  await signedOut.getByLabel("New password", { exact: true }).fill("short");
  await signedOut.getByTestId("submit").click();
  await expect(signedOut.getByText("Use at least 8 characters")).toBeVisible();
  await signedOut.getByLabel("New password", { exact: true }).fill(RESET);
  await signedOut.getByTestId("submit").click();
  await expect(signedOut.getByTestId("reset-done")).toContainText("every session was signed out");
  await expectAccessible(signedOut, "password reset");
  // The link works once.
  await signedOut.goto(reset);
  await hydrated(signedOut);
  await expect(signedOut.getByTestId("dead-link")).toContainText("already used");

  // Sign in with the new password; the old session (the first browser) has ended.
  await signedOut.goto("/signin");
  await hydrated(signedOut);
  await signedOut.getByLabel("Email").fill(email);
  await signedOut.getByLabel("Password").fill(RESET);
  await signedOut.getByTestId("submit").click();
  await expect(signedOut).toHaveURL(/\/development\/overview$/);
  await hydrated(signedOut);
  const ended = await page.request.post("/api/admin_sessions", { data: {} });
  expect(ended.status(), "the reset ended the first browser's session").toBe(401);

  // Profile, from the header's admin menu: change the password.
  await signedOut.getByTestId("open-profile").click();
  await expect(signedOut).toHaveURL(/\/profile$/);
  await hydrated(signedOut);
  await expect(signedOut.getByTestId("email-verified")).toBeVisible();
  const form = signedOut.getByTestId("change-password");
  await form.getByLabel("Current password").fill("not my password");
  await form.getByLabel("New password").fill(CHANGED);
  await form.getByTestId("submit-password").click();
  await expect(form.getByText("This is not your current password")).toBeVisible();
  // The refusal is a 400, which the browser reports on the console: expected here, nothing else.
  const refused = outside.take();
  expect(refused.every((line) => line.includes("status of 400")), refused.join("\n")).toBe(true);
  await form.getByLabel("Current password").fill(RESET);
  await form.getByLabel("New password").fill(CHANGED);
  await form.getByTestId("submit-password").click();
  await expect(signedOut.getByTestId("toast").last()).toContainText("Your password was changed");
  await expectAccessible(signedOut, "profile");

  // Sessions: this device, signed in moments ago.
  await signedOut.getByTestId("tab-profile-sessions").click();
  await expect(signedOut).toHaveURL(/\/profile\/sessions$/);
  const mine = signedOut.getByTestId("admin-session").filter({ has: signedOut.getByTestId("this-device") });
  await expect(mine).toHaveCount(1);
  await expect(signedOut.getByTestId("admin-session")).toHaveCount(1);
  await expectAccessible(signedOut, "sessions");
  expect(outside.take(), "console of the signed-out browser").toEqual([]);
  await context.close();
});
