import { APIRequestContext, expect, Page, test } from "@playwright/test";
import { hydrated, signUp, unique } from "./helpers";
import { expectAccessible, watchConsole } from "./page-quality";

/** Signs up, lands on Development, and returns a full-access API key of it (made through the
 *  dashboard's own server function, with the page's session) and a REST helper. */
async function start(page: Page, who: string): Promise<{ key: string; send: (method: "post" | "get" | "put", path: string, data?: unknown) => Promise<any>; slugs: string[] }> {
  const id = unique();
  await signUp(page, { email: `${who}.${id}@example.com`, password: "invitations 2026", company: `Invites ${id}` });
  await expect(page).toHaveURL(/\/development\/overview$/);
  await hydrated(page);
  const slugs = new URL(page.url()).pathname.split("/").filter(Boolean).slice(0, 3);
  const env = { account: slugs[0], application: slugs[1], environment: slugs[2] };
  const created = await page.request.post("/api/create_api_key", { data: { env, form: { name: "E2E", expires: "never" } } });
  expect(created.ok(), await created.text()).toBe(true);
  const key = (await created.json()).key as string;
  const request: APIRequestContext = page.request;
  const send = async (method: "post" | "get" | "put", path: string, data?: unknown): Promise<any> => {
    const response = await request[method](`/api/v1${path}`, { headers: { "X-API-Key": key, "If-Match": "*" }, data });
    expect(response.ok(), `${method} ${path}: ${await response.text()}`).toBe(true);
    return response.status() === 204 ? null : response.json();
  };
  return { key, send, slugs };
}

/** The path and query of an absolute accept link (the e2e server may answer on another host). */
function local(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}

test("Invite & Assign through the dialog: the Invites list, a pending-invite resend, and the Setup Guide's pending step", async ({ page }) => {
  const watched = watchConsole(page);
  const { send, slugs } = await start(page, "assign");
  await send("post", "/permissions", { permissions: [{ key: "report.read", description: "Read reports", category: "Reports" }] });
  const role = (await send("post", "/roles", { name: "Analyst" })).id;
  await send("put", `/roles/${role}/permissions`, { permission_keys: ["report.read"] });
  watched.take();

  await page.goto(`/${slugs.join("/")}/identities`);
  await hydrated(page);
  await expect(page.getByTestId("open-invite")).toBeVisible();
  await expect(page.getByTestId("open-create-identity")).toBeVisible();
  await expect(page.getByTestId("invites-empty")).toBeVisible();

  // The same rules inline as Create Identity: nothing is sent while a field is wrong.
  await page.getByTestId("open-invite-assign").click();
  const dialog = page.getByTestId("invite-assign-dialog");
  await expect(dialog).toBeVisible();
  await dialog.getByLabel("Email").fill("not-an-email");
  await dialog.getByTestId("send-invite").click();
  await expect(dialog.getByText("Enter a valid email address")).toBeVisible();
  await expect(dialog.getByText("Choose a role.")).toBeVisible();
  await dialog.getByLabel("Email").fill("regional.manager@example.com");
  await dialog.getByLabel("First name").fill("Pat");
  await dialog.getByLabel("Last name").fill("Lee");
  await dialog.getByTestId("invite-assign-role").selectOption({ label: "Analyst" });
  await dialog.getByTestId("send-invite").click();
  await expect(page.getByTestId("toast").last()).toContainText("Invite sent to regional.manager@example.com");
  await expect(dialog).not.toBeVisible();
  const row = page.getByTestId("invite-row").filter({ hasText: "regional.manager@example.com" });
  await expect(row.getByTestId("invite-status")).toHaveText("Pending");
  await expect(row).toContainText("On acceptance");
  await expectAccessible(page, "identities with an invite");

  expect(watched.take(), "console").toEqual([]);

  // A second invite for the same email: explained, with a resend on offer.
  await page.getByTestId("open-invite").click();
  const invite = page.getByTestId("invite-dialog");
  await invite.getByLabel("Email").fill("regional.manager@example.com");
  await invite.getByLabel("First name").fill("Pat");
  await invite.getByLabel("Last name").fill("Lee");
  await invite.getByTestId("send-invite").click();
  await expect(invite.getByTestId("pending-exists")).toBeVisible();
  await invite.getByTestId("resend-instead").click();
  await expect(page.getByTestId("toast").last()).toContainText("Invite resent to regional.manager@example.com");
  // The browser reports the refused request (409) it was shown; nothing else may appear.
  expect(watched.take().filter((m) => !m.includes("409 (Conflict)")), "console").toEqual([]);

  // The Setup Guide: the invite counts as invited, the role assignment is pending.
  await page.getByTestId("open-setup-guide").click();
  const guide = page.getByTestId("setup-guide");
  await guide.getByTestId("guide-tab-invite").click();
  await expect(guide.getByTestId("guide-step-identities")).toHaveAttribute("data-done", "true");
  await expect(guide.getByTestId("guide-step-assign")).toHaveAttribute("data-pending", "true");
  await expect(guide.getByTestId("guide-step-assign")).toContainText("Pending");

  // Revoke, confirmed.
  await row.getByTestId("revoke-invite").click();
  await row.getByTestId("confirm-revoke-invite").click();
  await expect(page.getByTestId("toast").last()).toContainText("Revoked the invite");
  await expect(page.getByTestId("invite-row").filter({ hasText: "regional.manager@example.com" }).getByTestId("invite-status")).toHaveText("Revoked");
  expect(watched.take(), "console").toEqual([]);
});

