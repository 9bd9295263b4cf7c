import type { GepaStrategyConfig } from "../config/schema.js";
import type { Ledger } from "../budget/ledger.js";
import { chooseMinibatch } from "../fitness/cascade.js";
import { harnessHash } from "../harness/harness.js";
import { errorKind } from "../llm/types.js";
import { propose } from "../operators/index.js";
import type { RunStatus, SearchContext, StrategyResult } from "./context.js";
import { bestSoFar, evaluateSeed, finalize, reserveForFinal } from "./finalize.js";
import { evaluatedChild } from "./island-generation.js";
import { meanOn, paretoSample } from "./pareto.js";
import { stream } from "./rng.js";
import { AnytimeCurve, carveConversations, RoundSpend } from "./rounds.js";
import type { Candidate } from "./types.js";

/**
 * GEPA (Agrawal et al., arXiv 2507.19457) on this engine's operators, fitness and budget.
 * Each round runs `width` iterations side by side, each on its own carved account, reading
 * the pool as it was when the round began: pick a parent from the per-task Pareto front of
 * the pool, draw a minibatch of train tasks, reflect (critic, then author) on the parent's
 * feedback, and keep the child only if it beats the parent on that minibatch (then it gets
 * a full train evaluation and joins the pool). With `mergeProbability` an iteration merges
 * two front members instead, kept if it at least matches the better of them there. The pool
 * grows between rounds in iteration order, so the run is a function of seed and responses.
 */
type Outcome =
  | { kind: "child"; child: Candidate }
  | { kind: "skip"; reason?: string; evaluationFailed?: boolean }
  | { kind: "budget" }
  | { kind: "fatal"; reason: string };

export async function runGepa(ctx: SearchContext): Promise<StrategyResult> {
  const s = ctx.config.strategy as GepaStrategyConfig;
  const seed = await evaluateSeed(ctx);
  const reserve = reserveForFinal(ctx);
  const trainIds = ctx.evaluator.tasksOf("train").map((t) => t.id);
  const pool: Candidate[] = [seed.candidate];
  const all: Candidate[] = [seed.candidate];
  const known = new Set([seed.candidate.hash]);
  const curve = new AnytimeCurve(ctx);
  curve.record(-1, [seed.candidate]);
  let status: RunStatus = "completed";
  let reason: string | undefined;
  let round = 0;
  let done = 0;
  for (; done < s.iterations; round++) {
    if (ctx.signal?.aborted) break;
    const width = Math.min(s.width, s.iterations - done);
    const carved = carveConversations(ctx, [width]);
    if (!carved) {
      status = "budget-exhausted";
      reason = "the remaining budget cannot fund another round";
      break;
    }
    const accounts = carved.accounts[0]!;
    const spend = new RoundSpend(ctx.ledger, carved.accounts);
    const snapshot = { pool: [...pool], known: new Set(known) };
    let outcomes: Outcome[];
    try {
      outcomes = await Promise.all(accounts.map((account, k) => iterate(ctx, s, account, snapshot, trainIds, round, k, spend)));
    } finally {
      spend.close();
    }
    done += accounts.length;
    const children: Candidate[] = [];
    for (const o of outcomes) {
      if (o.kind === "skip" && o.reason) ctx.store.appendEvent("failure", { generation: round, island: 0, id: `gepa-r${round}`, reason: o.reason });
      if (o.kind !== "child" || known.has(o.child.hash)) continue;
      known.add(o.child.hash);
      all.push(o.child);
      children.push(o.child);
      if (o.child.train !== undefined) pool.push(o.child);
    }
    curve.record(round, children, spend);
    const fatal = outcomes.find((o): o is Extract<Outcome, { kind: "fatal" }> => o.kind === "fatal");
    if (fatal) {
      status = "failed";
      reason = fatal.reason;
      round++;
      break;
    }
    // As the baselines: a round whose every evaluation failed (and none succeeded) means the fitness is broken, not unlucky.
    const failedEvaluations = outcomes.filter((o) => o.kind === "skip" && o.evaluationFailed);
    if (failedEvaluations.length > 0 && !outcomes.some((o) => o.kind === "child")) {
      status = "failed";
      const first = (failedEvaluations[0] as { reason?: string }).reason?.replace(/^evaluation failed: /, "") ?? "no reason given";
      reason = `every candidate of round ${round + 1} failed its evaluation (${failedEvaluations.length} failed; first: ${first})`;
      round++;
      break;
    }
    if (outcomes.some((o) => o.kind === "budget")) {
      status = "budget-exhausted";
      reason = "the remaining budget cannot fund another iteration";
      round++;
      break;
    }
  }
  if (ctx.signal?.aborted) {
    status = "stopped";
    reason = "stopped on request; continue with: harness-evolve resume <run-dir>";
  }
  const { best, seedHarness } = status === "stopped" ? (reserve?.close(), bestSoFar(all, seed)) : await finalize(ctx, all, seed, reserve);
  ctx.emit({ type: "status", status, reason });
  return { status, reason, generations: round, candidates: all, best, seedHarness, islands: [], anytime: curve.points };
}

