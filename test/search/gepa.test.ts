import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { parse, stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evolve } from "../../src/campaign/run.js";
import { parseCampaign } from "../../src/config/load.js";
import type { GepaStrategyConfig } from "../../src/config/schema.js";
import { worldKnobs } from "../../src/sim/presets.js";
import { startSimServer, type SimServer } from "../../src/sim/server.js";
import { smallCampaign } from "../e2e/helpers.js";
import { startJitterProxy, type JitterProxy } from "../helpers/jitter-proxy.js";

interface Row {
  id: string;
  hash: string;
  operator: string;
  parents: string;
  status: string;
}

type Scores = Map<string, number>;

/** A small gepa campaign run in-process; with `baseURL`, its models are served there (an outside sim server, or a jitter proxy in front of one). */
async function runGepa(strategy: Record<string, unknown>, opts: { budget?: Record<string, unknown>; short?: boolean; preset?: string; baseURL?: string } = {}) {
  const { budget = { calls: 600 }, short = true, preset = "separable", baseURL } = opts;
  const { dir, file } = smallCampaign({ strategy: { name: "gepa", ...strategy }, budget, sim: { world: 1, preset } }, { short });
  if (baseURL) {
    const cfg = parse(readFileSync(file, "utf8")) as { models: Record<string, { baseURL?: string; timeoutMs?: number }> };
    for (const m of Object.values(cfg.models)) Object.assign(m, { baseURL, timeoutMs: 600_000 });
    writeFileSync(file, stringify(cfg));
  }
  const out = join(dir, "run");
  const { summary } = await evolve(file, { out, inProcessIslands: true });
  const db = new Database(join(out, "run.db"), { readonly: true });
  const rows = db.prepare("SELECT id, hash, operator, parents, status FROM candidates ORDER BY id").all() as Row[];
  const evals = db.prepare("SELECT candidate_id AS id, stage, split, score, results FROM evaluations WHERE split = 'train'").all() as { id: string; stage: string; score: number; results: string }[];
  db.close();
  const scores = (id: string, stage: string): Scores | undefined => {
    const e = evals.find((x) => x.id === id && x.stage === stage);
    return e ? new Map((JSON.parse(e.results) as { taskId: string; score: number }[]).map((r) => [r.taskId, r.score])) : undefined;
  };
  return { summary, rows, scores };
}

const mean = (m: Scores, ids: readonly string[]) => ids.reduce((a, t) => a + m.get(t)!, 0) / ids.length;

/**
 * GEPA's acceptance rule, checked on the stored evaluations: a child with a full train score
 * beat its parent on its own minibatch (a merge: matched the better parent), the parents' scores
 * read from their full train evaluations; a child without one did not.
 */
function checkAcceptance(run: Awaited<ReturnType<typeof runGepa>>, minibatch: number) {
  let promoted = 0, refused = 0;
  for (const c of run.rows.filter((r) => r.id.startsWith("gepa-"))) {
    const mb = run.scores(c.id, "minibatch");
    if (!mb) continue;
    expect(mb.size).toBe(minibatch);
    const ids = [...mb.keys()];
    const parentIds = JSON.parse(c.parents) as string[];
    // Parents come from the pool: each has a full train evaluation.
    const parents = parentIds.map((p) => run.scores(p, "full")!);
    parents.forEach((p, i) => expect(p, `${c.id}: parent ${parentIds[i]} was never accepted`).toBeDefined());
    const bar = Math.max(...parents.map((p) => mean(p, ids)));
    const mine = mean(mb, ids);
    const full = run.scores(c.id, "full");
    if (c.operator === "crossover") {
      expect(new Set(parentIds).size).toBe(2);
      if (full) expect(mine).toBeGreaterThanOrEqual(bar - 1e-9);
      else expect(mine).toBeLessThan(bar - 1e-9);
    } else {
      expect(c.operator).toBe("refine");
      expect(parentIds).toHaveLength(1);
      if (full) expect(mine).toBeGreaterThan(bar + 1e-9);
      else expect(mine).toBeLessThanOrEqual(bar + 1e-9);
    }
    if (full) promoted++;
    else refused++;
  }
  return { promoted, refused };
}

let sim: SimServer;
const proxies: JitterProxy[] = [];
beforeAll(async () => {
  sim = await startSimServer({ world: 1, knobs: worldKnobs("rugged") });
});
afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await sim?.close();
});

