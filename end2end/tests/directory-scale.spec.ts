import { expect, Page, Response, test } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { hydrated, signUp, unique } from "./helpers";
import { expectAccessible, watchConsole } from "./page-quality";

// The directory at 100,000 identities (issue 14 item 5): both identity pages stay usable and each
// of their server calls answers within budget. The target is 50 ms p99 on a release build
// (`cargo bench -p server --bench directory`, docs/performance.md); this suite runs a debug build
// beside another browser, so the budget here is generous — it catches a query that scans 100,000
// rows (hundreds of milliseconds), not a few milliseconds of noise.
const IDENTITIES = 100_000;
const BUDGET_MS = 250;
/** Two answers count rows once after the seed and keep the count for the account's journal head:
 *  the stat cards (~200,000 index entries) and the application's member count (80,000
 *  memberships). Tens of milliseconds on a release build, 100–320 ms on this debug build beside
 *  another browser. Their later answers, from the kept counts, are held to `BUDGET_MS`. */
const FIRST_COUNT_BUDGET_MS = 1_000;

/** Seeds `IDENTITIES` identities (80 % members of the account's application) into the running
 *  server's SQLite database with the `sqlite3` CLI: set-based SQL, a few seconds. Out-of-band
 *  writes like this one must say so in the access journal, as every write of the app does (a
 *  'environment' entry: every cache of the account starts again), or the stat cards' cache would
 *  not know. */
function seed(database: string, accountSlug: string): void {
  const sql = `
.timeout 20000
BEGIN IMMEDIATE;
CREATE TEMP TABLE scale_account AS
  SELECT a.id AS account_id, (SELECT ap.id FROM applications ap WHERE ap.account_id = a.id) AS application_id
  FROM accounts a WHERE a.slug = '${accountSlug}';
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${IDENTITIES - 1})
INSERT INTO identities (account_id, id, email, first_name, last_name, external_id, status,
  email_verified_at, created_at, updated_at)
SELECT s.account_id, 'scale-' || (1000000 + i), 'user' || i || '@example.com',
  CASE i % 4 WHEN 0 THEN 'Ada' WHEN 1 THEN 'Grace' WHEN 2 THEN 'Alan' ELSE 'Barbara' END,
  'Scale ' || (i % 1000), CASE WHEN i % 3 = 0 THEN 'EXT-' || i END,
  CASE i % 10 WHEN 0 THEN 'inactive' WHEN 1 THEN 'pending' WHEN 2 THEN 'pending' ELSE 'active' END,
  CASE WHEN i % 7 = 0 THEN NULL ELSE 1764000000000 + i * 1000 END,
  1764000000000 + i * 1000, 1764000000000 + i * 1000
FROM n, scale_account s;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${IDENTITIES - 1})
INSERT INTO app_memberships (account_id, id, identity_id, application_id, status, activated_at,
  created_at, updated_at)
SELECT s.account_id, 'scale-m-' || (1000000 + i), 'scale-' || (1000000 + i), s.application_id,
  'active', 1764000000000, 1764000000000, 1764000000000
FROM n, scale_account s WHERE i % 5 <> 0;
INSERT INTO access_heads (account_id, seq) SELECT account_id, 1 FROM scale_account WHERE true
  ON CONFLICT (account_id) DO UPDATE SET seq = seq + 1;
INSERT INTO access_journal (account_id, seq, ord, kind, environment_id, identity_id, created_at)
  SELECT h.account_id, h.seq, 0, 'environment', NULL, NULL, CAST(strftime('%s', 'now') AS INTEGER) * 1000
  FROM access_heads h JOIN scale_account s ON s.account_id = h.account_id;
COMMIT;
`;
  execFileSync("sqlite3", [database], { input: sql, stdio: ["pipe", "inherit", "inherit"] });
}

/** How long the server took to answer `response`: from the request sent to the first byte back
 *  (loopback, so nearly all of it is the server). */
function serverMs(response: Response): number {
  const timing = response.request().timing();
  return timing.responseStart - timing.requestStart;
}

/** The server time of `response`'s call: the fastest of its answer in the page and two replays of
 *  the same request (its body, the page's cookies, its Origin). This debug server shares two cores
 *  with another browser, so any one answer can stall for a few hundred milliseconds (CI: 262 ms for
 *  a second page that counts nothing); a query that scans the table is slow on every try. */
async function fastestMs(page: Page, response: Response): Promise<number> {
  const request = response.request();
  const headers = await request.allHeaders();
  let fastest = serverMs(response);
  for (let i = 0; i < 2; i++) {
    const started = performance.now();
    const replay = await page.request.post(request.url(), {
      data: request.postData() ?? "",
      headers: { "content-type": headers["content-type"] ?? "", origin: new URL(request.url()).origin },
    });
    const ms = performance.now() - started;
    expect(replay.ok(), await replay.text()).toBe(true);
    fastest = Math.min(fastest, ms);
  }
  return fastest;
}

/** Runs `act` and returns the answer of the server function `endpoint` it caused. */
async function answered(page: Page, endpoint: string, act: () => Promise<void>): Promise<Response> {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith(`/api/${endpoint}`) && r.request().method() === "POST"),
    act(),
  ]);
  expect(response.ok(), await response.text()).toBe(true);
  return response;
}

