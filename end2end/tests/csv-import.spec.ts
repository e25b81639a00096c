import { APIRequestContext, expect, Page, test } from "@playwright/test";
import { readFileSync } from "node:fs";
import { hydrated, signUp, unique } from "./helpers";
import { expectAccessible, watchConsole } from "./page-quality";

/** Signs up, lands on Development; a REST helper with a key of it (made through the dashboard's
 *  own server function). */
async function start(page: Page, who: string): Promise<{ send: (method: "post" | "get", path: string, data?: unknown) => Promise<any>; slugs: string[] }> {
  const id = unique();
  await signUp(page, { email: `${who}.${id}@example.com`, password: "csv import 2026", company: `Import ${id}` });
  await expect(page).toHaveURL(/\/development\/overview$/);
  await hydrated(page);
  const slugs = new URL(page.url()).pathname.split("/").filter(Boolean).slice(0, 3);
  const env = { account: slugs[0], application: slugs[1], environment: slugs[2] };
  const created = await page.request.post("/api/create_api_key", { data: { env, form: { name: "E2E", expires: "never" } } });
  expect(created.ok(), await created.text()).toBe(true);
  const key = (await created.json()).key as string;
  const request: APIRequestContext = page.request;
  const send = async (method: "post" | "get", path: string, data?: unknown): Promise<any> => {
    const response = await request[method](`/api/v1${path}`, { headers: { "X-API-Key": key }, data });
    expect(response.ok(), `${method} ${path}: ${await response.text()}`).toBe(true);
    return response.json();
  };
  return { send, slugs };
}

/** 500 rows: 490 good ones, 4 bad emails (one a formula), 3 repeats of earlier emails inside the
 *  file, 3 rows naming a role that does not exist. Semicolons, CRLF, a BOM, quoted cells. */
function file500(prefix: string, withRole: boolean): string {
  const lines = [withRole ? "E-Mail;First Name;Last Name;Role;Notes" : "E-Mail;First Name;Last Name;Notes"];
  for (let i = 0; i < 500; i++) {
    let email = `${prefix}${i}@example.com`;
    let role = i % 2 === 0 ? "Viewer" : "";
    if (i === 10) email = "=cmd|' /C calc'!A0";
    if (i === 11 || i === 12 || i === 13) email = `not-an-email-${i}`;
    if (i >= 20 && i < 23) email = `${prefix}${i - 20}@EXAMPLE.com`;
    if (withRole && i >= 30 && i < 33) role = "Nobody";
    const cells = [email, `First${i}`, `"Last; ${i}"`];
    if (withRole) cells.push(role);
    cells.push(i === 11 ? "+SUM(1)" : "note");
    lines.push(cells.join(";"));
  }
  return "\uFEFF" + lines.join("\r\n") + "\r\n";
}

