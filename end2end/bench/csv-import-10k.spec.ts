import { expect, test } from "@playwright/test";
import { hydrated, signUp, unique } from "../tests/helpers";

// 10,000 identities created without passwords through the CSV wizard, end to end in the browser:
// from choosing the file to the Results step (the Review step's dry run included). Prints the time
// and the rows per second.
test("CSV import: 10,000-row bulk create", async ({ page }) => {
  const id = unique();
  await signUp(page, { email: `bench.${id}@example.com`, password: "csv import bench 2026", company: `Bench ${id}` });
  await expect(page).toHaveURL(/\/development\/overview$/);
  const base = new URL(page.url()).pathname.replace(/\/overview$/, "");
  const lines = ["email,first_name,last_name"];
  for (let i = 0; i < 10_000; i++) lines.push(`person${i}@example.com,First${i},Last${i}`);
  await page.goto(`${base}/identities/import?mode=create`);
  await hydrated(page);
  await page.getByTestId("csv-mode-create").check();
  await page.getByTestId("csv-mode-continue").click();
  const started = Date.now();
  await page.getByTestId("csv-file").setInputFiles({ name: "10k.csv", mimeType: "text/csv", buffer: Buffer.from(lines.join("\n")) });
  await page.getByTestId("csv-upload-continue").click();
  await page.getByTestId("csv-map-continue").click();
  await expect(page.getByTestId("csv-import-start")).toHaveText("Import 10000 rows", { timeout: 120_000 });
  const reviewed = Date.now();
  await page.getByTestId("csv-import-start").click();
  await expect(page.getByTestId("csv-succeeded")).toHaveText("10000", { timeout: 240_000 });
  const finished = Date.now();
  const seconds = (finished - started) / 1000;
  console.log(`10,000 rows: review (parse + validate + dry run) ${((reviewed - started) / 1000).toFixed(1)} s, import ${((finished - reviewed) / 1000).toFixed(1)} s, total ${seconds.toFixed(1)} s = ${(10_000 / seconds).toFixed(0)} rows/s`);
});
