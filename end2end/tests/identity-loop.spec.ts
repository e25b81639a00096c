import { BrowserContext, expect, Page, test } from "@playwright/test";
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { hydrated, signUp, unique } from "./helpers";
import { expectAccessible, watchConsole } from "./page-quality";

// The whole end-user loop on one machine, with email through the Dev mailbox: an admin invites
// with a role, the person accepts from the emailed link and signs in, and holds the role; a
// passwordless identity becomes Active through forgot-password. Afterwards the server's log and
// database files are searched for every password and token the loop used.

const ADMIN_PASSWORD = "loop admin passphrase 2026";
const INVITED_PASSWORD = "a lantern over the harbour 31";
const RESET_PASSWORD = "seven quiet meadows at dusk";

/** Every secret the loop typed or received, searched for in the server's files at the end. */
const passwords = [ADMIN_PASSWORD, INVITED_PASSWORD, RESET_PASSWORD];
const tokens: string[] = [];

/** Sign-in limits count per client address; the test server trusts loopback as a proxy, so this
 *  test spends attempts on an address of its own (see identity-signin.spec.ts). */
async function fromOwnAddress(page: Page): Promise<void> {
  const octet = () => Math.floor(Math.random() * 254) + 1;
  await page.setExtraHTTPHeaders({ "X-Forwarded-For": `203.0.${octet()}.${octet()}` });
}

/** Opens the newest message to `recipient` whose subject contains `subject` in Tenant › Mailbox
 *  and returns the link of its text body (path and query: the server may answer on another host). */
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
  const token = url.searchParams.get("token");
  if (token) tokens.push(token);
  return `${url.pathname}${url.search}`;
}

async function signedOutPage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await fromOwnAddress(page);
  return page;
}

