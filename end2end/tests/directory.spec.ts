import { expect, test } from "@playwright/test";
import { hydrated, signUp, unique } from "./helpers";

test("Tenant › Identities, Add from directory and bulk role assignment", async ({ page }) => {
  const id = unique();
  const company = `Directory ${id}`;
  await signUp(page, { email: `dir.${id}@example.com`, password: "account directory 2026", company }, "Billing");
  await expect(page).toHaveURL(/\/overview$/);
  await hydrated(page);
  await page.getByTestId("nav-roles").click();
  await page.getByTestId("open-create-role").click();
  await page.getByTestId("create-role").getByLabel("Role Name").fill("Viewer");
  await page.getByTestId("submit-role").click();
  await expect(page.getByTestId("role-Viewer")).toBeVisible();

  // The directory starts empty; create one identity in the application, one directory-only.
  await page.getByTestId("nav-directory").click();
  await expect(page.getByTestId("directory-empty")).toBeVisible();
  await page.getByTestId("open-create-directory-identity").click();
  const create = page.getByTestId("create-directory-identity");
  await create.getByLabel("Email").fill("ann@example.com");
  await create.getByLabel("First name").fill("Ann");
  await create.getByLabel("Last name").fill("Member");
  await create.getByTestId("input-application").selectOption({ label: "Billing" });
  await create.getByTestId("submit-directory-identity").click();
  await expect(page.getByTestId("toast").last()).toContainText("Created Ann Member.");

  await page.getByTestId("open-create-directory-identity").click();
  await create.getByLabel("Email").fill("bob@example.com");
  await create.getByLabel("First name").fill("Bob");
  await create.getByLabel("Last name").fill("Orphan");
  await create.getByTestId("input-metadata").fill("{not json");
  await create.getByTestId("submit-directory-identity").click();
  await expect(create.getByTestId("error-metadata")).toContainText("not valid JSON");
  await create.getByTestId("input-metadata").fill('{"department": "Sales"}');
  await expect(create.getByTestId("error-metadata")).toHaveText("");
  await create.getByTestId("submit-directory-identity").click();
  await expect(page.getByTestId("toast").last()).toContainText("Created Bob Orphan.");

  // Stat cards count, and filter when clicked; columns sort.
  await expect(page.getByTestId("dir-stat-total")).toContainText("2");
  await expect(page.getByTestId("dir-stat-orphans")).toContainText("1");
  await page.getByTestId("dir-stat-orphans").click();
  await expect(page.getByTestId("directory-row")).toHaveCount(1);
  await expect(page.getByTestId("directory-row")).toContainText("Bob Orphan");
  await page.getByTestId("dir-stat-total").click();
  await expect(page.getByTestId("directory-row")).toHaveCount(2);
  await page.getByTestId("sort-name").click();
  await expect(page.getByTestId("directory-row").first()).toContainText("Ann Member");
  await page.getByTestId("sort-name").click();
  await expect(page.getByTestId("directory-row").first()).toContainText("Bob Orphan");
  await page.getByTestId("directory-search").fill("bob");
  await expect(page.getByTestId("directory-row")).toHaveCount(1);
  await page.getByTestId("directory-search").fill("");

  // The drawer: Bob is directory-only, and his history says how he got here.
  await page.getByTestId("directory-row").filter({ hasText: "Bob" }).getByRole("link").click();
  const drawer = page.getByTestId("directory-drawer");
  await expect(drawer.getByTestId("profile-metadata")).toHaveValue(/Sales/);
  await drawer.getByTestId("tab-memberships").click();
  await expect(drawer.getByTestId("no-memberships")).toBeVisible();
  await drawer.getByTestId("tab-history").click();
  await expect(drawer.getByTestId("drawer-history")).toContainText("Identity created");
  await page.keyboard.press("Escape");

  // Access Control › Identities: only Ann is a member; add Bob from the directory.
  await page.getByTestId("nav-identities").click();
  await expect(page.getByTestId("identity-row")).toHaveCount(1);
  await page.getByTestId("open-add-from-directory").click();
  const picker = page.getByTestId("add-from-directory-dialog");
  await expect(picker.getByTestId("pick-identity")).toHaveCount(1);
  await picker.getByTestId("pick-identity").check();
  await picker.getByTestId("add-picked").click();
  await expect(page.getByTestId("toast").last()).toContainText("Added 1 identity to this application");
  await expect(page.getByTestId("identity-row")).toHaveCount(2);

  // Tick both, assign Viewer to all of them at once.
  await page.getByTestId("tick-all").check();
  await expect(page.getByTestId("selection-bar")).toContainText("2 selected");
  await page.getByTestId("open-bulk-assign").click();
  const assign = page.getByTestId("bulk-assign");
  await assign.getByTestId("bulk-role").selectOption({ label: "Viewer" });
  await assign.getByTestId("bulk-assign-submit").click();
  await expect(page.getByTestId("toast").last()).toContainText("Assigned the role to 2 identities");
  await expect(page.getByTestId("identity-row").filter({ hasText: `Viewer @ ${company}` })).toHaveCount(2);

  // The same again: every row conflicts, and the dialog says which and why.
  await page.getByTestId("tick-all").check();
  await page.getByTestId("open-bulk-assign").click();
  await assign.getByTestId("bulk-role").selectOption({ label: "Viewer" });
  await assign.getByTestId("bulk-assign-submit").click();
  await expect(assign.getByTestId("bulk-report")).toContainText("0 assigned, 2 not");
  await expect(assign.getByTestId("bulk-failure").first()).toContainText("already has this role at this node");
});
