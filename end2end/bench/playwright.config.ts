// Benchmarks, never run by CI: `npx playwright test -c bench/playwright.config.ts`.
import base from "../playwright.config";
import { defineConfig } from "@playwright/test";

export default defineConfig({ ...base, testDir: ".", timeout: 300_000 });
