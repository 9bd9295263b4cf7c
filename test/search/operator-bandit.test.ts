import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, it } from "vitest";
import { evolve } from "../../src/campaign/run.js";
import { smallCampaign } from "../e2e/helpers.js";

async function run(operatorBandit: boolean, parentSelection = "boltzmann") {
  const strategy = { name: "islands", islands: 2, generations: 5, conversations: 4, turns: 1, presets: ["explorer"], noParentProbability: 0, operatorBandit, parentSelection };
  const { dir, file } = smallCampaign({ strategy }, { short: true });
  const out = join(dir, "run");
  const { summary } = await evolve(file, { out, inProcessIslands: true });
  const db = new Database(join(out, "run.db"), { readonly: true });
  const rows = db.prepare("SELECT operator, generation, parents FROM candidates WHERE id != 'seed' ORDER BY id").all() as { operator: string; generation: number; parents: string }[];
  db.close();
  return { summary, rows };
}

describe.concurrent("islands with the operator bandit", () => {
  it("tries every operator, then shifts the first-turn mix away from the preset's, reproducibly", async ({ expect }) => {
    const [plain, banded, again] = await Promise.all([run(false), run(true), run(true)]);
    expect(banded.summary.status).not.toBe("failed");
    const ops = (rows: { operator: string }[]) => new Set(rows.map((r) => r.operator));
    for (const op of ["mutate", "crossover", "refine"]) expect(ops(banded.rows).has(op)).toBe(true);
    // Same seed, same preset: only the bandit changes which operators open conversations.
    expect(banded.rows.map((r) => r.operator)).not.toEqual(plain.rows.map((r) => r.operator));
    expect(again.rows).toEqual(banded.rows);
    expect(again.summary.best.text).toBe(banded.summary.best.text);
  }, 300_000);

  it("parentSelection pareto picks other parents than the tournament, reproducibly", async ({ expect }) => {
    const [plain, pareto, again] = await Promise.all([run(false), run(false, "pareto"), run(false, "pareto")]);
    expect(pareto.summary.status).not.toBe("failed");
    expect(pareto.rows.map((r) => r.parents)).not.toEqual(plain.rows.map((r) => r.parents));
    expect(again.rows).toEqual(pareto.rows);
  }, 300_000);
});