async function runWizard(page: Page, url: string, mode: string, csv: string, expected: { ok: number; failed: number; skipped: number }): Promise<string> {
  const watched = watchConsole(page);
  await page.goto(url);
  await hydrated(page);
  await page.getByTestId(`csv-mode-${mode}`).check();
  await page.getByTestId("csv-mode-continue").click();
  await expect(page.getByTestId("csv-mode-locked")).toBeVisible();
  await expectAccessible(page, `csv upload (${mode})`);

  // A file that is not CSV is refused with a message; then the real one.
  await page.getByTestId("csv-file").setInputFiles({ name: "photo.csv", mimeType: "text/csv", buffer: Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x01]) });
  await expect(page.getByTestId("csv-upload-error")).toContainText("not a CSV file");
  await page.getByTestId("csv-file").setInputFiles({ name: "people.csv", mimeType: "text/csv", buffer: Buffer.from(csv, "utf-8") });
  await expect(page.getByTestId("csv-upload-ok")).toContainText("500 rows");
  await page.getByTestId("csv-upload-continue").click();

  // Headers matched by synonym; Notes stays ignored.
  await expect(page.getByTestId("csv-map-0")).toHaveValue("email");
  await expect(page.getByTestId("csv-mapping")).toContainText("Ignored");
  await expectAccessible(page, `csv mapping (${mode})`);
  await page.getByTestId("csv-map-continue").click();

  // Review: the dry run has run; problems are shown per cell and can be filtered.
  await expect(page.getByTestId("csv-review-counts")).toContainText(`500 rows: ${expected.ok + expected.skipped} ready, ${expected.failed} with problems`, { timeout: 30_000 });
  await page.getByTestId("csv-only-problems").check();
  await expect(page.getByTestId("csv-row")).toHaveCount(expected.failed);
  await expectAccessible(page, `csv review (${mode})`);
  await page.getByTestId("csv-only-problems").uncheck();
  if (expected.skipped > 0) {
    await page.getByTestId("csv-row").first().getByRole("checkbox").uncheck();
  }
  await page.getByTestId("csv-import-start").click();

  // Results.
  await expect(page.getByTestId("csv-step-results")).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId("csv-succeeded")).toHaveText(String(expected.ok));
  await expect(page.getByTestId("csv-failed")).toHaveText(String(expected.failed));
  await expect(page.getByTestId("csv-skipped")).toHaveText(String(expected.skipped));
  await expectAccessible(page, `csv results (${mode})`);
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("csv-download-failed").click()]);
  const text = readFileSync(await download.path(), "utf-8");
  expect(watched.take(), "console").toEqual([]);
  return text;
}

function checkErrorFile(text: string, failed: number): void {
  const lines = text.replace(/^\uFEFF/, "").trim().split("\r\n");
  expect(lines[0]).toMatch(/,error$/);
  expect(lines.length).toBe(failed + 1);
  // Formula cells are neutralised, the error says why.
  expect(text).toMatch(/^'=cmd\|' \/C calc'!A0,/m);
  expect(text).not.toMatch(/(^|,)=cmd/m);
  expect(text).toContain("already on line");
}

// The wizard end to end at the size an admin imports: 500 rows, then the same file as invites.
test("CSV import: bulk create with 500 rows, then bulk invite", async ({ page }) => {
  test.setTimeout(180_000);
  const { send, slugs } = await start(page, "create");
  await send("post", "/roles", { name: "Viewer" });
  const base = `/${slugs.join("/")}`;

  // Bulk create: 490 good rows, one deselected → 489 created, 10 failed, 1 skipped.
  const created = await runWizard(page, `${base}/identities/import?mode=create`, "create", file500("pat", true), { ok: 489, failed: 10, skipped: 1 });
  checkErrorFile(created, 10);
  expect(created).toContain("No role is called");
  expect(created).toContain("'+SUM(1)");
  await page.getByTestId("csv-done").click();
  await expect(page.getByText("489 identities")).toBeVisible();
  const members = await send("get", "/identities?take=1");
  expect(members.pagination.item_count).toBe(489);

  // Bulk invite from the Identities page's button: new people, the same bad rows.
  await page.getByTestId("open-csv-import").click();
  await expect(page).toHaveURL(/identities\/import$/);
  const invited = await runWizard(page, `${base}/identities/import`, "invite", file500("ann", false), { ok: 493, failed: 7, skipped: 0 });
  checkErrorFile(invited, 7);
  const summary = await send("get", "/identity-invites/summary");
  expect(summary.pending_count).toBe(493);
});

test("CSV import: Account mode from Tenant › Identities", async ({ page }) => {
  test.setTimeout(120_000);
  const { slugs } = await start(page, "account");
  const base = `/${slugs.join("/")}`;
  await page.goto(`${base}/directory`);
  await hydrated(page);
  await page.getByTestId("open-csv-import").click();
  await expect(page).toHaveURL(/directory\/import\?mode=account$/);
  const text = await runWizard(page, `${base}/directory/import?mode=account`, "account", file500("kim", false), { ok: 493, failed: 7, skipped: 0 });
  checkErrorFile(text, 7);
  await page.getByTestId("csv-done").click();
  await expect(page.getByTestId("dir-stat-total")).toContainText("493");
});
