import { expect, test } from "@playwright/test";
import { hydrated, signUp, unique } from "./helpers";

test("switch to a hierarchy and build a three-level tree", async ({ page }) => {
  const id = unique();
  await signUp(page, { email: `tree.${id}@example.com`, password: "organisation chart 2026", company: `Trees ${id}` });
  await expect(page).toHaveURL(/\/overview$/);
  await hydrated(page);
  await page.getByTestId("nav-hierarchy").click();
  await expect(page.getByTestId("access-model")).toHaveText("Flat");

  await page.getByTestId("switch-to-hierarchy").click();
  await expect(page.getByTestId("schema-json")).toHaveValue(/"organization"/);
  await page.getByTestId("schema-submit").click();
  await expect(page.getByTestId("access-model")).toHaveText("Hierarchy");

  const root = page.getByTestId(`node-Trees ${id}`);
  await root.getByTestId("add-child").click();
  const dialog = page.getByTestId("node-dialog");
  await dialog.getByTestId("node-name").fill("EMEA");
  await expect(dialog.getByTestId("node-type")).toHaveValue("region");
  await dialog.getByTestId("node-submit").click();
  await expect(page.getByTestId("node-EMEA")).toBeVisible();

  await page.getByTestId("node-EMEA").getByTestId("add-child").click();
  await dialog.getByTestId("node-name").fill("Paris");
  await dialog.getByTestId("node-submit").click();
  await page.getByTestId("node-Paris").getByTestId("add-child").click();
  await dialog.getByTestId("node-name").fill("Night shift");
  await dialog.getByTestId("node-submit").click();
  await expect(page.getByTestId("node-Night shift")).toBeVisible();
  await expect(page.getByTestId("node-Night shift")).toContainText("team");

  // Collapse hides the subtree; search finds a node with its ancestors.
  await page.getByTestId("node-EMEA").getByRole("button", { name: "Collapse" }).click();
  await expect(page.getByTestId("node-Paris")).toHaveCount(0);
  await page.getByTestId("node-search").fill("night");
  await expect(page.getByTestId("node-Night shift")).toBeVisible();
  await expect(page.getByTestId("node-EMEA")).toBeVisible();
  await page.getByTestId("node-search").fill("");

  // Revert to flat shows its consequences before doing anything.
  await page.getByTestId("revert-to-flat").click();
  await expect(page.getByTestId("revert-preview")).toContainText("3 node(s) below the root will be deleted.");
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("node-EMEA")).toBeVisible();
});

test("the Move dialog offers only the parents the server accepts, depth included", async ({ page }) => {
  const id = unique();
  await signUp(page, { email: `move.${id}@example.com`, password: "organisation chart 2026", company: `Moves ${id}` });
  await expect(page).toHaveURL(/\/overview$/);
  await hydrated(page);
  await page.getByTestId("nav-hierarchy").click();
  await page.getByTestId("switch-to-hierarchy").click();
  await page.getByTestId("schema-submit").click();
  await expect(page.getByTestId("access-model")).toHaveText("Hierarchy");

  const dialog = page.getByTestId("node-dialog");
  const addUnder = async (parent: string, name: string) => {
    await page.getByTestId(`node-${parent}`).getByTestId("add-child").click();
    await dialog.getByTestId("node-name").fill(name);
    await dialog.getByTestId("node-submit").click();
    await expect(page.getByTestId(`node-${name}`)).toBeVisible();
  };
  await addUnder(`Moves ${id}`, "EMEA");
  await addUnder(`Moves ${id}`, "APAC");
  await addUnder("EMEA", "Paris");
  await addUnder("Paris", "Night");
  await addUnder("APAC", "Tokyo");

  // Tokyo takes teams, but Paris with Night below it would reach depth 5 of 4: not offered.
  await page.getByTestId("node-Paris").getByRole("button", { name: "Move" }).click();
  await expect(dialog.getByTestId("move-target").locator("option")).toHaveText(["APAC (region)"]);
  await dialog.getByTestId("node-submit").click();
  await expect(page.getByTestId("toast").last()).toContainText("Moved Paris");
  await page.getByTestId("node-search").fill("Night");
  await expect(page.getByTestId("node-APAC")).toBeVisible();
  await expect(page.getByTestId("node-EMEA")).toHaveCount(0);
  await page.getByTestId("node-search").fill("");

  // A leaf team fits under a depth-3 team.
  await page.getByTestId("node-Night").getByRole("button", { name: "Move" }).click();
  await expect(dialog.getByTestId("move-target").locator("option")).toHaveText(["APAC (region)", "EMEA (region)", "Tokyo (team)"]);
});

test("the node dialog shows its name rule before sending, and Revert to flat confirms", async ({ page }) => {
  const id = unique();
  await signUp(page, { email: `revert.${id}@example.com`, password: "organisation chart 2026", company: `Revert ${id}` });
  await expect(page).toHaveURL(/\/overview$/);
  await hydrated(page);
  await page.getByTestId("nav-hierarchy").click();
  await page.getByTestId("switch-to-hierarchy").click();
  await page.getByTestId("schema-submit").click();
  await expect(page.getByTestId("access-model")).toHaveText("Hierarchy");

  await page.getByTestId(`node-Revert ${id}`).getByTestId("add-child").click();
  const dialog = page.getByTestId("node-dialog");
  await dialog.getByTestId("node-submit").click();
  await expect(dialog.getByTestId("node-error")).toBeVisible();
  await dialog.getByTestId("node-name").fill("EMEA");
  await dialog.getByTestId("node-submit").click();
  await expect(page.getByTestId("node-EMEA")).toBeVisible();

  await page.getByTestId("revert-to-flat").click();
  await expect(page.getByTestId("revert-preview")).toContainText("1 node(s) below the root will be deleted.");
  await page.getByTestId("confirm-revert").click();
  await expect(page.getByTestId("access-model")).toHaveText("Flat");
  await expect(page.getByTestId("node-EMEA")).toHaveCount(0);
});
