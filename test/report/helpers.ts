import { appendFileSync, copyFileSync, existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { evolve, type EvolveOptions } from "../../src/campaign/run.js";
import { smallCampaign } from "../e2e/helpers.js";

export const HOSTILE = "</pre><script>window.pwned=1</script>";

/** A small simulated run (islands unless `overrides` says otherwise; `short`: on the short task suite); returns the run folder. */
export async function smallRun(overrides: Record<string, unknown> = {}, opts: Partial<EvolveOptions> & { seedSuffix?: string; short?: boolean } = {}): Promise<string> {
  const { seedSuffix, short, ...evolveOpts } = opts;
  const { dir, file } = smallCampaign(overrides, { short });
  if (seedSuffix) appendFileSync(join(dir, "seed-harness.md"), seedSuffix);
  const out = join(dir, "run");
  await evolve(file, { ...evolveOpts, out, inProcessIslands: true });
  return out;
}

/** A copy of a finished run folder (run.db and summary.json) to alter. */
export function copyRun(runDir: string): string {
  const dir = mkdtempSync(join(tmpdir(), "he-report-"));
  for (const f of ["run.db", "summary.json"]) if (existsSync(join(runDir, f))) copyFileSync(join(runDir, f), join(dir, f));
  return dir;
}

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

export interface Opened {
  page: Page;
  url: string;
  /** Console messages of type error, page errors, and every request the page made. */
  errors: string[];
  requests: string[];
}

export async function openReport(browser: Browser, file: string): Promise<Opened> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const url = pathToFileURL(file).href;
  const errors: string[] = [];
  const requests: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("request", (r) => requests.push(r.url()));
  await page.goto(url, { waitUntil: "load" });
  return { page, url, errors, requests };
}

/** Per chart in a section: how many marks of each kind its SVG draws. */
export async function chartMarks(page: Page, section: string): Promise<{ chart: string; svgs: number; lines: number; bars: number; rules: number; points: number }[]> {
  const out = [];
  for (const figure of await page.locator(`section#${section} figure.chart`).all()) {
    const count = (role: string) => figure.locator(`:scope > svg [aria-roledescription="${role}"]`).count();
    out.push({
      chart: (await figure.getAttribute("data-chart")) ?? "",
      svgs: await figure.locator(":scope > svg").count(),
      lines: await count("line mark"),
      bars: await count("bar"),
      rules: await count("rule mark"),
      points: await count("point"),
    });
  }
  return out;
}

/** The text of every cell, row by row, of the table rows matched by `selector`. */
export async function tableCells(page: Page, selector: string): Promise<string[][]> {
  const rows = await page.locator(selector).all();
  return Promise.all(rows.map((r) => r.locator("td").allTextContents()));
}
