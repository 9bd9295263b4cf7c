/**
 * A run's result is a function of its seed and the responses' content, never of timing. Every
 * run here goes through an endpoint that delays each response by a random 0-40 ms, so calls
 * complete in another order every time; with island workers and without, and SIGKILLed three
 * times at random moments and resumed. Each must equal the plain in-process run: best harness,
 * candidates, paid calls, dollars, and every candidate and evaluation row. Budgets bind: a total
 * calls cap in one campaign, a dollar cap with a role split in the other.
 *
 * The runs of both campaigns go side by side (eight CLI processes at once on the suite's cores,
 * plus the endpoint and the proxies in this process), so each meets a machine busy with the others.
 *
 * `npm run test:determinism` runs this file; scripts/determinism-under-load.sh runs it under
 * stress-ng load.
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { parse, stringify } from "yaml";
import { afterAll, beforeAll, describe, it, type ExpectStatic } from "vitest";
import type { RunSummary } from "../../src/campaign/summary.js";
import { startSimServer, type SimServer } from "../../src/sim/server.js";
import { smallCampaign } from "../e2e/helpers.js";
import { killedAfter, killedWhenStored, started, storedResponses } from "../helpers/cli-run.js";
import { startJitterProxy, type JitterProxy } from "../helpers/jitter-proxy.js";


let sim: SimServer;
const proxies: JitterProxy[] = [];

beforeAll(async () => {
  sim = await startSimServer({ world: 1 });
});
afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await sim?.close();
});

/** A jitter proxy of its own for one run, so that it can tell it served that run. */
async function newProxy(): Promise<JitterProxy> {
  const proxy = await startJitterProxy(sim.baseURL, 40);
  proxies.push(proxy);
  return proxy;
}

const STRATEGY = { name: "islands", islands: 3, generations: 4, conversations: 3, turns: 2, presets: ["explorer", "refiner", "explorer"], finalists: 2 };

/** A copy of the campaign file whose models are served through `proxy`. */
function jitteredCopy(dir: string, file: string, proxy: JitterProxy, name: string): string {
  const cfg = parse(readFileSync(file, "utf8")) as { models: Record<string, { baseURL?: string; timeoutMs?: number }> };
  for (const m of Object.values(cfg.models)) {
    m.baseURL = proxy.baseURL;
    // The endpoint lives in this test's process, which a loaded machine can starve for a while; timing must not fail the run.
    m.timeoutMs = 600_000;
  }
  const jittered = join(dir, `${name}.yaml`);
  writeFileSync(jittered, stringify(cfg));
  return jittered;
}

/** Waits for all of them (no run is left behind running), then fails with the first failure. */
async function all<T extends unknown[]>(...runs: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(runs);
  const failed = settled.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as T;
}

/** Runs a CLI command to its end. Never spawnSync: the sim server and the proxy live in this process's event loop. */
async function cli(args: string[]): Promise<void> {
  if ((await killedAfter([...args, "--json"], 900_000)) !== "finished") throw new Error(`${args.join(" ")} did not finish`);
}

/** Everything that must not depend on timing: the summary's results and every candidate and evaluation row. */
function outcome(dir: string) {
  const s = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as RunSummary;
  const db = new Database(join(dir, "run.db"), { readonly: true, fileMustExist: true });
  try {
    const candidates = db.prepare("SELECT id, hash, status, reason FROM candidates ORDER BY id").all();
    // Per-task results as a hash, so a failure prints a readable diff.
    const evaluations = (db.prepare("SELECT candidate_id, split, stage, score, results, cost_usd, tokens, calls, error FROM evaluations ORDER BY candidate_id, split, stage").all() as { results: string }[]).map(
      ({ results, ...e }) => ({ ...e, results: createHash("sha256").update(results).digest("hex").slice(0, 16) }),
    );
    return {
      summary: {
        status: s.status,
        reason: s.reason,
        best: s.best,
        seedHarness: s.seedHarness,
        generations: s.generations,
        candidates: s.candidates,
        paidCalls: s.spend.calls - s.spend.cachedCalls,
        usd: s.spend.usd,
        inputTokens: s.spend.inputTokens,
        outputTokens: s.spend.outputTokens,
        charged: s.budget.charged,
        islands: s.islands,
        anytime: s.anytime,
      },
      candidates,
      evaluations,
    };
  } finally {
    db.close();
  }
}