test("a self-delivered invite: the accept page sets the password; a resend kills the old link", async ({ page, browser }) => {
  const watched = watchConsole(page);
  const { send, slugs } = await start(page, "accept");
  const created = await send("post", "/identity-invites", { email: "sam.ortiz@example.com", first_name: "Sam", last_name: "Ortiz", send_email: false });
  const first = local(created.accept_url);
  const resent = await send("post", `/identity-invites/${created.id}/resend`, {});
  const second = local(resent.accept_url);
  expect(second).not.toEqual(first);
  watched.take();

  // A signed-out person opens the links.
  const context = await browser.newContext();
  const visitor = await context.newPage();
  const visitorConsole = watchConsole(visitor);
  await visitor.goto(first);
  await hydrated(visitor);
  await expect(visitor.getByRole("heading", { level: 1 })).toHaveText("This invite link is not valid");

  const response = await visitor.goto(second);
  expect(response?.headers()["referrer-policy"]).toBe("no-referrer");
  expect(response?.headers()["cache-control"]).toBe("no-store");
  await hydrated(visitor);
  await expect(visitor.getByRole("heading", { level: 1 })).toContainText("Join");
  await expect(visitor.getByLabel("First name")).toHaveValue("Sam");
  await expectAccessible(visitor, "accept page");
  await visitor.getByLabel("New password").fill("short");
  await visitor.getByTestId("submit").click();
  await expect(visitor.getByText("Use at least 8 characters.")).toBeVisible();
  await visitor.getByLabel("New password").fill("a harbour of violets 42");
  await visitor.getByTestId("submit").click();
  await expect(visitor.getByTestId("invite-accepted")).toContainText("You can now sign in to");
  await expect(visitor.getByTestId("go-sign-in")).toHaveAttribute("href", `/login?account=${slugs[0]}`);
  expect(visitorConsole.take(), "console on the accept page").toEqual([]);

  // Used: the link now says so.
  await visitor.goto(second);
  await hydrated(visitor);
  await expect(visitor.getByRole("heading", { level: 1 })).toHaveText("This invite was already accepted");
  await context.close();

  // The admin sees it accepted, and the identity as an active member.
  await page.goto(`/${slugs.join("/")}/identities`);
  await hydrated(page);
  await expect(page.getByTestId("invite-row").filter({ hasText: "sam.ortiz@example.com" }).getByTestId("invite-status")).toHaveText("Accepted");
  await expect(page.getByTestId("identity-row").filter({ hasText: "sam.ortiz@example.com" })).toContainText("Active");
  expect(watched.take(), "console").toEqual([]);
});
