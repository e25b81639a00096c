import { expect, test } from "@playwright/test";
import { hydrated, signUp, unique } from "./helpers";

const ROLES_BANNER = "Your roles & permissions setup is incomplete.";
const INVITE_BANNER = "You haven't invited any users or assigned them roles yet.";

test("the seed's flow: banners, the Setup Guide, Create Identity with a password and a role", async ({ page }) => {
  const id = unique();
  const company = `Guided ${id}`;
  await signUp(page, { email: `guide.${id}@example.com`, password: "set up by the guide 2026", company });
  await expect(page).toHaveURL(/\/development\/overview$/);
  await hydrated(page);
  await expect(page.getByText(ROLES_BANNER)).toBeVisible();
  await expect(page.getByText(INVITE_BANNER)).toBeVisible();

  // The invite banner opens the guide on its tab; nothing is done yet.
  await page.getByTestId("complete-invite-setup").click();
  const guide = page.getByTestId("setup-guide");
  await expect(guide).toBeVisible();
  await expect(guide.getByTestId("guide-tab-invite")).toHaveAttribute("aria-selected", "true");
  await expect(guide.getByTestId("guide-progress")).toHaveText("0 of 2 steps done");

  // Roles & Permissions first: each step links to the page with the right dialog open.
  await guide.getByTestId("guide-tab-roles").click();
  await guide.getByTestId("guide-step-permissions").getByRole("link").click();
  const wizard = page.getByTestId("group-wizard");
  await expect(wizard).toBeVisible();
  await wizard.getByLabel("Resource name").fill("report");
  await wizard.getByTestId("wizard-next").click();
  await wizard.getByTestId("create-group").click();
  await expect(page.getByTestId("permission-report.read")).toBeVisible();
  await expect(guide.getByTestId("guide-step-permissions")).toHaveAttribute("data-done", "true");

  await guide.getByTestId("guide-step-roles").getByRole("link").click();
  const roleDialog = page.getByTestId("create-role");
  await expect(roleDialog).toBeVisible();
  await roleDialog.getByLabel("Role Name").fill("Analyst");
  await roleDialog.getByTestId("submit-role").click();
  await page.getByTestId("role-detail").getByTestId("grant-report.read").check();
  await page.getByTestId("save-permissions").click();
  await expect(guide.getByTestId("guide-progress")).toHaveText("3 of 3 steps done");

  // Invite & Assign Users: the guide opens Invite & Assign; Create Identity is next to it.
  await guide.getByTestId("guide-tab-invite").click();
  await expect(guide.getByTestId("guide-step-identities")).toContainText("Invite identities");
  await guide.getByTestId("guide-step-identities").getByRole("link").click();
  await expect(page.getByTestId("invite-assign-dialog")).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("invite-assign-dialog")).not.toBeVisible();
  await page.getByTestId("open-create-identity").click();
  const dialog = page.getByTestId("create-identity");
  await expect(dialog).toBeVisible();
  await dialog.getByLabel("Email").fill("regional.manager@example.com");
  await dialog.getByLabel("First name").fill("Pat");
  await dialog.getByLabel("Last name").fill("Lee");
  await dialog.getByLabel("Initial password (optional)").fill("temp-password-rotated-on-first-login");
  await dialog.getByTestId("create-role").selectOption({ label: "Analyst" });
  await dialog.getByTestId("submit-identity").click();
  await expect(page.getByTestId("toast").last()).toContainText("Created Pat Lee with Analyst");
  const row = page.getByTestId("identity-row").filter({ hasText: "regional.manager@example.com" });
  await expect(row).toContainText(`Analyst @ ${company}`);
  await expect(row).toContainText("Active");
  await expect(guide.getByTestId("guide-progress")).toHaveText("2 of 2 steps done");

  // Both banners are gone from Development — and still there in Production.
  await page.getByTestId("nav-overview").click();
  await expect(page.getByTestId("overview-stats")).toBeVisible();
  await expect(page.getByText(ROLES_BANNER)).toHaveCount(0);
  await expect(page.getByText(INVITE_BANNER)).toHaveCount(0);
  await page.getByTestId("open-setup-guide").click();
  await expect(guide).not.toBeVisible();
  await page.getByTestId("env-switcher").selectOption("production");
  await expect(page.getByText(INVITE_BANNER)).toBeVisible();
  await expect(page.getByText(ROLES_BANNER)).toBeVisible();
});
