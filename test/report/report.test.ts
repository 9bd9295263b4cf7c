import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunSummary } from "../../src/campaign/summary.js";
import { readRun, writeReport } from "../../src/report/index.js";
import { RunStore } from "../../src/store/run-store.js";
import { HOSTILE, chartMarks, copyRun, launch, openReport, smallRun, tableCells } from "./helpers.js";

const LONG = 180_000;
let browser: Browser;
let islandsRun: string;
/** The runs of the second and third tests, started with the first (on the short task suite: what they check does not depend on it). */
let hostileRun: Promise<string>;
let stoppedRun: Promise<string>;

beforeAll(async () => {
  hostileRun = smallRun({ strategy: { name: "best-of-n", n: 4, width: 2, finalists: 2 } }, { seedSuffix: `\n${HOSTILE}\n<img src="http://example.invalid/x.png">\n`, short: true });
  const stop = new AbortController();
  stoppedRun = smallRun({}, { signal: stop.signal, onEvent: (e) => e.type === "generation" && stop.abort(), short: true });
  // Awaited by their tests; a failure shows there.
  hostileRun.catch(() => {});
  stoppedRun.catch(() => {});
  [browser, islandsRun] = await Promise.all([launch(), smallRun()]);
}, LONG);

afterAll(async () => {
  await browser?.close();
});

const fixed = (x: number | null) => (x === null ? "–" : x.toFixed(3));

describe("report.html of an islands run, in headless Chromium", () => {
  it("loads offline, draws every chart, and shows scores, lineage, difference and failures", async () => {
    const file = await writeReport(islandsRun);
    expect(file).toBe(join(islandsRun, "report.html"));
    const summary = JSON.parse(readFileSync(join(islandsRun, "summary.json"), "utf8")) as RunSummary;
    const model = readRun(islandsRun);
    const { page, url, errors, requests } = await openReport(browser, file);
    try {
      expect(errors).toEqual([]);
      expect(requests).toEqual([url]);

      // Charts: one SVG per figure, each with drawn marks.
      const scores = await chartMarks(page, "scores");
      expect(scores).toHaveLength(1);
      expect(scores[0]!.bars).toBe(6); // train, val, test × seed, best
      const progress = await chartMarks(page, "progress");
      expect(progress).toHaveLength(1);
      expect(progress[0]!.lines).toBe(2); // best train, and its expected val (sim)
      const islands = await chartMarks(page, "islands");
      expect(islands.map((c) => c.chart)).toEqual(["island-best", "island-mean", "island-diversity"]);
      for (const c of islands) {
        expect(c.lines).toBe(2); // two islands
        expect(c.points).toBe(2 * summary.generations);
        expect(c.rules).toBe(model.migrations.length + model.resets.length);
      }
      expect(model.migrations.length).toBeGreaterThan(0);
      const spend = await chartMarks(page, "spend");
      expect(spend).toHaveLength(1);
      expect(spend[0]!.lines).toBe(3); // evolver, user, verifier
      // Clip ids stay unique once several charts share the page.
      for (const c of [...scores, ...progress, ...islands, ...spend]) expect(c.svgs).toBe(1);
      const ids = await Promise.all((await page.locator("svg [id]").all()).map((e) => e.getAttribute("id")));
      expect(ids.length).toBeGreaterThan(0);
      expect(new Set(ids).size).toBe(ids.length);

      // Scores of the seed and the best harness, on val and test.
      const rows = await tableCells(page, "section#scores table.scores tbody tr");
      expect(rows.map((r) => r.slice(0, 5))).toEqual([
        ["seed harness", summary.seedHarness.id, fixed(summary.seedHarness.trainScore), fixed(summary.seedHarness.valScore), fixed(summary.seedHarness.testScore)],
        ["best harness", summary.best.id, fixed(summary.best.trainScore), fixed(summary.best.valScore), fixed(summary.best.testScore)],
      ]);
      expect(summary.best.valScore).not.toBeNull();
      expect(summary.seedHarness.testScore).not.toBeNull();

      // The lineage lists the best first, every ancestor, and says where the seed stands.
      const lineage = await page.locator("section#lineage table.lineage tbody tr td:nth-child(2) code").allTextContents();
      expect(lineage[0]).toBe(summary.best.id);
      expect(lineage).toEqual(model.lineage.map((r) => r.id));
      const lineageText = await page.textContent("section#lineage");
      if (lineage.includes("seed")) expect(lineageText).toContain("is an ancestor");
      else expect(lineageText).toContain("The seed harness (seed) is not an ancestor");
      expect(lineageText).toMatch(/Operators: .*(refine|mutate|crossover|rewrite) ×\d/);

      // The difference between the seed and the best harness.
      expect(summary.best.id).not.toBe("seed");
      expect(await page.locator("section#diff .dl.add").count()).toBeGreaterThan(0);
      expect(await page.locator("section#diff .dl.del").count()).toBeGreaterThan(0);
      expect(await page.textContent("section#best pre")).toBe(summary.best.text);
      expect(await page.textContent("section#failures")).toMatch(/No candidate failed|failed or were rejected/);
    } finally {
      await page.close();
    }
  }, LONG);

  it("escapes hostile run text: harness, failure reasons and candidate ids", async () => {
    const dir = await hostileRun;
    const store = RunStore.open(dir);
    store.appendEvent("failure", { generation: 0, island: 0, id: `x${HOSTILE}`, reason: `proposal failed: ${HOSTILE}` });
    store.close();
    const model = readRun(dir);
    expect(model.seedHarness.text).toContain(HOSTILE);
    const { page, url, errors, requests } = await openReport(browser, await writeReport(dir));
    try {
      expect(await page.evaluate("typeof window.pwned")).toBe("undefined");
      expect(errors).toEqual([]); // a script blocked by the page's CSP would have logged an error
      expect(requests).toEqual([url]); // the <img> stayed text
      expect(await page.locator("script").count()).toBe(0);
      expect(await page.locator("img").count()).toBe(0);
      expect(await page.textContent("section#failures")).toContain(`proposal failed: ${HOSTILE}`);
      expect(await page.textContent("section#islands")).toContain("No islands in this strategy (best-of-n)");
      const shown = model.best.id === "seed" ? "section#best pre" : "section#diff";
      expect(await page.textContent(shown)).toContain(HOSTILE);
    } finally {
      await page.close();
    }
  }, LONG);

  it("renders a stopped run, and a run that left no summary.json", async () => {
    const stopped = await stoppedRun;
    const crashed = copyRun(islandsRun);
    rmSync(join(crashed, "summary.json"));
    for (const [dir, status] of [[stopped, "stopped"], [crashed, "completed"]] as const) {
      const { page, errors, requests, url } = await openReport(browser, await writeReport(dir));
      try {
        expect(errors).toEqual([]);
        expect(requests).toEqual([url]);
        expect(await page.textContent("section#overview .status")).toBe(status);
        expect((await chartMarks(page, "islands")).map((c) => c.lines)).toEqual([2, 2, 2]);
        expect(await page.locator("section#lineage table.lineage tbody tr").count()).toBeGreaterThan(0);
      } finally {
        await page.close();
      }
    }
    expect(readRun(crashed).hasSummary).toBe(false);
  }, LONG);
});