describe.concurrent("gepa", () => {
  it("keeps a reflective child only when it beat its parent on the child's own minibatch, within the cap", async ({ expect }) => {
    const run = await runGepa({ width: 3, minibatch: 3, mergeProbability: 0 });
    expect(run.summary.strategy).toBe("gepa");
    expect(run.summary.status).toBe("budget-exhausted");
    expect(run.summary.budget.charged.calls).toBeLessThanOrEqual(600);
    const children = run.rows.filter((r) => r.id.startsWith("gepa-"));
    expect(children.length).toBeGreaterThan(3);
    expect(children.every((c) => c.operator === "refine")).toBe(true);
    const { promoted, refused } = checkAcceptance(run, 3);
    expect(promoted).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
    // The winner is one of the candidates, and the curve never falls.
    expect(run.rows.some((r) => r.hash === run.summary.best.hash)).toBe(true);
    const curve = run.summary.anytime.map((p) => p.bestTrain ?? 0);
    expect(curve).toEqual([...curve].sort((a, b) => a - b));
  }, 300_000);

  it("stops at `iterations` with status completed", async ({ expect }) => {
    const run = await runGepa({ width: 2, iterations: 3, mergeProbability: 0 }, { budget: { calls: 5000 } });
    expect(run.summary.status).toBe("completed");
    // Rounds of 2 then 1: three iterations, ids by round and iteration.
    const ids = run.rows.map((r) => r.id).filter((id) => id.startsWith("gepa-"));
    expect(ids.length).toBeLessThanOrEqual(3);
    for (const id of ids) expect(["gepa-r0-k0", "gepa-r0-k1", "gepa-r1-k0"]).toContain(id);
    expect(run.summary.generations).toBe(2);
  }, 300_000);

  it("with mergeProbability 1 merges two front members, each kept only if it matched the better parent; the same run through a jittering endpoint", async ({ expect }) => {
    const proxy = await startJitterProxy(sim.baseURL, 30);
    proxies.push(proxy);
    const strategy = { width: 3, minibatch: 6, mergeProbability: 1 };
    const opts = { budget: { calls: 1500 }, short: false, preset: "rugged" };
    const [direct, jittered] = await Promise.all([runGepa(strategy, { ...opts, baseURL: sim.baseURL }), runGepa(strategy, { ...opts, baseURL: proxy.baseURL })]);
    expect(proxy.forwarded()).toBeGreaterThan(0);
    expect(direct.summary.budget.charged.calls).toBeLessThanOrEqual(1500);
    const merges = direct.rows.filter((r) => r.operator === "crossover");
    expect(merges.length).toBeGreaterThan(0);
    // Until the front holds two members a merge falls back to a reflective mutation.
    expect(direct.rows.filter((r) => r.id.startsWith("gepa-r0-")).every((r) => r.operator === "refine")).toBe(true);
    const { promoted } = checkAcceptance(direct, 6);
    expect(promoted).toBeGreaterThan(0);
    // Timing changes nothing: the same candidates, ids and hashes, the same winner and curve.
    expect(jittered.rows).toEqual(direct.rows);
    expect(jittered.summary.best.hash).toBe(direct.summary.best.hash);
    expect(jittered.summary.anytime).toEqual(direct.summary.anytime);
    expect(jittered.summary.budget.charged).toEqual(direct.summary.budget.charged);
  }, 300_000);
});

describe("gepa settings", () => {
  const base = { name: "c", harness: "./h.md", tasks: "./t.yaml", models: { m: { model: "sim:mid" } }, roles: { evolver: "m", user: "m" } };
  it("has the documented defaults", () => {
    const s = parseCampaign({ ...base, strategy: { name: "gepa" } }, "c.yaml").strategy as GepaStrategyConfig;
    expect(s).toEqual({ name: "gepa", width: 4, minibatch: 3, mergeProbability: 0.2, iterations: 10_000, temperature: 0.7, finalists: 5 });
  });
  it.each([
    [{ width: 0 }, /strategy\.width/],
    [{ minibatch: 1.5 }, /strategy\.minibatch/],
    [{ mergeProbability: 1.2 }, /strategy\.mergeProbability/],
    [{ iterations: -1 }, /strategy\.iterations/],
    // Settings of the strategy the campaign switched from: the message says how to switch.
    [{ islands: 2, generations: 3 }, /strategy\.islands, strategy\.generations: unknown keys \(settings of strategy islands, not gepa: .*--set 'strategy=\{name: gepa\}'/],
    [{ islandz: 2 }, /^c\.yaml: strategy\.islandz: unknown key$/],
  ])("names the field of a bad setting %o", (bad, field) => {
    expect(() => parseCampaign({ ...base, strategy: { name: "gepa", ...bad } }, "c.yaml")).toThrow(field);
  });
});
