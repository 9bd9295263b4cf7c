import type { Ledger } from "../budget/ledger.js";
import { UserError } from "../config/errors.js";
import { harnessHash } from "../harness/harness.js";
import { ROLES, type Role } from "../config/schema.js";
import type { Cost } from "../budget/types.js";
import { RunStoppedError, type ScoredHarness, type SearchContext } from "./context.js";
import type { Candidate } from "./types.js";
import { rankByScore } from "./selection.js";

export interface SeedResult {
  candidate: Candidate;
  val: number;
  test: number;
}

/** The seed harness on train (cascade, so children compare on the same minibatch), val and test. */
export async function evaluateSeed(ctx: SearchContext): Promise<SeedResult> {
  const text = ctx.seedHarness;
  if (ctx.signal?.aborted) throw new RunStoppedError();
  const outcome = await ctx.evaluator.evaluateCandidate(ctx.ledger, { id: "seed", harness: text, island: null, generation: 0, operator: "seed", parents: [] });
  if (!outcome.ok) {
    if (ctx.signal?.aborted) throw new RunStoppedError();
    if (outcome.budget) throw new UserError(`budget: too small to evaluate the seed harness (${outcome.reason})`);
    throw new Error(`the seed harness could not be evaluated: ${outcome.reason}`);
  }
  const held = async (split: "val" | "test") => {
    try {
      return await ctx.evaluator.evaluate(ctx.ledger, text, split);
    } catch (e) {
      if (ctx.signal?.aborted) throw new RunStoppedError();
      if ((e as Error).name === "BudgetExhaustedError") throw new UserError(`budget: too small to evaluate the seed harness on ${split} (${(e as Error).message})`);
      throw e;
    }
  };
  const val = await held("val");
  const test = await held("test");
  ctx.evaluator.record("seed", val);
  ctx.evaluator.record("seed", test);
  const candidate: Candidate = {
    id: "seed",
    hash: harnessHash(text),
    text,
    island: -1,
    generation: 0,
    operator: "seed",
    parents: [],
    minibatch: outcome.minibatch,
    train: outcome.train,
    score: outcome.train ?? outcome.minibatch,
    feedback: outcome.feedback,
    ...(outcome.taskScores ? { taskScores: outcome.taskScores } : {}),
  };
  ctx.emit({ type: "seed", train: candidate.score, val: val.score, test: test.score, minibatch: outcome.minibatch });
  return { candidate, val: val.score, test: test.score };
}

/** Worst case of the end-of-run evaluations, carved before the search so the search cannot eat it. */
export function reserveForFinal(ctx: SearchContext): Ledger | undefined {
  // Plug-in fitness has no worst case to reserve; its final evaluations draw on what is left.
  if (!ctx.evaluator.bounded) return undefined;
  const finalists = "finalists" in ctx.config.strategy ? ctx.config.strategy.finalists : 1;
  // Children may grow; plan for harnesses up to twice the seed's length (plus room).
  const probe = ctx.seedHarness + " ".repeat(ctx.seedHarness.length + 2000);
  const val = ctx.evaluator.worstCase(probe, ctx.evaluator.tasksOf("val"));
  const test = ctx.evaluator.worstCase(probe, ctx.evaluator.tasksOf("test"));
  const amounts: Partial<Record<Role, Cost>> = {};
  for (const role of ROLES) {
    const v = val[role];
    const t = test[role];
    if (!v && !t) continue;
    amounts[role] = {
      usd: (v?.usd ?? 0) * finalists + (t?.usd ?? 0),
      tokens: (v?.tokens ?? 0) * finalists + (t?.tokens ?? 0),
      calls: (v?.calls ?? 0) * finalists + (t?.calls ?? 0),
    };
  }
  return ctx.ledger.carve(amounts);
}

/**
 * Val picks the winner among the best `finalists` fully evaluated candidates (the seed
 * included); test is measured once, for the winner. Finalists the reserve cannot cover
 * are skipped and reported.
 */
export async function finalize(
  ctx: SearchContext,
  candidates: readonly Candidate[],
  seed: SeedResult,
  reserve: Ledger | undefined,
): Promise<{ best: ScoredHarness; seedHarness: ScoredHarness }> {
  const account = reserve ?? ctx.ledger;
  const finalists = "finalists" in ctx.config.strategy ? ctx.config.strategy.finalists : 1;
  const seen = new Set<string>([seed.candidate.hash]);
  const pool = rankByScore(candidates.filter((c) => c.train !== undefined)).filter((c) => !seen.has(c.hash) && (seen.add(c.hash), true));
  const scored: { c: Candidate; val: number }[] = [{ c: seed.candidate, val: seed.val }];
  for (const c of pool.slice(0, finalists)) {
    try {
      const e = await ctx.evaluator.evaluate(account, c.text, "val");
      ctx.evaluator.record(c.id, e);
      scored.push({ c, val: e.score });
      ctx.emit({ type: "finalist", id: c.id, train: c.score, val: e.score });
    } catch (e) {
      if ((e as Error).name !== "BudgetExhaustedError") throw e;
      ctx.emit({ type: "finalist", id: c.id, train: c.score, skipped: (e as Error).message });
    }
  }
  // Best val; ties go to the better train score, then to the seed (no change without evidence).
  scored.sort((a, b) => b.val - a.val || b.c.score - a.c.score);
  const winner = scored[0]!;
  let test: number | null = seed.test;
  if (winner.c.id !== "seed") {
    try {
      const e = await ctx.evaluator.evaluate(account, winner.c.text, "test");
      ctx.evaluator.record(winner.c.id, e);
      test = e.score;
    } catch (e) {
      if ((e as Error).name !== "BudgetExhaustedError") throw e;
      test = null;
    }
  }
  reserve?.close();
  const view = (c: Candidate, val: number, t: number | null): ScoredHarness => ({
    id: c.id,
    hash: c.hash,
    text: c.text,
    trainScore: c.train ?? null,
    valScore: val,
    testScore: t,
  });
  return { best: view(winner.c, winner.val, test), seedHarness: view(seed.candidate, seed.val, seed.test) };
}

/**
 * A stopped run makes no more calls: its best so far is the best by train score, with no
 * val or test (a resume finishes the run and picks the winner properly).
 */
export function bestSoFar(candidates: readonly Candidate[], seed: SeedResult): { best: ScoredHarness; seedHarness: ScoredHarness } {
  const best = rankByScore(candidates.filter((c) => c.train !== undefined))[0] ?? seed.candidate;
  const view = (c: Candidate, val: number | null, test: number | null): ScoredHarness => ({ id: c.id, hash: c.hash, text: c.text, trainScore: c.train ?? null, valScore: val, testScore: test });
  return { best: best.id === "seed" ? view(best, seed.val, seed.test) : view(best, null, null), seedHarness: view(seed.candidate, seed.val, seed.test) };
}
