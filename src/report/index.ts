/** `harness-evolve report <run-dir>`: a self-contained report.html in the run folder. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { readRun, type ReportModel } from "./data.js";
import { renderFigures } from "./figures.js";
import { renderHtml } from "./html.js";

export { readRun, type ReportModel } from "./data.js";
export { renderHtml } from "./html.js";
export { renderFigures } from "./figures.js";

export const REPORT_FILE = "report.html";

/** The report's HTML for a model (charts rendered headlessly). */
export async function reportHtml(model: ReportModel): Promise<string> {
  return renderHtml(model, await renderFigures(model));
}

/** Reads `<runDir>` (summary.json, run.db), writes `<runDir>/report.html` and returns its path. */
export async function writeReport(runDir: string): Promise<string> {
  const html = await reportHtml(readRun(runDir));
  const file = join(runDir, REPORT_FILE);
  writeFileSync(file, html);
  return file;
}
