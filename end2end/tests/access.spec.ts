import { expect, test } from "@playwright/test";
import { hydrated, signUp, unique } from "./helpers";

test("create a permission group and a role, grant permissions, and see the setup banner go", async ({ page }) => {
  const id = unique();
  await signUp(page, { email: `ops.${id}@example.com`, password: "role based access 2026", company: `Roles ${id}` });
  await expect(page).toHaveURL(/\/development\/overview$/);
  await hydrated(page);

  // Permissions: the catalog starts empty (system permissions hidden), then the group wizard.
  await page.getByTestId("nav-permissions").click();
  await expect(page).toHaveURL(/\/development\/permissions$/);
  await expect(page.getByTestId("permissions-empty")).toBeVisible();
  await page.getByTestId("toggle-system").check();
  await expect(page.getByTestId("permission-identity.manage")).toBeVisible();
  await page.getByTestId("toggle-system").uncheck();

  await page.getByTestId("open-group-wizard").click();
  const wizard = page.getByTestId("group-wizard");
  await wizard.getByLabel("Resource name").fill("Invoice");
  await wizard.getByTestId("wizard-next").click();
  await expect(wizard.getByRole("alert")).toContainText("lower-case");
  await wizard.getByLabel("Resource name").fill("invoice");
  await wizard.getByTestId("wizard-next").click();
  await expect(wizard.getByTestId("action-0")).toHaveValue("create");
  await wizard.getByRole("button", { name: "Remove delete" }).click();
  await wizard.getByTestId("new-action").fill("approve");
  await wizard.getByTestId("new-action").press("Enter");
  await wizard.getByTestId("create-group").click();
  await expect(page.getByTestId("toast").last()).toContainText("Created 4 permissions");
  for (const key of ["invoice.create", "invoice.read", "invoice.update", "invoice.approve"]) {
    await expect(page.getByTestId(`permission-${key}`)).toBeVisible();
  }
  await expect(page.getByTestId("permission-invoice.delete")).toHaveCount(0);

  // A duplicate single permission is refused next to its field; Escape closes the dialog.
  await page.getByTestId("open-create-permission").click();
  const create = page.getByTestId("create-permission");
  await create.getByLabel("Key").fill("invoice.read");
  await create.getByTestId("submit-permission").click();
  await expect(create.getByTestId("error-key")).toContainText("already exists");
  await page.keyboard.press("Escape");
  await expect(create).not.toBeVisible();

  // Roles: create one, it is selected; tick two permissions and save.
  await page.getByTestId("nav-roles").click();
  await expect(page.getByTestId("roles-empty")).toBeVisible();
  await page.getByTestId("open-create-role").click();
  const roleDialog = page.getByTestId("create-role");
  await roleDialog.getByRole("button", { name: "Editor" }).click();
  await expect(roleDialog.getByLabel("Role Name")).toHaveValue("Editor");
  await roleDialog.getByTestId("submit-role").click();
  const detail = page.getByTestId("role-detail");
  await expect(detail.getByRole("heading", { name: "Editor" })).toBeVisible();
  await detail.getByTestId("grant-invoice.read").check();
  await detail.getByTestId("grant-invoice.approve").check();
  await expect(detail.getByTestId("unsaved")).toHaveText("Unsaved changes");
  await detail.getByTestId("save-permissions").click();
  await expect(page.getByTestId("toast").last()).toContainText("Permissions saved");
  await expect(page.getByTestId("role-Editor")).toContainText("2 permissions");

  // The roles & permissions banner is gone from this environment's overview only.
  await page.getByTestId("nav-overview").click();
  await expect(page.getByText("Your roles & permissions setup is incomplete.")).toHaveCount(0);
  await page.getByTestId("env-switcher").selectOption("production");
  await expect(page.getByText("Your roles & permissions setup is incomplete.")).toBeVisible();
});
