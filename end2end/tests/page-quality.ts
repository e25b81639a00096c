import AxeBuilder from "@axe-core/playwright";
import { expect, Page } from "@playwright/test";

/** The WCAG success criteria every page must meet: 2.0 and 2.1, levels A and AA. */
const WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/**
 * Collects every console error and warning and every uncaught exception of `page` (a hydration
 * error, a signal read outside a reactive context, a panic, a CSP violation), each labelled with
 * the URL it happened on. `take()` returns what was seen since the last call.
 */
export function watchConsole(page: Page): { take: () => string[] } {
  let seen: string[] = [];
  // A Content-Security-Policy violation (a blocked script, style or connection) becomes a
  // console error too, with what was blocked, so every test that watches the console fails on one.
  void page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"} (${event.sourceFile}:${event.lineNumber})`);
    });
  });
  page.on("console", (message) => {
    // The init script above is injected into every frame, the Dev mailbox's sandboxed message
    // frame too, where Chromium refuses it: that refusal is the sandbox working, not a page fault.
    if (message.text().startsWith("Blocked script execution in 'about:srcdoc' because the document's frame is sandboxed")) {
      return;
    }
    if (message.type() === "error" || message.type() === "warning") {
      // The first line names the problem; Leptos' warnings add a page of advice after it.
      seen.push(`${message.type()} on ${page.url()}: ${message.text().split("\n")[0]}`);
    }
  });
  page.on("pageerror", (error) => {
    seen.push(`pageerror on ${page.url()}: ${error.message}`);
  });
  return {
    take: () => {
      const taken = seen;
      seen = [];
      return taken;
    },
  };
}

/** Fails with every WCAG 2.1 AA violation axe finds on the page as it is now. */
export async function expectAccessible(page: Page, label: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(WCAG_21_AA).analyze();
  const violations = results.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
  );
  expect.soft(violations, `${label}: WCAG 2.1 AA violations`).toEqual([]);
}
