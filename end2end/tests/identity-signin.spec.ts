import { expect, Page, test } from "@playwright/test";
import { hydrated, signUp, unique } from "./helpers";
import { expectAccessible, watchConsole } from "./page-quality";

const IDENTITY_PASSWORD = "a private passphrase 2026";

/** Signs up an admin and creates an identity with a password in Access Control › Identities;
 * returns the account's slug (the first segment of the dashboard address). */
async function accountWithIdentity(page: Page, email: string): Promise<string> {
  const id = unique();
  await signUp(page, { email: `owner.${id}@example.com`, password: "identity and access 2026", company: `Signin ${id}` });
  await expect(page).toHaveURL(/\/overview$/);
  await hydrated(page);
  const account = new URL(page.url()).pathname.split("/")[1];
  await page.getByTestId("nav-identities").click();
  await page.getByTestId("open-create-identity").click();
  const dialog = page.getByTestId("create-identity");
  await dialog.getByLabel("Email").fill(email);
  await dialog.getByLabel("First name").fill("Pat");
  await dialog.getByLabel("Last name").fill("Lee");
  await dialog.getByLabel("Initial password (optional)").fill(IDENTITY_PASSWORD);
  await dialog.getByLabel("Require a new password at first sign-in").uncheck();
  await dialog.getByTestId("submit-identity").click();
  await expect(page.getByTestId("identity-row")).toHaveCount(1);
  // The hosted pages are for identities, signed out of the dashboard.
  await page.context().clearCookies();
  return account;
}

/** Playwright's requests all come from 127.0.0.1, and the sign-in limits count per client
 * address: the test server trusts itself as a proxy (`ARBOR_TRUSTED_PROXIES=127.0.0.1` in
 * scripts/test), so a test that spends an address's attempts names an address of its own. */
async function fromOwnAddress(page: Page): Promise<void> {
  const octet = () => Math.floor(Math.random() * 254) + 1;
  await page.setExtraHTTPHeaders({ "X-Forwarded-For": `198.51.${octet()}.${octet()}` });
}

async function signInAsIdentity(page: Page, account: string, email: string, password: string): Promise<void> {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await expect(page.getByLabel("Account")).toHaveValue(account);
  await page.getByTestId("submit").click();
}

test("an identity created in the dashboard signs in on /login and signs out", async ({ page }) => {
  const account = await accountWithIdentity(page, "pat@example.com");
  const watched = watchConsole(page);
  await page.goto(`/login?account=${account}`);
  await hydrated(page);
  await expectAccessible(page, "/login");
  await expect(page.getByTestId("forgot-link")).toHaveAttribute("href", `/forgot-password?account=${account}`);
  await signInAsIdentity(page, account, "pat@example.com", IDENTITY_PASSWORD);
  const signedIn = page.getByTestId("signed-in");
  await expect(signedIn).toContainText("Signed in as Pat Lee (pat@example.com) to Billing");
  await expectAccessible(page, "/login signed in");
  await page.getByTestId("sign-out").click();
  await expect(page.getByTestId("submit")).toBeVisible();
  expect(watched.take(), "console on /login").toEqual([]);
});

test("the identity drawer sends reset and verification links without showing them", async ({ page }) => {
  const id = unique();
  await signUp(page, { email: `drawer.${id}@example.com`, password: "identity and access 2026", company: `Drawer ${id}` });
  await expect(page).toHaveURL(/\/overview$/);
  await hydrated(page);
  await page.getByTestId("nav-identities").click();
  await page.getByTestId("open-create-identity").click();
  const dialog = page.getByTestId("create-identity");
  await dialog.getByLabel("Email").fill("lee@example.com");
  await dialog.getByLabel("First name").fill("Lee");
  await dialog.getByLabel("Last name").fill("Park");
  await dialog.getByTestId("submit-identity").click();
  await expect(page.getByTestId("identity-row")).toHaveCount(1);
  await page.getByTestId("nav-directory").click();
  await page.getByTestId("directory-row").filter({ hasText: "Lee" }).getByRole("link").click();
  const drawer = page.getByTestId("directory-drawer");
  await drawer.getByTestId("send-password-reset").click();
  await expect(page.getByTestId("toast").last()).toContainText("A password reset link was emailed to lee@example.com.");
  await drawer.getByTestId("send-verification").click();
  await expect(page.getByTestId("toast").last()).toContainText("A verification link was emailed to lee@example.com.");
  await expect(page.getByText(/token=/)).toHaveCount(0);
});

test("wrong passwords end in the lockout message", async ({ page }) => {
  const account = await accountWithIdentity(page, "kim@example.com");
  await fromOwnAddress(page);
  await page.goto(`/login?account=${account}`);
  await hydrated(page);
  // Five failures per address in 15 minutes, then the page says how long to wait.
  for (let attempt = 0; attempt < 5; attempt++) {
    await signInAsIdentity(page, account, "kim@example.com", `wrong passphrase ${attempt}`);
    await expect(page.getByTestId("form-error")).toContainText("Incorrect email or password.");
    await expect(page.getByLabel("Password", { exact: true })).toHaveValue("");
  }
  await signInAsIdentity(page, account, "kim@example.com", IDENTITY_PASSWORD);
  await expect(page.getByTestId("form-error")).toContainText("Too many sign-in attempts. Try again in");
  await expect(page.getByTestId("signed-in")).toHaveCount(0);
});

test("forgot password answers the same for a known and an unknown email", async ({ page }) => {
  const account = await accountWithIdentity(page, "sam@example.com");
  await fromOwnAddress(page);
  const answers: string[] = [];
  for (const email of ["sam@example.com", "nobody@example.com"]) {
    await page.goto(`/forgot-password?account=${account}`);
    await hydrated(page);
    await expectAccessible(page, "/forgot-password");
    await page.getByLabel("Email").fill(email);
    await page.getByTestId("submit").click();
    const sent = page.getByTestId("forgot-sent");
    await expect(sent).toBeVisible();
    answers.push((await sent.textContent()) ?? "");
  }
  expect(answers[0]).toContain("If this email belongs to an identity of this account");
  expect(answers[1]).toBe(answers[0]);
});

test("a forged reset link gets a clear page, and the link is not leaked or cached", async ({ page }) => {
  const watched = watchConsole(page);
  const response = await page.goto(`/reset-password?token=${"A".repeat(43)}`);
  expect(response?.headers()["referrer-policy"]).toBe("no-referrer");
  expect(response?.headers()["cache-control"]).toBe("no-store");
  await hydrated(page);
  await expect(page.getByTestId("dead-link")).toContainText("This link is not valid");
  await expect(page.getByRole("link", { name: "Ask for a new link" })).toHaveAttribute("href", "/forgot-password");
  await expectAccessible(page, "/reset-password with a forged token");
  await page.goto(`/verify-email?token=${"B".repeat(43)}`);
  await hydrated(page);
  await expect(page.getByTestId("dead-link")).toContainText("This link is not valid");
  expect(watched.take(), "console on the token pages").toEqual([]);
});