test("invite & assign → Dev mailbox → accept → sign in holds the role; a Pending identity becomes Active through forgot-password; no secret reaches the log or the database", async ({ page, browser }) => {
  test.setTimeout(180_000);
  const watched = watchConsole(page);
  const id = unique();
  await signUp(page, { email: `loop.${id}@example.com`, password: ADMIN_PASSWORD, company: `Loop ${id}` });
  await expect(page).toHaveURL(/\/development\/overview$/);
  await hydrated(page);
  const slugs = new URL(page.url()).pathname.split("/").filter(Boolean).slice(0, 3);
  const dashboard = `/${slugs.join("/")}`;
  const account = slugs[0];

  // A permission and a role for the invite to carry (through the dashboard's own REST key).
  const env = { account: slugs[0], application: slugs[1], environment: slugs[2] };
  const created = await page.request.post("/api/create_api_key", { data: { env, form: { name: "Loop", expires: "never" } } });
  expect(created.ok(), await created.text()).toBe(true);
  const key = (await created.json()).key as string;
  tokens.push(key);
  const api = async (method: "post" | "put" | "get", path: string, data?: unknown) => {
    const response = await page.request[method](`/api/v1${path}`, { headers: { "X-API-Key": key }, data });
    expect(response.ok(), `${method} ${path}: ${await response.text()}`).toBe(true);
    return response.json();
  };
  await api("post", "/permissions", { permissions: [{ key: "report.read", description: "Read reports", category: "Reports" }] });
  const role = (await api("post", "/roles", { name: "Analyst" })).id as string;
  await api("put", `/roles/${role}/permissions`, { permission_keys: ["report.read"] });

  // Invite & Assign in Access Control › Identities (flat model: the node is the root).
  await page.goto(`${dashboard}/identities`);
  await hydrated(page);
  await page.getByTestId("open-invite-assign").click();
  const dialog = page.getByTestId("invite-assign-dialog");
  await dialog.getByLabel("Email").fill("rio.tan@example.com");
  await dialog.getByLabel("First name").fill("Rio");
  await dialog.getByLabel("Last name").fill("Tan");
  await dialog.getByTestId("invite-assign-role").selectOption({ label: "Analyst" });
  await dialog.getByTestId("send-invite").click();
  await expect(page.getByTestId("toast").last()).toContainText("Invite sent to rio.tan@example.com");

  // The email, in the Dev mailbox; then a resend: the first link stops working.
  const firstLink = await linkFromMailbox(page, dashboard, "rio.tan@example.com", "invit");
  await page.goto(`${dashboard}/identities`);
  await hydrated(page);
  const inviteRow = page.getByTestId("invite-row").filter({ hasText: "rio.tan@example.com" });
  await inviteRow.getByTestId("resend-invite").click();
  await expect(page.getByTestId("toast").last()).toContainText("Invite resent to rio.tan@example.com");
  const secondLink = await linkFromMailbox(page, dashboard, "rio.tan@example.com", "invit");
  expect(secondLink).not.toEqual(firstLink);

  const visitorContext = await browser.newContext();
  const visitor = await signedOutPage(visitorContext);
  const visitorConsole = watchConsole(visitor);
  await visitor.goto(firstLink);
  await hydrated(visitor);
  await expect(visitor.getByRole("heading", { level: 1 })).toHaveText("This invite link is not valid");

  // Opening the live link twice spends nothing; the form's POST does.
  await visitor.goto(secondLink);
  await visitor.goto(secondLink);
  await hydrated(visitor);
  await expect(visitor.getByLabel("First name")).toHaveValue("Rio");
  await visitor.getByLabel("New password", { exact: true }).fill(INVITED_PASSWORD);
  await visitor.getByTestId("submit").click();
  await expect(visitor.getByTestId("invite-accepted")).toContainText("You can now sign in to");

  // Sign in on the hosted page.
  await visitor.getByTestId("go-sign-in").click();
  await expect(visitor).toHaveURL(new RegExp(`/login\\?account=${account}$`));
  await hydrated(visitor);
  await visitor.getByLabel("Email").fill("rio.tan@example.com");
  await visitor.getByLabel("Password", { exact: true }).fill(INVITED_PASSWORD);
  await visitor.getByTestId("submit").click();
  await expect(visitor.getByTestId("signed-in")).toContainText("Signed in as Rio Tan (rio.tan@example.com) to Billing");
  expect(visitorConsole.take(), "console of the invited person").toEqual([]);

  // The role assignment came with the invite: the identity may read reports at the root.
  const members = await api("get", "/identities?q=rio.tan");
  expect(members.items).toHaveLength(1);
  expect(members.items[0].assignments, "the invite's role assignment").toHaveLength(1);
  const identityId = members.items[0].identity.id as string;
  const nodes = await api("get", "/nodes");
  const root = nodes.items[0].id as string;
  const verdict = await api("post", "/permissions/evaluate", { identity_id: identityId, permission: "report.read", node_id: root });
  expect(verdict.allowed, JSON.stringify(verdict)).toBe(true);

  // A Pending identity (created without a password) becomes Active through forgot-password.
  await api("post", "/identities", { email: "noor.ali@example.com", first_name: "Noor", last_name: "Ali" });
  await visitor.goto(`/forgot-password?account=${account}`);
  await hydrated(visitor);
  await visitor.getByLabel("Email").fill("noor.ali@example.com");
  await visitor.getByTestId("submit").click();
  await expect(visitor.getByTestId("forgot-sent")).toBeVisible();
  const resetLink = await linkFromMailbox(page, dashboard, "noor.ali@example.com", "password");
  await visitor.goto(resetLink);
  await hydrated(visitor);
  await visitor.getByLabel("New password", { exact: true }).fill(RESET_PASSWORD);
  await visitor.getByTestId("submit").click();
  await expect(visitor.getByTestId("reset-done")).toBeVisible();
  const noor = await api("get", "/identities?q=noor.ali");
  expect(noor.items[0].identity.status).toBe("active");
  await visitor.goto(`/login?account=${account}`);
  await hydrated(visitor);
  await visitor.getByLabel("Email").fill("noor.ali@example.com");
  await visitor.getByLabel("Password", { exact: true }).fill(RESET_PASSWORD);
  await visitor.getByTestId("submit").click();
  await expect(visitor.getByTestId("signed-in")).toContainText("Signed in as Noor Ali (noor.ali@example.com)");
  // The reset link is single use.
  await visitor.goto(resetLink);
  await hydrated(visitor);
  await expect(visitor.getByTestId("dead-link")).toBeVisible();
  await expectAccessible(visitor, "a spent reset link");
  await visitorContext.close();
  expect(watched.take().filter((m) => !m.includes("favicon")), "console of the admin").toEqual([]);

  // No password or token in the server's log; in the database, passwords nowhere and tokens only
  // inside the links of Dev-mailbox messages (the mailbox is where they are delivered).
  const dir = process.env.ARBOR_E2E_SERVER_DIR;
  test.skip(!dir, "ARBOR_E2E_SERVER_DIR is not set (scripts/test sets it)");
  const log = readFileSync(join(dir as string, "arbor.log"), "utf8");
  expect(log.length, "the server logged requests").toBeGreaterThan(0);
  const database = ["arbor.db", "arbor.db-wal"]
    .map((file) => join(dir as string, file))
    .filter((file) => existsSync(file))
    .map((file) => readFileSync(file).toString("latin1"));
  expect(tokens.length).toBeGreaterThanOrEqual(4);
  for (const secret of [...passwords, ...tokens]) {
    expect(log.includes(secret), `a secret (${secret.slice(0, 6)}…) in the server log`).toBe(false);
  }
  for (const secret of passwords) {
    expect(database.some((bytes) => bytes.includes(secret)), `a password (${secret.slice(0, 6)}…) in the database`).toBe(false);
  }
  expect(database.some((bytes) => bytes.includes(key)), "the API key in the database").toBe(false);
  for (const token of tokens.filter((t) => t !== key)) {
    for (const bytes of database) {
      let at = bytes.indexOf(token);
      while (at >= 0) {
        expect(bytes.slice(Math.max(0, at - 6), at), "a token outside an emailed link").toBe("token=");
        at = bytes.indexOf(token, at + 1);
      }
    }
  }
});
