import { expect, test } from "@playwright/test";
import { hydrated, signUp, unique } from "./helpers";
import { expectAccessible, watchConsole } from "./page-quality";

test("create an application and an environment, switch to them, then filter and export the audit log", async ({ page }) => {
  test.setTimeout(120_000);
  const watched = watchConsole(page);
  const id = unique();
  await signUp(page, { email: `apps.${id}@example.com`, password: "many apps many envs", company: `Apps ${id}` });
  await expect(page).toHaveURL(/\/overview$/);
  await hydrated(page);

  // Tenant › Applications: create an application from the keyboard-usable dialog.
  await page.getByTestId("nav-applications").click();
  await expect(page).toHaveURL(/\/applications$/);
  await page.getByTestId("open-create-application").click();
  const create = page.getByTestId("create-application");
  await create.getByTestId("submit-application").click();
  await expect(create.getByText("Enter an application name.")).toBeVisible();
  await create.getByLabel("Application name").fill("Payroll");
  await create.getByLabel("Application name").press("Enter");
  await expect(page.getByText("Created Payroll")).toBeVisible();
  const payroll = page.getByTestId("app-payroll");
  await expect(payroll.getByTestId("env-card-development")).toBeVisible();
  await expect(payroll.getByTestId("env-card-production")).toBeVisible();
  await expectAccessible(page, "applications with two");

  // Add a blank environment to it.
  await payroll.getByTestId("open-create-environment").click();
  const envDialog = page.getByTestId("create-environment");
  await envDialog.getByLabel("Environment name").fill("Staging");
  await envDialog.getByTestId("submit-environment").click();
  await expect(page.getByText("Created Staging")).toBeVisible();
  await expect(payroll.getByTestId("env-card-staging")).toBeVisible();

  // The switcher lists them at once: switch to Payroll, then to Staging.
  await page.getByTestId("app-switcher").selectOption({ label: "Payroll" });
  await expect(page).toHaveURL(new RegExp(`/payroll/development/applications$`));
  await page.getByTestId("env-switcher").selectOption({ label: "Staging" });
  await expect(page).toHaveURL(new RegExp(`/payroll/staging/applications$`));
  await expect(page.getByText("Switched to Staging")).toBeVisible();

  // Deleting says what goes with it and waits for the typed name.
  await page.getByTestId("app-payroll").getByTestId("env-card-production").getByTestId("open-delete-environment").click();
  const confirm = page.getByTestId("delete-confirmation");
  await expect(confirm.getByTestId("impact")).toContainText("1 hierarchy node");
  await expect(confirm.getByTestId("confirm-delete")).toBeDisabled();
  await confirm.getByLabel("Type Production to confirm").fill("Production");
  await confirm.getByTestId("confirm-delete").click();
  await expect(page.getByText("Deleted Production")).toBeVisible();
  await expect(page.getByTestId("app-payroll").getByTestId("env-card-production")).toHaveCount(0);

  // Tenant › Audit log: newest first, filter by category, open an event, export.
  await page.getByTestId("nav-audit-log").click();
  await expect(page).toHaveURL(/\/audit-log$/);
  await hydrated(page);
  await expect(page.getByTestId("audit-row").first()).toContainText("environment.deleted");
  await page.getByTestId("filter-action").fill("environment.created");
  await page.getByTestId("apply-filters").click();
  await expect(page.getByTestId("audit-row")).toHaveCount(5);
  await page.getByTestId("audit-row").first().getByTestId("open-event").click();
  const detail = page.getByTestId("audit-detail");
  await expect(detail.getByTestId("event-detail")).toContainText("environment.created");
  await expectAccessible(page, "audit event detail");
  await page.keyboard.press("Escape");
  await expectAccessible(page, "audit log filtered");

  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-csv").click()]);
  expect(download.suggestedFilename()).toMatch(/^audit-events-.*\.csv$/);
  const path = await download.path();
  const fs = await import("node:fs/promises");
  const csv = await fs.readFile(path, "utf8");
  const lines = csv.trim().split("\r\n");
  expect(lines[0]).toContain('"action"');
  expect(lines).toHaveLength(6);
  expect(lines.slice(1).every((l) => l.includes('"environment.created"'))).toBe(true);

  expect(watched.take(), "console").toEqual([]);
});
