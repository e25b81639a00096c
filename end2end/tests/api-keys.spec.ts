import { expect, test } from "@playwright/test";
import { hydrated, signUp, unique } from "./helpers";

test("create an API key with the wizard, use it once, revoke it", async ({ page, request }) => {
  const id = unique();
  await signUp(page, { email: `keys.${id}@example.com`, password: "integrations 2026", company: `Keys ${id}` });
  await expect(page).toHaveURL(/\/overview$/);
  await hydrated(page);
  await page.getByTestId("nav-api-keys").click();
  await expect(page.getByTestId("keys-empty")).toBeVisible();

  await page.getByTestId("open-create-key").click();
  const wizard = page.getByTestId("key-wizard");
  // Step 1: a name is required; a date must be a future date.
  await wizard.getByTestId("wizard-next").click();
  await expect(wizard.getByTestId("error-name")).toHaveText("Enter a name for the key.");
  await wizard.getByLabel("Name").fill("Billing backend");
  await wizard.getByTestId("expires-30d").check();
  await wizard.getByTestId("wizard-next").click();
  // Step 2: nothing ticked is said plainly to mean full access.
  await expect(wizard.getByTestId("access-summary")).toHaveText("Nothing ticked: this key will have full access to this environment.");
  await wizard.getByTestId("scope-identity.read").check();
  await wizard.getByTestId("scope-identity.manage").check();
  await expect(wizard.getByTestId("access-summary")).toContainText("only the 2 permission(s) ticked");
  await wizard.getByTestId("wizard-next").click();
  // Step 3: review, then create.
  await expect(wizard.getByTestId("review-access")).toHaveText("identity.manage, identity.read");
  await wizard.getByTestId("wizard-create").click();
  const key = await wizard.getByTestId("new-key").inputValue();
  expect(key).toMatch(/^arb_dev_[A-Za-z0-9_-]{43}$/);
  await expect(wizard.getByText("It is shown only this once")).toBeVisible();
  await wizard.getByTestId("wizard-done").click();

  const row = page.getByTestId("key-row").filter({ hasText: "Billing backend" });
  await expect(row.getByTestId("key-preview")).toHaveText(`${key.slice(0, 12)}****`);
  await expect(row).toContainText("Never used");
  await expect(page.getByText(key)).toHaveCount(0);

  // The key works against the REST API, for its scopes only.
  const created = await request.post("/api/v1/identities", {
    headers: { "X-API-Key": key },
    data: { email: "from.api@example.com", first_name: "Api", last_name: "Made" },
  });
  expect(created.status()).toBe(201);
  const evaluate = await request.post("/api/v1/permissions/evaluate", {
    headers: { "X-API-Key": key },
    data: { identity_id: "from.api@example.com", permission: "x.read" },
  });
  expect(evaluate.status()).toBe(403);
  expect((await evaluate.json()).error.code).toBe("api_keys.scope_missing");
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("key-row").filter({ hasText: "Billing backend" })).not.toContainText("Never used");

  // Revoke: confirmed, then refused by the API.
  await page.getByTestId("key-row").filter({ hasText: "Billing backend" }).getByTestId("revoke-key").click();
  await page.getByTestId("confirm-revoke").click();
  await expect(page.getByTestId("toast").last()).toContainText("Revoked Billing backend");
  await expect(page.getByTestId("key-row").filter({ hasText: "Billing backend" })).toContainText("Revoked");
  const refused = await request.get("/api/v1/identities", { headers: { "X-API-Key": key } });
  expect(refused.status()).toBe(401);
  expect((await refused.json()).error.code).toBe("api_keys.revoked");
});
