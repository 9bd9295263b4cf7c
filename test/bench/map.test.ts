import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "vitest";
import { smallCampaign } from "../e2e/helpers.js";
import { cliRun, ROOT } from "../helpers/cli-run.js";

const { benchMap, parsePresets, budgetToReach } = (await import(join(ROOT, "dist/bench/map.js"))) as typeof import("../../src/bench/map.js");
const { parseStrategies } = (await import(join(ROOT, "dist/bench/strategies.js"))) as typeof import("../../src/bench/strategies.js");

describe.concurrent("bench --presets: the map of where each strategy wins", () => {
  it("runs every strategy and variant on every preset and tabulates them against islands and best-of-N", async ({ expect }) => {
    const { dir, file } = smallCampaign(
      {
        budget: { calls: 300 },
        strategy: { name: "islands", islands: 2, generations: 50, conversations: 2, turns: 2, presets: ["explorer", "refiner"], finalists: 2 },
        bench: { strategies: { "best-of-n": { n: 100000, width: 4 } }, variants: { "islands+bandit": { name: "islands", islands: 2, generations: 50, conversations: 2, turns: 2, finalists: 2, operatorBandit: true } } },
      },
      { short: true },
    );
    const out = join(dir, "map");
    const m = await benchMap(file, { presets: parsePresets("separable,rugged"), strategies: parseStrategies("islands,best-of-n,islands+bandit"), seeds: 1, out, jobs: 2 });
    expect(m.rows.map((r) => `${r.preset}/${r.strategy}`)).toEqual(["separable/islands", "separable/best-of-n", "separable/islands+bandit", "rugged/islands", "rugged/best-of-n", "rugged/islands+bandit"]);
    for (const r of m.rows) {
      expect(r.runs).toBe(1);
      expect(r.toBestOfN?.of).toBe(1);
      if (r.strategy !== "islands") expect(r.versusIslands).toBeDefined();
    }
    // Best-of-N reaches its own final score, within its own paid calls.
    for (const r of m.rows.filter((x) => x.strategy === "best-of-n")) {
      expect(r.toBestOfN!.reached).toBe(1);
      expect(r.toBestOfN!.median!).toBeLessThanOrEqual(1);
    }
    // Expected val and fraction of optimum where the world is simulated; differences paired over the one seed.
    for (const r of m.rows) {
      expect(r.expected?.n).toBe(1);
      expect(r.fractionOfOptimum!.mean).toBeLessThanOrEqual(1);
      if (r.versusIslands) expect(r.versusIslands.expected?.n).toBe(1);
    }
    // The presets really ran on different worlds.
    const rugged = JSON.parse(readFileSync(join(out, "rugged", "runs", "islands", "seed-3", "summary.json"), "utf8"));
    expect(JSON.stringify(rugged)).not.toBe(readFileSync(join(out, "separable", "runs", "islands", "seed-3", "summary.json"), "utf8"));
    const md = readFileSync(join(out, "map.md"), "utf8");
    expect(md).toMatch(/Only 1 seed: fewer than 3 seeds/);
    expect(md).toMatch(/\(n=1\)/);
    for (const p of ["separable", "rugged"]) expect(readFileSync(join(out, p, "bench.md"), "utf8")).toMatch(/Strategies at equal budget/);
    expect(md).toMatch(/\| rugged +\| islands\+bandit/);
  }, 300_000);

  it("refuses an unknown preset in one line, and finds the first budget that reaches a score", async ({ expect }) => {
    expect(() => parsePresets("separable,bumpy")).toThrow(/--presets: unknown world preset "bumpy" \(expected separable, rugged, deceptive\)/);
    const { dir, file } = smallCampaign({ budget: { calls: 300 } }, { short: true });
    const cli = await cliRun(["bench", file, "--presets", "separable,bumpy", "--seeds", "1", "--out", join(dir, "never")]);
    expect(cli.code).toBe(2);
    expect(cli.stderr.trim().split("\n")).toHaveLength(1);
    expect(cli.stderr).toMatch(/unknown world preset "bumpy"/);
    // A variant's settings are checked like a strategy's, naming where they are.
    const bad = smallCampaign({ budget: { calls: 300 }, bench: { variants: { "islands+x": { name: "islands", islandz: 2 } } } }, { short: true });
    await expect(benchMap(bad.file, { presets: ["rugged"], strategies: ["islands+x"], seeds: 1, out: join(bad.dir, "never") })).rejects.toThrow(/bench\.variants\.islands\+x/);
    const s = { anytime: [{ calls: 10, bestTrain: 0.2, bestExpected: 0.1 }, { calls: 20, bestTrain: 0.3, bestExpected: 0.4 }] } as never;
    expect(budgetToReach(s, 0.35, "calls")).toBe(20);
    expect(budgetToReach(s, 0.5, "calls")).toBeUndefined();
  });
});