/** The same run, compared piece by piece so that a failure says where it diverged. */
function expectSameRun(expect: ExpectStatic, dir: string, reference: ReturnType<typeof outcome>, label: string): void {
  const got = outcome(dir);
  expect(got.summary, `${label}: summary`).toEqual(reference.summary);
  expect(got.candidates, `${label}: candidates`).toEqual(reference.candidates);
  expect(got.evaluations, `${label}: evaluations`).toEqual(reference.evaluations);
}

async function killedThriceThenResumed(file: string, out: string, seed: number): Promise<{ kills: number; resumes: number }> {
  let kills = 0;
  let resumes = 0;
  let x = seed;
  const next = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let attempt = 0; attempt < 12; attempt++) {
    const resuming = started(out);
    const args = resuming ? ["resume", out] : ["run", file, "--out", out];
    if (resuming) resumes++;
    // Each kill lands at a random point 20-120 responses further into the run (a whole run stores
    // about 400), with whatever calls are in flight then; after three, let it finish. Points of
    // progress, not of time: with eight runs sharing two cores, kills a few seconds after the start
    // all landed before the run had recorded its campaign, and nothing was ever resumed.
    const result = kills < 3 ? await killedWhenStored([...args, "--json"], out, storedResponses(out) + 20 + Math.floor(next() * 100)) : await killedAfter([...args, "--json"], 900_000);
    if (result === "finished") return { kills, resumes };
    kills++;
  }
  throw new Error("the run did not finish after 12 attempts");
}

describe.concurrent.each([
  { name: "a binding total calls cap", budget: { calls: 500 } },
  { name: "a binding dollar cap split over roles", budget: { usd: 0.6, split: { evolver: 0.1, user: 0.6, verifier: 0.3 } } },
])("order invariance with $name", ({ budget }) => {
  // Both campaigns at once (describe.concurrent), and within each the four runs at once: none reads another's result.
  it("workers or not, jittered or not, killed and resumed or not: the same run", async ({ expect }) => {
    // The short task suite: the same generations and about as many candidates as on the full one, at half the calls.
    const { dir, file: direct } = smallCampaign({ seed: 11, strategy: STRATEGY, budget }, { short: true });
    const [workersProxy, inProcessProxy, killedProxy] = await all(newProxy(), newProxy(), newProxy());
    const [, , , killed] = await all(
      cli(["run", direct, "--out", join(dir, "reference"), "--in-process"]),
      cli(["run", jitteredCopy(dir, direct, workersProxy, "workers"), "--out", join(dir, "workers")]),
      cli(["run", jitteredCopy(dir, direct, inProcessProxy, "in-process"), "--out", join(dir, "in-process"), "--in-process"]),
      killedThriceThenResumed(jitteredCopy(dir, direct, killedProxy, "killed"), join(dir, "killed"), budget.calls ?? 7),
    );
    const reference = outcome(join(dir, "reference"));
    // The cap must bind, or the test would not test a budget edge: rounds shrank (or the run
    // stopped) well short of the 72 children an unbounded run proposes.
    expect(reference.summary.candidates).toBeLessThan(40);
    expect(reference.candidates.length).toBeGreaterThan(8);
    // The anytime curve has points within rounds (children placed by their conversations' spend), and they too must not depend on timing.
    const anytime = reference.summary.anytime;
    expect(anytime.some((p, i) => anytime[i + 1]?.round === p.round)).toBe(true);

    // Each jittered endpoint really served its run.
    for (const p of [workersProxy, inProcessProxy, killedProxy]) expect(p.forwarded()).toBeGreaterThan(0);
    expectSameRun(expect, join(dir, "workers"), reference, "jittered, island workers");
    expectSameRun(expect, join(dir, "in-process"), reference, "jittered, islands in-process");
    expect(killed.kills).toBeGreaterThanOrEqual(1);
    expect(killed.resumes).toBe(killed.kills); // every kill left a started run, and each was resumed
    expectSameRun(expect, join(dir, "killed"), reference, "jittered, SIGKILLed and resumed");

    // Replaying a finished run from the cache (on purpose: a plain resume leaves it alone): nothing new is paid, nothing changes.
    await cli(["resume", join(dir, "killed"), "--replay-completed"]);
    expectSameRun(expect, join(dir, "killed"), reference, "a finished run resumed");
  }, 900_000);
});
