import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, it } from "vitest";
import { evolve } from "../../src/campaign/run.js";
import { smallCampaign } from "../e2e/helpers.js";

interface Row {
  id: string;
  operator: string;
  parents: string;
  status: string;
}

async function runGepa(strategy: Record<string, unknown>, budget: Record<string, unknown> = { calls: 600 }, short = true, preset = "separable") {
  const { dir, file } = smallCampaign({ strategy: { name: "gepa", ...strategy }, budget, sim: { world: 1, preset } }, { short });
  const out = join(dir, "run");
  const { summary } = await evolve(file, { out, inProcessIslands: true });
  const db = new Database(join(out, "run.db"), { readonly: true });
  const rows = db.prepare("SELECT id, operator, parents, status FROM candidates ORDER BY id").all() as Row[];
  const evals = db.prepare("SELECT candidate_id AS id, stage, split, score, results FROM evaluations WHERE split = 'train'").all() as { id: string; stage: string; score: number; results: string }[];
  db.close();
  const scores = (id: string, stage: string) => {
    const e = evals.find((x) => x.id === id && x.stage === stage);
    return e ? new Map((JSON.parse(e.results) as { taskId: string; score: number }[]).map((r) => [r.taskId, r.score])) : undefined;
  };
  return { summary, rows, scores };
}

describe.concurrent("gepa", () => {
  it("keeps a reflective child only when it beat its parent on the child's own minibatch, within the cap", async ({ expect }) => {
    const { summary, rows, scores } = await runGepa({ width: 3, minibatch: 3, mergeProbability: 0 });
    expect(summary.strategy).toBe("gepa");
    expect(summary.status).toBe("budget-exhausted");
    expect(summary.budget.charged.calls).toBeLessThanOrEqual(600);
    const children = rows.filter((r) => r.id.startsWith("gepa-"));
    expect(children.length).toBeGreaterThan(3);
    let promoted = 0, refused = 0;
    for (const c of children) {
      expect(c.operator).toBe("refine");
      const mb = scores(c.id, "minibatch");
      if (!mb) continue;
      expect(mb.size).toBe(3);
      const parent = scores(JSON.parse(c.parents)[0], "full")!;
      const mean = (m: Map<string, number>, ids: string[]) => ids.reduce((a, t) => a + m.get(t)!, 0) / ids.length;
      const ids = [...mb.keys()];
      const full = scores(c.id, "full");
      if (full) {
        promoted++;
        expect(mean(mb, ids)).toBeGreaterThan(mean(parent, ids));
      } else {
        refused++;
        expect(mean(mb, ids)).toBeLessThanOrEqual(mean(parent, ids));
      }
    }
    expect(promoted).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  }, 300_000);

  it("merges two front members when asked, and gives the same run twice", async ({ expect }) => {
    const [a, b] = await Promise.all([runGepa({ width: 3, minibatch: 6, mergeProbability: 0.5 }, { calls: 1500 }, false, "rugged"), runGepa({ width: 3, minibatch: 6, mergeProbability: 0.5 }, { calls: 1500 }, false, "rugged")]);
    const merges = a.rows.filter((r) => r.operator === "crossover");
    expect(merges.length).toBeGreaterThan(0);
    for (const m of merges) expect(new Set(JSON.parse(m.parents)).size).toBe(2);
    expect(b.rows).toEqual(a.rows);
    expect(b.summary.best.text).toBe(a.summary.best.text);
    expect(b.summary.anytime).toEqual(a.summary.anytime);
  }, 300_000);
});
