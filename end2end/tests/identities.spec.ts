import { expect, Page, test } from "@playwright/test";
import { hydrated, signUp, unique } from "./helpers";

/** Permissions `invoice.*` and an Editor role holding `invoice.read`, through the dashboard. */
async function editorRole(page: Page): Promise<void> {
  await page.getByTestId("nav-permissions").click();
  await page.getByTestId("open-group-wizard").click();
  const wizard = page.getByTestId("group-wizard");
  await wizard.getByLabel("Resource name").fill("invoice");
  await wizard.getByTestId("wizard-next").click();
  await wizard.getByTestId("create-group").click();
  await expect(page.getByTestId("permission-invoice.read")).toBeVisible();
  await page.getByTestId("nav-roles").click();
  await page.getByTestId("open-create-role").click();
  await page.getByTestId("create-role").getByLabel("Role Name").fill("Editor");
  await page.getByTestId("submit-role").click();
  const detail = page.getByTestId("role-detail");
  await detail.getByTestId("grant-invoice.read").check();
  await detail.getByTestId("save-permissions").click();
  await expect(page.getByTestId("role-Editor")).toContainText("1 permission");
}

test("create an identity with a role at a node, see who has access there, and check it", async ({ page }) => {
  const id = unique();
  const company = `Access ${id}`;
  await signUp(page, { email: `check.${id}@example.com`, password: "identity and access 2026", company });
  await expect(page).toHaveURL(/\/overview$/);
  await hydrated(page);
  await editorRole(page);

  // A three-level tree: root › EMEA › Paris.
  await page.getByTestId("nav-hierarchy").click();
  await page.getByTestId("switch-to-hierarchy").click();
  await page.getByTestId("schema-submit").click();
  const nodeDialog = page.getByTestId("node-dialog");
  await page.getByTestId(`node-${company}`).getByTestId("add-child").click();
  await nodeDialog.getByTestId("node-name").fill("EMEA");
  await nodeDialog.getByTestId("node-submit").click();
  await page.getByTestId("node-EMEA").getByTestId("add-child").click();
  await nodeDialog.getByTestId("node-name").fill("Paris");
  await nodeDialog.getByTestId("node-submit").click();
  await expect(page.getByTestId("node-Paris")).toBeVisible();

  // Create Identity with the Role + Node picker (the node list searched by path).
  await page.getByTestId("nav-identities").click();
  await expect(page.getByTestId("identities-empty")).toBeVisible();
  const dialog = page.getByTestId("create-identity");

  // A role without a node is a notice, not an error (the seed: "if only one is provided, no
  // assignment is created"): the identity is created without one, and the toast says so.
  await page.getByTestId("open-create-identity").click();
  await dialog.getByLabel("Email").fill("kim.half@example.com");
  await dialog.getByLabel("First name").fill("Kim");
  await dialog.getByLabel("Last name").fill("Half");
  await dialog.getByTestId("create-role").selectOption({ label: "Editor" });
  await expect(dialog.getByTestId("half-pair")).toContainText("no assignment is created until both are set");
  await dialog.getByTestId("submit-identity").click();
  await expect(page.getByTestId("toast").last()).toContainText(
    "Created Kim Half. No assignment was made: a role and a node are both needed, and no node was chosen.",
  );
  await expect(dialog).not.toBeVisible();
  await expect(page.getByTestId("identity-row").filter({ hasText: "kim.half@example.com" })).toContainText("No roles");

  await page.getByTestId("open-create-identity").click();
  await dialog.getByLabel("Email").fill("  Pat.Lee@Example.com ");
  await dialog.getByLabel("First name").fill("Pat");
  await dialog.getByLabel("Last name").fill("Lee");
  await dialog.getByTestId("create-role").selectOption({ label: "Editor" });
  await expect(dialog.getByTestId("half-pair")).toContainText("no assignment is created until both are set");
  await dialog.getByTestId("create-node-search").fill("emea");
  await dialog.getByTestId("create-node").selectOption({ label: `${company} › EMEA` });
  await expect(dialog.getByTestId("half-pair")).toHaveCount(0);
  await dialog.getByTestId("submit-identity").click();
  await expect(page.getByTestId("toast").last()).toContainText("Created Pat Lee with Editor at EMEA.");
  const row = page.getByTestId("identity-row").filter({ hasText: "pat.lee@example.com" });
  await expect(row).toContainText("Editor @ EMEA");
  await expect(row).toContainText("Pending");

  // The toast's link opens the identity with its assignments.
  await page.getByTestId("toast-link").last().click();
  const drawer = page.getByTestId("identity-drawer");
  await expect(drawer.getByTestId("assignment-row")).toContainText("Editor");
  await page.keyboard.press("Escape");
  await expect(page).toHaveURL(/\/identities$/);

  // Node detail at Paris: Pat's access is inherited from EMEA.
  await page.getByTestId("nav-hierarchy").click();
  await page.getByTestId("node-Paris").getByTestId("node-open").click();
  const detail = page.getByTestId("node-detail");
  await expect(detail.getByTestId("node-detail-path")).toHaveText(`${company} › EMEA › Paris`);
  await expect(detail.getByTestId("node-stat-identities")).toContainText("1");
  await expect(detail.getByTestId("node-access-row")).toContainText("Inherited from EMEA");
  await detail.getByTestId("filter-expired").click();
  await expect(detail.getByTestId("node-access-row")).toHaveCount(0);
  await detail.getByTestId("filter-active").click();
  await expect(detail.getByTestId("node-access-row")).toHaveCount(1);

  // The Access checker explains the answer, path included.
  const checker = page.getByTestId("access-checker");
  await checker.getByTestId("check-identity").fill("pat.lee@example.com");
  await checker.getByTestId("check-permission").selectOption("invoice.read");
  await checker.getByTestId("check-node").selectOption({ label: `${company} › EMEA › Paris` });
  await checker.getByTestId("check-submit").click();
  await expect(checker.getByTestId("check-result")).toContainText("Allowed");
  await expect(checker.getByTestId("check-result")).toContainText("Granted by Editor, assigned at EMEA → Paris.");
  await checker.getByTestId("check-permission").selectOption("invoice.delete");
  await checker.getByTestId("check-submit").click();
  await expect(checker.getByTestId("check-result")).toContainText("Denied");
  await expect(checker.getByTestId("check-result")).toContainText("none of their roles grants this permission");
  // Above EMEA there is nothing to inherit.
  await checker.getByTestId("check-permission").selectOption("invoice.read");
  await checker.getByTestId("check-node").selectOption({ label: company });
  await checker.getByTestId("check-submit").click();
  await expect(checker.getByTestId("check-result")).toContainText("No assignment in force");
});

