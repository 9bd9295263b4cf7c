/**
 * Writes docs/report.png: the first screen (1280 wide) of the report of a run, for the README.
 *   npx tsx scripts/report-screenshot.ts [run-dir] [--out docs/report.png] [--height 1000] [--full]
 * Without a run folder it runs the quickstart campaign (simulated models, offline) into a
 * temporary folder first. Needs Chromium: /usr/bin/chromium or $CHROMIUM_PATH.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { evolve } from "../src/campaign/run.js";
import { writeReport } from "../src/report/index.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
};
const out = arg("out", join(root, "docs/report.png"));
const height = Number(arg("height", "1000"));
const given = process.argv[2] && !process.argv[2].startsWith("--") ? process.argv[2] : undefined;

let runDir = given;
if (!runDir) {
  runDir = join(mkdtempSync(join(tmpdir(), "he-quickstart-")), "run");
  console.log(`running the quickstart campaign into ${runDir} ...`);
  await evolve(join(root, "examples/quickstart/campaign.yaml"), { out: runDir, inProcessIslands: true });
}
const report = await writeReport(runDir);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height } });
  await page.goto(pathToFileURL(report).href, { waitUntil: "load" });
  await page.screenshot({ path: out, fullPage: process.argv.includes("--full") });
  console.log(`wrote ${out} from ${report}`);
} finally {
  await browser.close();
}
