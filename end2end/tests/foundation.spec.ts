import { expect, test } from "@playwright/test";
import { hydrated, signIn, signUp, unique } from "./helpers";

const ROLES_BANNER = "Your roles & permissions setup is incomplete.";
const INVITE_BANNER = "You haven't invited any users or assigned them roles yet.";

test("sign up, switch environment, sign out, sign in and resume where I left off", async ({ page }) => {
  const id = unique();
  const admin = { email: `ada.${id}@example.com`, password: "analytical engine 1843", company: `Engines ${id}` };

  await signUp(page, admin);

  // Lands on Development's overview with both setup banners.
  await expect(page).toHaveURL(new RegExp(`/engines-${id}/billing/development/overview$`));
  await hydrated(page);
  await expect(page.getByTestId("env-badge").first()).toHaveText("Development");
  await expect(page.getByText(ROLES_BANNER)).toBeVisible();
  await expect(page.getByText(INVITE_BANNER)).toBeVisible();
  await expect(page.getByTestId("stat-nodes")).toContainText("1");

  // Switching re-scopes the page and the URL.
  await page.getByTestId("env-switcher").selectOption("production");
  await expect(page).toHaveURL(new RegExp(`/engines-${id}/billing/production/overview$`));
  await expect(page.getByRole("heading", { name: /Overview/ }).getByTestId("env-badge")).toHaveText("Production");
  await expect(page.getByTestId("production-note")).toBeVisible();
  await expect(page.getByText(ROLES_BANNER)).toBeVisible();
  await expect(page.getByText(INVITE_BANNER)).toBeVisible();
  await expect(page.getByTestId("toast")).toContainText("Switched to Production");

  // The back button returns to Development.
  await page.goBack();
  await expect(page).toHaveURL(/\/development\/overview$/);
  await expect(page.getByRole("heading", { name: /Overview/ }).getByTestId("env-badge")).toHaveText("Development");
  await page.goForward();
  await expect(page).toHaveURL(/\/production\/overview$/);

  // Sign out, then sign back in: the dashboard resumes in Production.
  await page.getByTestId("sign-out").click();
  await expect(page).toHaveURL(/\/signin$/);
  await signIn(page, admin.email, admin.password);
  await expect(page).toHaveURL(new RegExp(`/engines-${id}/billing/production/overview$`));
  await expect(page.getByRole("heading", { name: /Overview/ }).getByTestId("env-badge")).toHaveText("Production");
});

test("a wrong password and an unknown email get the same generic error", async ({ page }) => {
  const id = unique();
  const admin = { email: `grace.${id}@example.com`, password: "compilers all the way", company: `Navy ${id}` };
  await signUp(page, admin);
  await expect(page).toHaveURL(/\/overview$/);
  await hydrated(page);
  await page.getByTestId("sign-out").click();
  await expect(page).toHaveURL(/\/signin$/);

  await signIn(page, admin.email, "not the password");
  await expect(page.getByTestId("form-error")).toHaveText("Incorrect email or password.");
  await expect(page).toHaveURL(/\/signin$/);

  await signIn(page, `nobody.${id}@example.com`, "not the password");
  await expect(page.getByTestId("form-error")).toHaveText("Incorrect email or password.");
});

test("sign-up checks each field inline and refuses a duplicate email next to the field", async ({ page }) => {
  const id = unique();
  const admin = { email: `alan.${id}@example.com`, password: "universal machine 1936", company: `Bletchley ${id}` };
  await signUp(page, admin);
  await expect(page).toHaveURL(/\/overview$/);
  await hydrated(page);
  await page.getByTestId("sign-out").click();
  await expect(page).toHaveURL(/\/signin$/);

  await page.goto("/signup");
  await hydrated(page);
  await page.getByLabel("Work email").fill("not-an-email");
  await page.getByLabel("Work email").blur();
  await expect(page.getByTestId("error-email")).toHaveText("Enter a valid email address, like name@example.com.");
  await page.getByLabel("Password", { exact: true }).fill("password1");
  await page.getByLabel("Password", { exact: true }).blur();
  await expect(page.getByTestId("error-password")).toContainText("too common");

  // Submitting with empty fields reports each of them without a request.
  await page.getByTestId("submit").click();
  await expect(page.getByTestId("error-first_name")).toHaveText("Enter your first name.");
  await expect(page.getByTestId("error-account_name")).toHaveText("Enter your company name.");

  await signUp(page, { ...admin, company: `Another ${id}` });
  await expect(page.getByTestId("error-email")).toHaveText("An account with this email already exists. Sign in instead.");
  await expect(page).toHaveURL(/\/signup$/);
});

test("Tenant › Applications shows the application with a card per environment", async ({ page }) => {
  const id = unique();
  await signUp(page, { email: `mary.${id}@example.com`, password: "difference engine 1822", company: `Somerville ${id}` }, "Ledger");
  await expect(page).toHaveURL(/\/overview$/);
  await hydrated(page);
  await page.getByTestId("nav-applications").click();
  await expect(page).toHaveURL(/\/ledger\/development\/applications$/);
  const dev = page.getByTestId("env-card-development");
  const prod = page.getByTestId("env-card-production");
  await expect(dev).toContainText("Development");
  await expect(dev.getByTestId("default-marker")).toBeVisible();
  await expect(prod).toContainText("Production");
  await expect(prod.getByTestId("default-marker")).toHaveCount(0);
  await expect(page.getByTestId("app-ledger")).toContainText("Ledger");
});

test("the dashboard fits a 390px-wide phone", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  const id = unique();
  await signUp(page, { email: `katherine.${id}@example.com`, password: "orbital mechanics 1962", company: `Langley ${id}` });
  await expect(page).toHaveURL(/\/overview$/);
  await hydrated(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.getByRole("button", { name: "Open navigation" }).click();
  await page.getByTestId("nav-applications").click();
  await expect(page).toHaveURL(/\/applications$/);
  for (const path of ["identities", "directory", "api-keys", "api-reference", "hierarchy", "roles"]) {
    await page.goto(page.url().replace(/[^/]+$/, path));
    await hydrated(page);
    const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(wide, `${path} overflows`).toBeLessThanOrEqual(0);
  }
});

test("every dashboard page is interactive after a full page load", async ({ page }) => {
  const id = unique();
  await signUp(page, { email: `reload.${id}@example.com`, password: "refresh all the things", company: `Reload ${id}` });
  await expect(page).toHaveURL(/\/overview$/);
  await hydrated(page);
  for (const path of ["hierarchy", "roles", "permissions", "identities", "directory", "api-keys", "api-reference", "applications", "overview", "identities", "hierarchy"]) {
    await page.goto(page.url().replace(/[^/]+$/, path));
    await hydrated(page);
    await expect(page.getByTestId(`nav-${path}`)).toHaveAttribute("aria-current", "page");
  }
});
