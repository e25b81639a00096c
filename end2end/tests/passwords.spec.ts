import { expect, test } from "@playwright/test";
import { hydrated, signUp, unique } from "./helpers";

// The common-password list is not in the browser bundle: the dialog asks the server when the
// field loses focus, and the server refuses the password again on submit.
test("Create Identity refuses a common password inline, on blur and on submit", async ({ page }) => {
  const id = unique();
  await signUp(page, { email: `pw.${id}@example.com`, password: "identity and access 2026", company: `Passwords ${id}` });
  await expect(page).toHaveURL(/\/overview$/);
  await hydrated(page);
  await page.getByTestId("nav-identities").click();
  await page.getByTestId("open-create-identity").click();
  const dialog = page.getByTestId("create-identity");
  const password = dialog.getByLabel("Initial password (optional)");

  const asked: string[] = [];
  page.on("request", (r) => {
    if (r.url().endsWith("/api/password_too_common")) asked.push(r.url());
  });
  await password.fill("Baseball1");
  await password.blur();
  await expect(dialog.getByTestId("error-password")).toContainText("too common");
  expect(asked).toHaveLength(1);
  // Editing the password clears the server's verdict; a strong one passes.
  await password.fill("Baseball1 with a long tail");
  await expect(dialog.getByTestId("error-password")).toHaveText("");
  await password.blur();
  await expect.poll(() => asked.length).toBe(2);
  await expect(dialog.getByTestId("error-password")).toHaveText("");

  // Typed and submitted without leaving the field: the server refuses it next to the field.
  await dialog.getByLabel("Email").fill("pat@example.com");
  await dialog.getByLabel("First name").fill("Pat");
  await dialog.getByLabel("Last name").fill("Lee");
  await password.fill("iloveyou1");
  await password.press("Enter");
  await expect(dialog.getByTestId("error-password")).toContainText("too common");
  await expect(dialog).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("identity-row")).toHaveCount(0);
});