test("both identity pages stay fast with 100,000 identities", async ({ page }) => {
  const dir = process.env.ARBOR_E2E_SERVER_DIR;
  test.skip(!dir, "ARBOR_E2E_SERVER_DIR is not set (scripts/test sets it)");
  const database = join(dir as string, "arbor.db");
  test.skip(!existsSync(database), "the server is not on SQLite");
  test.setTimeout(60_000);
  const watched = watchConsole(page);
  const id = unique();
  await signUp(page, { email: `scale.${id}@example.com`, password: "directory at scale 2026", company: `Scale ${id}` }, "Portal");
  await expect(page).toHaveURL(/\/overview$/);
  const account = new URL(page.url()).pathname.split("/").filter(Boolean)[0];
  const started = Date.now();
  seed(database, account);
  console.log(`seeded ${IDENTITIES} identities in ${Date.now() - started} ms`);
  const calls: Record<string, Response> = {};

  // Tenant › Identities: the stat cards and the first page.
  await hydrated(page);
  const [cards, first] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith("/api/directory_summary")),
    page.waitForResponse((r) => r.url().endsWith("/api/list_directory")),
    page.getByTestId("nav-directory").click(),
  ]);
  const firstCounts: Record<string, number> = { "stat cards": serverMs(cards) };
  calls["first page"] = first;
  await expect(page.getByTestId("dir-stat-total")).toContainText(String(IDENTITIES));
  await expect(page.getByTestId("dir-stat-inactive")).toContainText(String(IDENTITIES / 10));
  await expect(page.getByTestId("directory-row")).toHaveCount(25);
  await expect(page.getByTestId("directory-count")).toContainText("More than 10000 identities · page 1");
  await expectAccessible(page, "the directory at 100,000 identities");

  // The next page (a cursor), and back.
  const newest = await page.getByTestId("directory-row").first().textContent();
  calls["next page"] = await answered(page, "list_directory", () => page.getByTestId("directory-next").click());
  await expect(page.getByTestId("directory-count")).toContainText("page 2");
  await expect(page.getByTestId("directory-row")).toHaveCount(25);
  await expect(page.getByTestId("directory-row").first()).not.toHaveText(newest ?? "");
  await page.getByTestId("directory-previous").click();
  await expect(page.getByTestId("directory-count")).toContainText("page 1");
  await expect(page.getByTestId("directory-row").first()).toHaveText(newest ?? "");

  // A search by email prefix: user4285, user42850–user42859.
  calls["email prefix search"] = await answered(page, "list_directory", () => page.getByTestId("directory-search").fill("user4285"));
  await expect(page.getByTestId("directory-row")).toHaveCount(11);
  await expect(page.getByTestId("directory-count")).toContainText("11 identities · page 1 of 1");
  await expect(page.getByTestId("directory-row").filter({ hasText: "user4285@example.com" })).toHaveCount(1);

  // A status filter, paged.
  await page.getByTestId("directory-search").fill("");
  calls["status filter"] = await answered(page, "list_directory", () => page.getByTestId("filter-status").selectOption("inactive"));
  await expect(page.getByTestId("directory-row")).toHaveCount(25);
  await expect(page.getByTestId("directory-row").getByTestId("identity-status")).toHaveText(Array(25).fill("Inactive"));
  calls["status filter, next page"] = await answered(page, "list_directory", () => page.getByTestId("directory-next").click());
  await expect(page.getByTestId("directory-count")).toContainText("10000 identities · page 2 of 400");

  // Access Control › Identities: the application's 80,000 members, a page, a search.
  firstCounts["members, first page"] = serverMs(
    await answered(page, "list_members", () => page.getByTestId("nav-identities").click()),
  );
  await expect(page.getByTestId("identity-row")).toHaveCount(25);
  await expect(page.getByText(`${(IDENTITIES * 4) / 5} identities · page 1 of`)).toBeVisible();
  calls["members, next page"] = await answered(page, "list_members", () => page.getByTestId("next-page").click());
  await expect(page.getByText("· page 2 of")).toBeVisible();
  calls["members, email prefix search"] = await answered(page, "list_members", () => page.getByTestId("identity-search").fill("user4285"));
  // The members among user4285 and user42850–59 (4285, 42850 and 42855 are not: every fifth identity is directory-only).
  await expect(page.getByTestId("identity-row")).toHaveCount(8);
  await expectAccessible(page, "Access Control › Identities at 100,000 identities");

  // Both pages again: their counted answers now come from the kept counts.
  const [cardsAgain] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith("/api/directory_summary")),
    page.getByTestId("nav-directory").click(),
  ]);
  calls["stat cards"] = cardsAgain;
  await expect(page.getByTestId("dir-stat-total")).toContainText(String(IDENTITIES));
  calls["members, first page"] = await answered(page, "list_members", () => page.getByTestId("nav-identities").click());
  await expect(page.getByText(`${(IDENTITIES * 4) / 5} identities · page 1 of`)).toBeVisible();

  const timings: Record<string, number> = {};
  for (const [call, response] of Object.entries(calls)) {
    timings[call] = await fastestMs(page, response);
  }
  console.log(`server time per call (ms): first counts ${JSON.stringify(firstCounts)}, then ${JSON.stringify(timings)}`);
  for (const [call, ms] of Object.entries(firstCounts)) {
    expect(ms, `${call}, counting: ${ms.toFixed(1)} ms`).toBeLessThan(FIRST_COUNT_BUDGET_MS);
  }
  for (const [call, ms] of Object.entries(timings)) {
    expect(ms, `${call}: ${ms.toFixed(1)} ms`).toBeLessThan(BUDGET_MS);
  }
  expect(watched.take(), "console").toEqual([]);
});
