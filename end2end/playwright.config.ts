import { defineConfig } from "@playwright/test";

// Debian's Chromium, never a downloaded browser. The flags keep it off the network: this
// machine has none beyond loopback, and background services would only log failures.
export default defineConfig({
  testDir: "./tests",
  fullyParallel: false,
  // Two browsers at once: each test signs up its own account, and on two cores the suite runs
  // in about three quarters of the time.
  workers: 2,
  // In CI one retry, so a test that fails once for timing on a loaded machine does not sink the run;
  // scripts/test prints every test Playwright marks flaky, so none goes unseen.
  retries: process.env.CI ? 1 : 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [["list"]],
  use: {
    baseURL: process.env.ARBOR_E2E_URL ?? "http://127.0.0.1:3000",
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
});
