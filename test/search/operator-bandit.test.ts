import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, it } from "vitest";
import { evolve } from "../../src/campaign/run.js";
import { smallCampaign } from "../e2e/helpers.js";

async function run(operatorBandit: boolean) {
  const strategy = { name: "islands", islands: 2, generations: 5, conversations: 4, turns: 1, presets: ["explorer"], noParentProbability: 0, operatorBandit };
  const { dir, file } = smallCampaign({ strategy }, { short: true });
  const out = join(dir, "run");
  const { summary } = await evolve(file, { out, inProcessIslands: true });
  const db = new Database(join(out, "run.db"), { readonly: true });
  const rows = db.prepare("SELECT operator, generation FROM candidates WHERE id != 'seed' ORDER BY id").all() as { operator: string; generation: number }[];
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
});