test("the Create Identity dialog checks every rule inline, generates a password and refuses a duplicate", async ({ page }) => {
  const id = unique();
  await signUp(page, { email: `dialog.${id}@example.com`, password: "identity and access 2026", company: `Dialog ${id}` });
  await expect(page).toHaveURL(/\/overview$/);
  await hydrated(page);
  await page.getByTestId("nav-identities").click();
  await page.getByTestId("open-create-identity").click();
  const dialog = page.getByTestId("create-identity");
  await expect(dialog.getByLabel("Email")).toBeFocused();

  // Nothing filled: every required field says so, and nothing is sent.
  await dialog.getByTestId("submit-identity").click();
  await expect(dialog.getByTestId("error-email")).toHaveText("Enter an email address.");
  await expect(dialog.getByTestId("error-first_name")).toHaveText("Enter a first name.");
  await expect(dialog.getByTestId("error-last_name")).toHaveText("Enter a last name.");
  await dialog.getByLabel("Email").fill("a@b");
  await expect(dialog.getByTestId("error-email")).toContainText("valid email address");

  // A short password is refused as typed; Generate fills a strong one that can be copied.
  const password = dialog.getByLabel("Initial password (optional)");
  await expect(dialog.getByTestId("require-change")).toBeDisabled();
  await password.fill("short");
  await expect(dialog.getByTestId("error-password")).toHaveText("Use at least 8 characters.");
  await dialog.getByTestId("generate-password").click();
  await expect(password).toHaveValue(/^.{20}$/);
  await expect(dialog.getByTestId("error-password")).toHaveText("");
  await expect(dialog.getByTestId("require-change")).toBeChecked();
  await expect(dialog.getByTestId("copy-password")).toBeEnabled();
  // A common password is refused next to the field (the server's `identities.password_too_common`).
  await password.fill("Password123");
  await dialog.getByTestId("submit-identity").click();
  await expect(dialog.getByTestId("error-password")).toContainText("This password is too common");
  await dialog.getByTestId("generate-password").click();
  await expect(dialog.getByTestId("error-password")).toHaveText("");

  // Flat model: with no role there is no node to pick, and the root is implied.
  await expect(dialog.getByTestId("create-node")).toContainText("Root");

  // Enter submits.
  await dialog.getByLabel("Email").fill("sam@example.com");
  await dialog.getByLabel("First name").fill("Sam");
  await dialog.getByLabel("Last name").fill("Roe");
  await dialog.getByLabel("Last name").press("Enter");
  await expect(page.getByTestId("toast").last()).toContainText("Created Sam Roe.");
  await expect(page.getByTestId("identity-row").filter({ hasText: "sam@example.com" })).toContainText("Active");

  // The same email again: refused next to the field, in the reference's words.
  await page.getByTestId("open-create-identity").click();
  await dialog.getByLabel("Email").fill("SAM@example.com");
  await dialog.getByLabel("First name").fill("Sam");
  await dialog.getByLabel("Last name").fill("Again");
  await dialog.getByTestId("submit-identity").click();
  await expect(dialog.getByTestId("error-email")).toHaveText("Email already exists in this Application.");
  await page.keyboard.press("Escape");
  await expect(dialog).not.toBeVisible();
  await expect(page.getByTestId("identity-row")).toHaveCount(1);
});
