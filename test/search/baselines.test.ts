import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, it } from "vitest";
import { evolve } from "../../src/campaign/run.js";
import { smallCampaign } from "../e2e/helpers.js";

interface Row {
  id: string;
  operator: string;
  parents: string;
  island: number | null;
  generation: number;
  status: string;
}

async function runStrategy(strategy: Record<string, unknown>, budget?: Record<string, unknown>) {
  const { dir, file } = smallCampaign({ strategy, ...(budget ? { budget } : {}) }, { short: true });
  const out = join(dir, "run");
  const { summary } = await evolve(file, { out, inProcessIslands: true });
  const db = new Database(join(out, "run.db"), { readonly: true });
  const rows = db.prepare("SELECT id, operator, parents, island, generation, status FROM candidates WHERE id != 'seed' ORDER BY generation, island, id").all() as Row[];
  db.close();
  return { summary, children: rows.map((r) => ({ ...r, parents: JSON.parse(r.parents) as string[] })) };
}

// Side by side, on the short task suite (what a baseline proposes does not depend on how many tasks a harness is scored on).
describe.concurrent("baselines, as Mind Evolution defines them", () => {
  it("best-of-n writes independent variants of the seed only, in rounds of `width`, up to n", async ({ expect }) => {
    const { summary, children } = await runStrategy({ name: "best-of-n", n: 10, width: 4 });
    expect(summary.strategy).toBe("best-of-n");
    expect(summary.generations).toBe(3); // rounds of 4, 4, 2
    expect(children.length).toBeGreaterThan(0);
    expect(children.length).toBeLessThanOrEqual(10);
    for (const c of children) {
      expect(c.operator).toBe("mutate");
      expect(c.parents).toEqual(["seed"]); // no feedback loop: never a child's child
    }
  }, 300_000);

  it("sequential-revision revises each thread's latest harness, turn after turn (critic, then author)", async ({ expect }) => {
    const { summary, children } = await runStrategy({ name: "sequential-revision", threads: 2, turns: 4 });
    expect(summary.generations).toBe(4);
    for (const c of children) expect(c.operator).toBe("refine");
    for (const thread of [0, 1]) {
      const chain = children.filter((c) => c.island === thread).sort((a, b) => a.generation - b.generation);
      expect(chain.length).toBeGreaterThan(0);
      // Every revision's parent is the thread's previous child (or the seed before the first).
      let previous = `seed>t${thread}`;
      for (const c of chain) {
        expect(c.parents).toEqual([previous]);
        if (c.status === "evaluated") previous = c.id;
      }
      expect(previous).not.toBe(`seed>t${thread}`);
    }
  }, 300_000);

  it("one-pass makes exactly one rewrite, from no parent", async ({ expect }) => {
    const { summary, children } = await runStrategy({ name: "one-pass" });
    expect(summary.generations).toBe(1);
    expect(children.length).toBeLessThanOrEqual(1);
    for (const c of children) {
      expect(c.operator).toBe("rewrite");
      expect(c.parents).toEqual([]);
    }
    expect(summary.spend.byRole.evolver.calls).toBeLessThanOrEqual(3); // one proposal, parse retries at most
  }, 300_000);

  it("a baseline that runs out of budget stops cleanly and says why", async ({ expect }) => {
    const { summary } = await runStrategy({ name: "best-of-n", n: 100000, width: 4 }, { calls: 300 });
    expect(summary.status).toBe("budget-exhausted");
    expect(summary.reason).toMatch(/budget/);
    expect(summary.budget.charged.calls).toBeLessThanOrEqual(300);
  }, 300_000);
});
