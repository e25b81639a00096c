import { expect, Page, test } from "@playwright/test";
import { hydrated, signUp, unique } from "./helpers";
import { watchConsole } from "./page-quality";

/**
 * The Content-Security-Policy allows exactly what Arbor serves: every page, signed out and
 * signed in, loads and hydrates (the wasm runs, the nonced hydration scripts run) with no
 * `securitypolicyviolation` at all.
 */

async function violations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? []);
}

test("every page hydrates under the Content-Security-Policy without a violation", async ({ page }) => {
  test.setTimeout(120_000);
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __csp: string[] }).__csp = seen;
    document.addEventListener("securitypolicyviolation", (e) => {
      seen.push(`${e.violatedDirective}: ${e.blockedURI || "inline"}`);
    });
  });
  const watched = watchConsole(page);

  const check = async (path: string) => {
    const response = await page.goto(path);
    const csp = response?.headers()["content-security-policy"] ?? "";
    expect.soft(csp, `${path}: CSP header`).toContain("frame-ancestors 'none'");
    expect.soft(csp, `${path}: no unsafe-inline scripts`).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    await hydrated(page);
    expect.soft(await violations(page), `${path}: CSP violations`).toEqual([]);
    // The unknown page answers 404 on purpose, which Chromium logs as a failed load.
    const console = watched.take().filter((line) => !(path === "/no-such-page" && line.includes("status of 404")));
    expect.soft(console, `${path}: console`).toEqual([]);
  };

  for (const path of ["/signin", "/signup", "/login", "/forgot-password", "/reset-password?token=x", "/verify-email?token=x", "/accept-invite?token=x", "/accept-admin-invite?token=x", "/no-such-page"]) {
    await check(path);
  }

  const id = unique();
  await signUp(page, { email: `csp.${id}@example.com`, password: "policies all the way", company: `Csp ${id}` });
  await expect(page).toHaveURL(/\/overview$/);
  const base = page.url().replace(/[^/]+$/, "");
  for (const path of ["overview", "identities", "identities/import", "hierarchy", "roles", "permissions", "api-keys", "api-reference", "directory", "directory/import", "applications", "mailbox", "team", "audit-log"]) {
    await check(`${base}${path}`);
  }
});
