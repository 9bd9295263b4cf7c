import { readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, it } from "vitest";
import { evolve } from "../../src/campaign/run.js";
import { startSimServer } from "../../src/sim/server.js";
import { smallCampaign } from "./helpers.js";

/** A run of the small campaign, on the short task suite unless `fullTasks` (none of these properties depends on the suite's size). */
async function run(overrides: Record<string, unknown> = {}, opts: { inProcessIslands?: boolean; seed?: number; sets?: string[]; fullTasks?: boolean } = {}) {
  const { dir, file } = smallCampaign(overrides, { short: !opts.fullTasks });
  const out = join(dir, "run");
  const { summary } = await evolve(file, { out, inProcessIslands: opts.inProcessIslands ?? true, seed: opts.seed, sets: opts.sets });
  return { summary, out };
}

/** Runs that several tests only read: the plain in-process run and the one with island workers, each made once. */
let plain: ReturnType<typeof run> | undefined;
let workers: ReturnType<typeof run> | undefined;
const plainRun = () => (plain ??= run());
const workersRun = () => (workers ??= run({}, { inProcessIslands: false }));

// Side by side: the tests that read the same runs share them.
describe.concurrent("a campaign end to end on the simulated models", () => {
  it("runs with island workers and leaves a complete run folder", async ({ expect }) => {
    const { summary, out } = await workersRun();
    expect(summary.status).toBe("completed");
    expect(summary.strategy).toBe("islands");
    expect(summary.generations).toBe(2);
    expect(summary.islands.map((i) => i.preset)).toEqual(["explorer", "refiner"]);
    expect(summary.best.valScore).toBeGreaterThanOrEqual(summary.seedHarness.valScore!);
    expect(summary.best.text.length).toBeGreaterThan(0);
    expect(summary.spend.calls).toBeGreaterThan(0);
    expect(summary.spend.byRole.evolver.calls).toBeGreaterThan(0);
    expect(summary.simOptimum).toBeGreaterThan(summary.simExpected!.seed);
    const onDisk = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    expect(onDisk.best.hash).toBe(summary.best.hash);
    const db = new Database(join(out, "run.db"), { readonly: true });
    const children = db.prepare("SELECT * FROM candidates WHERE island IS NOT NULL").all() as { parents: string; operator: string }[];
    expect(children.length).toBeGreaterThan(0);
    expect(children.every((c) => ["mutate", "crossover", "refine", "rewrite"].includes(c.operator))).toBe(true);
    const paid = db.prepare("SELECT COUNT(*) AS n, SUM(cost_usd) AS usd FROM calls WHERE cached = 0").get() as { n: number; usd: number };
    expect(paid.n).toBe(summary.spend.calls - summary.spend.cachedCalls);
    expect(paid.usd).toBeCloseTo(summary.spend.usd, 6);
    db.close();
  }, 300_000);

  it("is reproducible: same seed, same best harness and calls; workers or not; another seed differs", async ({ expect }) => {
    // b and c are fresh runs; a and w are the runs the other tests read too.
    const [a, b, w, c] = await Promise.all([plainRun(), run(), workersRun(), run({}, { seed: 11 })]);
    expect(b.summary.best.hash).toBe(a.summary.best.hash);
    expect(b.summary.spend.calls).toBe(a.summary.spend.calls);
    expect(w.summary.best.hash).toBe(a.summary.best.hash);
    expect(w.summary.spend.calls).toBe(a.summary.spend.calls);
    expect([c.summary.best.hash, c.summary.spend.calls]).not.toEqual([a.summary.best.hash, a.summary.spend.calls]);
  }, 120_000);

  it("gives the same result against a separately started sim server (by baseURL)", async ({ expect }) => {
    const server = await startSimServer({ port: 0, world: 1 });
    try {
      const models = {
        small: { model: "sim:small", baseURL: server.baseURL },
        large: { model: "sim:large", baseURL: server.baseURL },
        mid: { model: "sim:mid", baseURL: server.baseURL },
        judge: { model: "sim:judge", baseURL: server.baseURL, params: { reasoningTokens: 300 } },
      };
      const [inProcess, remote] = await Promise.all([plainRun(), run({ models })]);
      expect(remote.summary.best.hash).toBe(inProcess.summary.best.hash);
      expect(remote.summary.spend.calls).toBe(inProcess.summary.spend.calls);
      expect(remote.summary.best.valScore).toBe(inProcess.summary.best.valScore);
    } finally {
      await server.close();
    }
  }, 120_000);

  it("stops cleanly at a calls cap without overrunning it, with a complete summary", async ({ expect }) => {
    const { summary } = await run({ budget: { calls: 700 } }, { sets: ["strategy.generations=6"] });
    expect(summary.status).toBe("budget-exhausted");
    expect(summary.budget.charged.calls).toBeLessThanOrEqual(700);
    expect(summary.spend.calls - summary.spend.cachedCalls).toBeLessThanOrEqual(700);
    expect(summary.best.valScore).not.toBeNull();
  }, 300_000);

  it("never overruns a dollar cap split by role", async ({ expect }) => {
    const split = { evolver: 0.2, user: 0.5, verifier: 0.3 };
    // The quickstart's full task suite, whose worst cases make this cap bind.
    const { summary } = await run({ budget: { usd: 0.4, split } }, { sets: ["strategy.generations=8"], fullTasks: true });
    expect(summary.status).toBe("budget-exhausted");
    expect(summary.budget.charged.usd).toBeLessThanOrEqual(0.4);
    expect(summary.spend.usd).toBeLessThanOrEqual(0.4);
    for (const role of ["evolver", "user", "verifier"] as const) expect(summary.spend.byRole[role].usd).toBeLessThanOrEqual(0.4 * split[role] + 1e-12);
  }, 300_000);

  it("says plainly when the budget cannot even score the seed harness", async ({ expect }) => {
    await expect(run({ budget: { usd: 0.01 } })).rejects.toThrow(/^budget: too small to evaluate the seed harness/);
  });
});
