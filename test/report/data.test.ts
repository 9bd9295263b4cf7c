import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { RunSummary } from "../../src/campaign/summary.js";
import { readRun, reportHtml } from "../../src/report/index.js";
import type { ReportModel } from "../../src/report/data.js";
import { smallRun } from "./helpers.js";

let dir: string;
let model: ReportModel;
let summary: RunSummary;

beforeAll(async () => {
  dir = await smallRun({ seed: 4, strategy: { name: "best-of-n", n: 6, width: 4, finalists: 2 } });
  model = readRun(dir);
  summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as RunSummary;
}, 120_000);

describe("readRun on a baseline run (best-of-n: no islands)", () => {
  it("reads the summary's identity, scores and status", () => {
    expect(model).toMatchObject({ name: "small", strategy: "best-of-n", status: summary.status, seed: 4, hasSummary: true, candidates: summary.candidates });
    expect(model.best).toEqual({ id: summary.best.id, text: summary.best.text, train: summary.best.trainScore, val: summary.best.valScore, test: summary.best.testScore });
    expect(model.seedHarness).toMatchObject({ id: "seed", val: summary.seedHarness.valScore, test: summary.seedHarness.testScore });
    expect(model.seedHarness.text).toBe(readFileSync(join(dir, "..", "seed-harness.md"), "utf8"));
    expect(model.sim).toEqual({ ...summary.simExpected, optimum: summary.simOptimum });
    expect(model.anytime.map((a) => a.round)).toEqual(summary.anytime.map((a) => a.round));
  });

  it("has no island series, migrations or resets", () => {
    expect(model.islands).toEqual([]);
    expect(model.migrations).toEqual([]);
    expect(model.resets).toEqual([]);
  });

  it("totals spend per role as summary.json does, and samples it over time", () => {
    for (const role of ["evolver", "user", "verifier"] as const) {
      const s = summary.spend.byRole[role];
      const t = model.spend[role]!;
      expect(t.calls).toBe(s.calls);
      expect(t.cachedCalls).toBe(s.cachedCalls);
      expect(t.tokens).toBe(s.inputTokens + s.outputTokens);
      expect(t.usd).toBeCloseTo(s.usd, 6);
      const curve = model.spendOverTime.filter((p) => p.role === role);
      expect(curve.length).toBe(41);
      expect(curve.at(-1)!.usd).toBeCloseTo(s.usd, 6);
      for (let i = 1; i < curve.length; i++) expect(curve[i]!.usd).toBeGreaterThanOrEqual(curve[i - 1]!.usd);
    }
  });

  it("traces the best harness back to the seed it mutated", () => {
    expect(model.best.id).not.toBe("seed");
    const [best, ...rest] = model.lineage;
    expect(best).toMatchObject({ id: model.best.id, depth: 0, operator: "mutate", parents: [{ id: "seed", via: null }] });
    expect(rest).toEqual([expect.objectContaining({ id: "seed", depth: 1, operator: "seed", parents: [], train: summary.seedHarness.trainScore })]);
  });

  it("renders without island charts and says so", async () => {
    const html = await reportHtml(model);
    expect(html).toContain("No islands in this strategy (best-of-n)");
    expect(html).not.toContain('data-chart="island-');
    for (const chart of ["scores", "progress", "spend"]) expect(html).toContain(`data-chart="${chart}"`);
    expect(html).not.toMatch(/<script|<link|https?:\/\/(?!www\.w3\.org)/);
    expect(existsSync(join(dir, "run.db-wal"))).toBe(false); // reading left no journal files behind
  });
});
