import AxeBuilder from "@axe-core/playwright";
import { expect, Page, test } from "@playwright/test";
import { hydrated, signUp, unique } from "./helpers";
import { expectAccessible, watchConsole } from "./page-quality";

/** WCAG 2.1 AA on the dashboard around the message: axe cannot run inside the sandboxed frame
 * (scripts never run there, which is the point), so the frame is left out here and the letter
 * itself is checked on a page of its own. */
async function expectAccessibleAroundFrame(page: Page, label: string): Promise<void> {
  const results = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
    .exclude('[data-testid="mail-html"]')
    .analyze();
  const violations = results.violations.map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  expect.soft(violations, `${label}: WCAG 2.1 AA violations`).toEqual([]);
}

test("the Dev mailbox shows a queued message with its HTML and text bodies and clickable links", async ({ page, context }) => {
  test.setTimeout(90_000);
  const watched = watchConsole(page);
  const id = unique();
  const email = `mailbox.${id}@example.com`;
  await signUp(page, { email, password: "letters in the box 2026", company: `Mailbox ${id}` });
  await expect(page).toHaveURL(/\/overview$/);
  await hydrated(page);

  // Tenant › Mailbox: without SMTP_URL it is the Dev mailbox.
  await page.getByTestId("nav-mailbox").click();
  await expect(page).toHaveURL(/\/mailbox$/);
  await expect(page.getByRole("heading", { level: 1, name: "Dev mailbox" })).toBeVisible();
  // Sign-up's own message is the first: the admin's email confirmation.
  await expect(page.getByTestId("mail-row").filter({ hasText: "Confirm your email address" })).toHaveCount(1);
  await expectAccessible(page, "mailbox");

  // The test email goes to the signed-in admin; the worker holds it (no SMTP server).
  await page.getByTestId("send-test-email").click();
  await expect(page.getByText("Test email queued to your address")).toBeVisible();
  const row = page.getByTestId("mail-row").filter({ hasText: "Test email from Arbor" });
  await expect(async () => {
    await page.getByTestId("refresh-mailbox").click();
    await expect(row.getByTestId("mail-status")).toHaveText("Held", { timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  await expect(row).toContainText(email);
  await expect(row).toContainText("Test email");

  // Open it from the keyboard: the HTML body in a sandboxed frame, the text body with live links.
  await row.getByTestId("open-mail").focus();
  await page.keyboard.press("Enter");
  const dialog = page.getByTestId("mail-message");
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId("mail-subject")).toHaveText("Test email from Arbor");
  const frame = dialog.getByTestId("mail-html");
  await expect(frame).toHaveAttribute("sandbox", "allow-popups allow-popups-to-escape-sandbox");
  const base = new URL(page.url()).origin;
  // Read from the attribute: reaching into the frame makes the test tools try to run script
  // there, which the sandbox blocks (and reports on the console).
  const srcdoc = (await frame.getAttribute("srcdoc")) ?? "";
  expect(srcdoc).toContain(`href="${base}/"`);
  expect(srcdoc).toContain('<base target="_blank">');
  const textLink = dialog.getByTestId("mail-text").getByRole("link");
  await expect(textLink).toHaveAttribute("href", `${base}/`);
  await expect(dialog.getByTestId("mail-text")).toContainText("If you can read it, Arbor's email settings work");
  await expectAccessibleAroundFrame(page, "open message");
  const letter = await context.newPage();
  await letter.setContent(srcdoc);
  await expectAccessible(letter, "the letter's HTML");
  await letter.close();

  // The link is clickable: it opens in a new tab.
  const [opened] = await Promise.all([context.waitForEvent("page"), textLink.click()]);
  await opened.waitForLoadState();
  expect(opened.url().startsWith(base)).toBe(true);
  await opened.close();

  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  expect(watched.take(), "console on the mailbox").toEqual([]);
});
