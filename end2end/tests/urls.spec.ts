import { expect, Page, test } from "@playwright/test";
import { hydrated, signUp, unique } from "./helpers";

async function fillSignIn(page: Page, email: string, password: string): Promise<void> {
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByTestId("submit").click();
}

test("a signed-out visit to a deep dashboard URL signs in and lands on that URL; other sites are never a destination", async ({ page }) => {
  const id = unique();
  const admin = { email: `edsger.${id}@example.com`, password: "shortest paths first", company: `Paths ${id}` };
  await signUp(page, admin);
  await expect(page).toHaveURL(/\/overview$/);
  await hydrated(page);
  await page.getByTestId("sign-out").click();
  await expect(page).toHaveURL(/\/signin$/);

  // The page asked for, with its query, survives the trip through sign-in.
  const deep = `/paths-${id}/billing/production/roles?q=admin`;
  await page.goto(deep);
  await expect(page).toHaveURL(`/signin?next=${encodeURIComponent(deep).replaceAll("%2F", "/")}`);
  await fillSignIn(page, admin.email, admin.password);
  await expect(page).toHaveURL(deep);
  await expect(page.locator("h1", { hasText: "Roles" })).toBeVisible();

  // `next` pointing anywhere else is ignored: the admin lands on the default landing page.
  for (const evil of ["//evil.example", "https://evil.example", "/\\evil.example"]) {
    await page.getByTestId("sign-out").click();
    await expect(page).toHaveURL(/\/signin$/);
    await page.goto(`/signin?next=${encodeURIComponent(evil)}`);
    await fillSignIn(page, admin.email, admin.password);
    await expect(page).toHaveURL(new RegExp(`^http://[^/]+/paths-${id}/billing/(development|production)/overview$`));
    await hydrated(page);
  }
});
