import { join } from "node:path";
import Database from "better-sqlite3";
import { writeFileSync } from "node:fs";
import { stringify } from "yaml";
import { describe, it } from "vitest";
import { forkRun } from "../../src/campaign/fork.js";
import { resume } from "../../src/campaign/resume.js";
import { evolve } from "../../src/index.js";
import { smallCampaign } from "../e2e/helpers.js";

function rows<T>(dir: string, sql: string): T[] {
  const db = new Database(join(dir, "run.db"), { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

// The two tests side by side, on the short task suite (a fork does not depend on how many tasks a harness is scored on).
describe.concurrent("fork", () => {
  it("replays the old run up to generation K for free, then continues under the new campaign (more islands, another evolver, a budget)", async ({ expect }) => {
    const strategy = { name: "islands", islands: 2, generations: 4, conversations: 2, turns: 2, presets: ["explorer", "refiner"], finalists: 2 };
    const { dir, file } = smallCampaign({ strategy, roles: { evolver: "small", user: "mid", verifier: "judge" } }, { short: true });
    const a = join(dir, "a");
    await evolve(file, { out: a, inProcessIslands: true });

    const forked = join(dir, "forked.yaml");
    const changed = { ...strategy, islands: 3, presets: ["explorer", "refiner", "refiner"] };
    const base = (await import("yaml")).parse((await import("node:fs")).readFileSync(file, "utf8"));
    writeFileSync(forked, stringify({ ...base, strategy: changed, roles: { evolver: "large", user: "mid", verifier: "judge" }, budget: { calls: 5000 } }));
    const b = join(dir, "b");
    const { summary } = await forkRun(forked, { out: b, from: a, until: 2, inProcessIslands: true });

    // Before the fork point every call was a cache hit: nothing paid.
    const early = rows<{ cached: number }>(b, "SELECT cached FROM calls WHERE sample_key LIKE 'island=%/gen=0/%' OR sample_key LIKE 'island=%/gen=1/%'");
    expect(early.length).toBeGreaterThan(0);
    expect(early.every((r) => r.cached === 1)).toBe(true);
    // ... and the same candidates as the original run.
    const q = "SELECT id, hash FROM candidates WHERE generation < 2 AND island IS NOT NULL ORDER BY id";
    expect(rows(b, q)).toEqual(rows(a, q));
    // After it, the new campaign: three islands, written by the new evolver, paid for.
    expect(summary.islands).toHaveLength(3);
    const later = rows<{ model_key: string | null; island: number }>(b, "SELECT model_key, island FROM candidates WHERE generation >= 2 AND operator != 'migrate' AND operator != 'reset'");
    expect(later.length).toBeGreaterThan(0);
    expect(later.every((r) => r.model_key === "large")).toBe(true);
    expect(later.some((r) => r.island === 2)).toBe(true);
    expect(rows<{ n: number }>(b, "SELECT COUNT(*) AS n FROM calls WHERE cached = 0")[0]!.n).toBeGreaterThan(0);
    expect(summary.budget.charged.calls).toBeLessThanOrEqual(5000);

    // A forked run replays like any other (both parts from its own cache); a completed one only when asked to.
    const again = await resume(b, { inProcessIslands: true, replayCompleted: true });
    expect(again.summary.best).toEqual(summary.best);
    expect(again.summary.spend.calls - again.summary.spend.cachedCalls).toBe(summary.spend.calls - summary.spend.cachedCalls);
  }, 180_000);

  it("refuses a fork point the old run never reached, in one line", async ({ expect }) => {
    const { dir, file } = smallCampaign({ strategy: { name: "islands", islands: 2, generations: 1, conversations: 1, turns: 1, presets: ["explorer", "refiner"], finalists: 1 } }, { short: true });
    const a = join(dir, "a");
    await evolve(file, { out: a, inProcessIslands: true });
    await expect(forkRun(file, { out: join(dir, "b"), from: a, until: 3, inProcessIslands: true })).rejects.toThrow(/^--from-generation 3: .* completed only 1 generation$/);
  }, 300_000);
});
