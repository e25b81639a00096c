import { expect, test } from "@playwright/test";
import { hydrated, signUp, unique } from "./helpers";

test("the API reference opens from the navigation, filters, and shows bulk-create with its example", async ({ page, request }) => {
  const id = unique();
  await signUp(page, { email: `reference.${id}@example.com`, password: "read the manual 2026", company: `Reference ${id}` });
  await expect(page).toHaveURL(/\/overview$/);
  await hydrated(page);
  await page.getByTestId("nav-api-reference").click();
  await expect(page).toHaveURL(/\/api-reference$/);
  await expect(page.getByRole("heading", { name: "API Reference" })).toBeVisible();

  // The quick start shows the three ten-line integrations of docs/api.md.
  const quickStart = page.getByTestId("api-quick-start");
  await quickStart.locator("summary").click();
  await expect(quickStart).toContainText("createArborClient");
  await expect(quickStart).toContainText("curl -sS -X POST");
  await expect(quickStart).toContainText("requests.Session()");

  // Every operation of the generated document is listed, grouped by tag.
  const served = await request.get("/api/v1/openapi.json");
  expect(served.status()).toBe(200);
  const doc = await served.json();
  expect(doc.openapi).toMatch(/^3\.1/);
  const documented = Object.values(doc.paths as Record<string, object>).reduce((n, item) => n + Object.keys(item).length, 0);
  await expect(page.getByTestId("api-op")).toHaveCount(documented);
  await expect(page.getByTestId("api-group-identities")).toBeVisible();

  // The filter narrows the list; the operation opens from the keyboard.
  await page.getByTestId("api-filter").fill("bulk-create");
  // Identities, assignments and identity invites each have one.
  await expect(page.getByTestId("api-op")).toHaveCount(3);
  const bulk = page.locator('[data-op="POST /api/v1/identities/bulk-create"]');
  await expect(bulk).toContainText("Create up to 200 identities");
  await expect(bulk).toContainText("identity.manage");
  await bulk.locator("summary").first().focus();
  await page.keyboard.press("Enter");
  await expect(bulk).toHaveAttribute("open", "");
  await expect(bulk.getByTestId("field-Idempotency-Key")).toContainText("in header");
  await expect(bulk.getByTestId("field-identities")).toContainText("required");
  await expect(bulk.getByTestId("field-identities[].email")).toContainText("string (email)");
  await expect(bulk.getByTestId("request-example")).toContainText('"sam.ortiz@example.com"');
  await expect(bulk.getByTestId("response-207")).toContainText("At least one row failed");
  await bulk.getByTestId("response-207").getByText("Example", { exact: true }).click();
  await expect(bulk.getByTestId("response-207")).toContainText('"identities.email_taken"');

  await page.getByTestId("api-filter").fill("no such operation");
  await expect(page.getByTestId("api-empty")).toBeVisible();

  // The API Keys page links here too.
  await page.getByTestId("nav-api-keys").click();
  await page.getByTestId("open-api-reference").click();
  await expect(page).toHaveURL(/\/api-reference$/);
  await expect(page.getByTestId("api-op").first()).toBeVisible();

  // Readable on a phone: an opened operation with its examples does not widen the page.
  await page.setViewportSize({ width: 390, height: 844 });
  await hydrated(page);
  await page.getByTestId("api-filter").fill("bulk-create");
  await page.locator('[data-op="POST /api/v1/identities/bulk-create"] summary').first().click();
  await expect(page.locator('[data-op="POST /api/v1/identities/bulk-create"]').getByTestId("request-example")).toBeVisible();
  const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(wide).toBeLessThanOrEqual(0);
});