async function iterate(
  ctx: SearchContext,
  s: GepaStrategyConfig,
  account: Ledger,
  snapshot: { pool: Candidate[]; known: Set<string> },
  trainIds: readonly string[],
  round: number,
  k: number,
  spend: RoundSpend,
): Promise<Outcome> {
  const rng = stream(ctx.seed, "gepa", round, k);
  // Merges. The paper (GEPA+Merge) tries a merge right after a mutation was accepted, a bounded
  // number of times, on two candidates that descend from a common ancestor and changed different
  // modules. Here a harness is one text (no modules to recombine), so a merge is the LLM crossover
  // of two front members; and it is drawn with a fixed probability per iteration instead of on a
  // schedule, because the iterations of a round run side by side: whether a sibling succeeded is
  // not known yet, and waiting for it would serialise the round. A fixed draw keeps each iteration
  // a function of (seed, round, k) and the pool at the round's start. Successes still steer merges,
  // as in the paper: only accepted candidates enter the pool, and a merge needs two of them on the
  // front (before that, the draw falls back to a reflective mutation).
  const merge = snapshot.pool.length >= 2 && rng() < s.mergeProbability;
  const parents = sampleParents(snapshot.pool, merge ? 2 : 1, rng);
  const op = merge && parents.length === 2 ? "crossover" : "refine";
  const minibatchIds = chooseMinibatch(trainIds, s.minibatch, rng);
  // The parents' scores on this minibatch come from their full train evaluations: nothing to pay again.
  const parentMinibatch = Math.max(...parents.map((p) => meanOn(p, minibatchIds) ?? p.score));
  const id = `gepa-r${round}-k${k}`;
  try {
    const proposal = await propose(op, parents.map((p) => ({ text: p.text, score: p.score, feedback: p.feedback })), ctx.bind(account), {
      sampleKey: `gepa/round=${round}/iter=${k}`,
      temperature: s.temperature,
      context: ctx.taskContext,
    });
    if (!proposal.ok) return { kind: "skip", reason: `proposal failed: ${proposal.reason}` };
    const hash = harnessHash(proposal.harness);
    if (snapshot.known.has(hash)) return { kind: "skip" };
    const outcome = await ctx.evaluator.evaluateCandidate(account, {
      id,
      harness: proposal.harness,
      island: 0,
      generation: round,
      operator: op,
      parents: parents.map((p) => p.id),
      modelKey: proposal.modelKey,
      parentMinibatch,
      minibatchIds,
      // A reflective child must beat its parent; a merge must at least match the better parent.
      strict: op === "refine",
    });
    if (!outcome.ok) {
      if (outcome.budget) return { kind: "budget" };
      if (outcome.fatal) return { kind: "fatal", reason: outcome.reason };
      return { kind: "skip", reason: `evaluation failed: ${outcome.reason}`, evaluationFailed: true };
    }
    spend.evaluatedOn(id, account);
    const child = evaluatedChild(
      { id, hash, text: proposal.harness, island: 0, generation: round, operator: op, parents: parents.map((p) => p.id), modelKey: proposal.modelKey },
      { ...outcome, at: account.spent().total },
    );
    return { kind: "child", child };
  } catch (e) {
    const kind = errorKind(e);
    if (kind === "budget") return { kind: "budget" };
    if (kind === "fatal") return { kind: "fatal", reason: (e as Error).message };
    return { kind: "skip", reason: (e as Error).message };
  }
}

/**
 * `k` distinct parents from the pool's per-task Pareto front. A fitness that reports no per-task
 * scores (a plug-in module or command) gives a front of nothing; then every candidate's train
 * score counts as one task, so the front is the best by train (ties: the earliest) instead of the
 * seed for ever.
 */
function sampleParents(pool: readonly Candidate[], k: number, rng: () => number): Candidate[] {
  const perTask = pool.some((c) => c.taskScores && Object.keys(c.taskScores).length > 0);
  if (perTask) return paretoSample(pool, k, rng);
  const whole = pool.map((c) => ({ id: c.id, c, ...(c.train !== undefined ? { taskScores: { train: c.train } } : {}) }));
  return paretoSample(whole, k, rng).map((v) => v.c);
}

