import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "vitest";
import { smallCampaign } from "../e2e/helpers.js";
import { ROOT } from "../helpers/cli-run.js";

// The benchmark as it ships (dist/, built by test/global-setup.ts): from the sources its run
// processes would start through tsx, about 2 s of CPU more each (six of them here).
const { benchStrategies, benchMarkdown, parseStrategies } = (await import(join(ROOT, "dist/bench/strategies.js"))) as typeof import("../../src/bench/strategies.js");

// Side by side, on the short task suite under a 300-call cap (every strategy but one-pass still runs until the cap stops it).
describe.concurrent("bench: strategies at equal budget", () => {
  const budget = { calls: 300 };
  const bench = { strategies: { "best-of-n": { n: 100000, width: 4 }, "sequential-revision": { threads: 2, turns: 100000 } } };

  const campaign = () =>
    smallCampaign({ budget, bench, strategy: { name: "islands", islands: 2, generations: 50, conversations: 2, turns: 2, presets: ["explorer", "refiner"], finalists: 2 } }, { short: true });

  it("runs every strategy under the same cap, and none overruns it", async ({ expect }) => {
    const { dir, file } = campaign();
    const strategies = parseStrategies("islands,best-of-n,sequential-revision,one-pass");
    const a = await benchStrategies(file, { strategies, seeds: 1, out: join(dir, "a"), jobs: 2 });
    expect(a.axis).toBe("calls");
    expect(a.cap).toBe(budget.calls);
    expect(a.strategies.map((s) => s.label)).toEqual(strategies);
    for (const run of a.runs) {
      expect(run.summary.budget.charged.calls).toBeLessThanOrEqual(budget.calls);
      expect(run.summary.spend.calls - run.summary.spend.cachedCalls).toBeLessThanOrEqual(budget.calls);
    }
    // The strategies that keep going until the cap all stop because of it, and say so.
    for (const s of a.strategies.filter((g) => g.label !== "one-pass")) expect(s.statuses["budget-exhausted"]).toBe(1);
    expect(a.versusIslands.map((v) => v.strategy)).toEqual(["best-of-n", "sequential-revision", "one-pass"]);
    const md = benchMarkdown(a);
    expect(md).toMatch(/Simulated models/);
    expect(md).toMatch(/\| islands +\| +1 \|/);
  }, 300_000);

  it("gives the same files for the same seeds", async ({ expect }) => {
    const { dir, file } = campaign();
    const strategies = parseStrategies("islands,best-of-n");
    await Promise.all(["a", "b"].map((to) => benchStrategies(file, { strategies, seeds: 1, out: join(dir, to), jobs: 2 })));
    for (const f of ["bench.json", "bench.md", "anytime.svg"]) expect(readFileSync(join(dir, "b", f), "utf8")).toBe(readFileSync(join(dir, "a", f), "utf8"));
  }, 300_000);

  it("refuses unknown strategies and a campaign without a cap, in one line", async ({ expect }) => {
    const capped = campaign();
    await expect(benchStrategies(capped.file, { strategies: parseStrategies("islands,hill-climb"), seeds: 1, out: join(capped.dir, "y") })).rejects.toThrow(/--strategies: unknown strategy or variant "hill-climb"/);
    const { dir, file } = smallCampaign();
    await expect(benchStrategies(file, { strategies: ["islands"], seeds: 1, out: join(dir, "x") })).rejects.toThrow(/budget: a benchmark compares strategies at equal budget/);
  });
});
