import { expect, Page } from "@playwright/test";
import { test } from "@playwright/test";
import { confirmEmail, hydrated, signUp, unique } from "./helpers";
import { expectAccessible, watchConsole } from "./page-quality";

// Tenant › Team: an owner invites a viewer → the email in the Dev mailbox → the invitee accepts
// in a signed-out browser, choosing a password → they land in the Account, read-only: write
// buttons are disabled with a tooltip (and the server refuses their writes, see the integration
// tests).

/** Opens the newest message to `recipient` in Tenant › Mailbox and returns its link's path. */
async function linkFromMailbox(page: Page, dashboard: string, recipient: string): Promise<string> {
  await page.goto(`${dashboard}/mailbox`);
  await hydrated(page);
  const row = page.getByTestId("mail-row").filter({ hasText: recipient }).first();
  await expect(row).toBeVisible();
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

test("invite a viewer → Dev mailbox → accept → the viewer sees the dashboard read-only", async ({ page, browser }) => {
  // Two browsers, two full sign-ins and the owner's email confirmation: more than the default.
  test.setTimeout(60_000);
  const watched = watchConsole(page);
  const id = unique();
  await signUp(page, { email: `owner.${id}@example.com`, password: "owners invite 2026", company: `Team ${id}` });
  await expect(page).toHaveURL(/\/development\/overview$/);
  await hydrated(page);
  const dashboard = new URL(page.url()).pathname.replace(/\/overview$/, "");
  const viewerEmail = `viewer.${id}@example.com`;
  // Only a confirmed admin invites others (admin-security.spec.ts shows the banner's loop).
  await confirmEmail(page, `owner.${id}@example.com`);

  await page.getByTestId("nav-team").click();
  await expect(page).toHaveURL(/\/team$/);
  await hydrated(page);
  await expect(page.getByTestId("team-member")).toHaveCount(1);
  await expect(page.getByTestId("admin-invites-empty")).toBeVisible();
  await page.getByTestId("open-invite-admin").click();
  const dialog = page.getByTestId("invite-admin");
  await expect(dialog).toBeVisible();
  await dialog.getByLabel("Email").fill("not-an-email");
  await dialog.getByTestId("send-admin-invite").click();
  await expect(dialog.getByText("Enter a valid email address")).toBeVisible();
  await dialog.getByLabel("Email").fill(viewerEmail);
  await dialog.getByTestId("invite-role-viewer").check();
  await dialog.getByTestId("send-admin-invite").click();
  await expect(page.getByTestId("toast").last()).toContainText(`Invite sent to ${viewerEmail}`);
  await expect(page.getByTestId("admin-invite").filter({ hasText: viewerEmail })).toContainText("Viewer");
  await expectAccessible(page, "team");
  expect(watched.take(), "console while inviting").toEqual([]);

  const link = await linkFromMailbox(page, dashboard, viewerEmail);
  expect(link).toMatch(/^\/accept-admin-invite\?token=/);

  // The invitee, signed out, in a browser of their own.
  const context = await browser.newContext();
  const visitor = await context.newPage();
  const visitorConsole = watchConsole(visitor);
  await visitor.goto(link);
  await hydrated(visitor);
  await expect(visitor.getByRole("heading", { name: `Join Team ${id}` })).toBeVisible();
  await expectAccessible(visitor, "accept-admin-invite");
  await visitor.getByLabel("First name").fill("Val");
  await visitor.getByLabel("Last name").fill("Viewer");
  await visitor.getByLabel("New password").fill("viewers look only 2026");
  await visitor.getByTestId("submit").click();
  await expect(visitor).toHaveURL(/\/overview$/);
  await hydrated(visitor);

  // Read-only: write buttons are disabled and say why.
  const viewerDashboard = new URL(visitor.url()).pathname.replace(/\/overview$/, "");
  await visitor.goto(`${viewerDashboard}/roles`);
  await hydrated(visitor);
  const createRole = visitor.getByTestId("open-create-role");
  await expect(createRole).toBeDisabled();
  await expect(createRole).toHaveAttribute("title", /Viewers can look but not change anything/);
  await visitor.goto(`${viewerDashboard}/identities`);
  await hydrated(visitor);
  await expect(visitor.getByTestId("open-create-identity")).toBeDisabled();
  await expect(visitor.getByTestId("open-invite")).toBeDisabled();
  await visitor.getByTestId("nav-team").click();
  await expect(visitor).toHaveURL(/\/team$/);
  await expect(visitor.getByTestId("team-member")).toHaveCount(2);
  await expect(visitor.getByTestId("open-invite-admin")).toBeDisabled();
  await expect(visitor.getByTestId("member-role").first()).toBeDisabled();
  await expectAccessible(visitor, "team as a viewer");
  expect(visitorConsole.take(), "console of the viewer").toEqual([]);
  await context.close();

  // The owner sees the new member; the invite is no longer pending.
  await page.goto(`${dashboard}/team`);
  await hydrated(page);
  await expect(page.getByTestId("team-member").filter({ hasText: viewerEmail })).toContainText("Val Viewer");
  await expect(page.getByTestId("admin-invites-empty")).toBeVisible();
  expect(watched.take(), "console of the owner").toEqual([]);
});
