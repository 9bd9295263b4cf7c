import { renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Ledger } from "../budget/ledger.js";
import type { CampaignConfig, Role } from "../config/schema.js";
import { timeoutCounts } from "../fitness/verdicts.js";
import type { AnytimePoint, IslandStats, RunStatus, ScoredHarness } from "../search/context.js";
import type { RunStore } from "../store/run-store.js";
import type { SpendTotals } from "../store/types.js";

export interface RoleSpend {
  usd: number;
  inputTokens: number;
  outputTokens: number;
  calls: number;
  cachedCalls: number;
}

/** summary.json: the contract scripts rely on (DESIGN.md section 10). */
export interface RunSummary {
  name: string;
  status: RunStatus;
  reason?: string;
  strategy: string;
  seed: number;
  generations: number;
  candidates: number;
  best: ScoredHarness;
  seedHarness: Omit<ScoredHarness, "text" | "id"> & { id: string };
  /**
   * Paid to endpoints by this run (cache hits cost nothing), and how many calls were served
   * from cache. `truncated`, `empty`, `refused`: distinct responses that were not answers (cut
   * at the output cap, empty, refusals or tool calls without text; a cut reply a reasoning
   * model was asked again with a wider cap counts too); `promptCut`: responses whose reported
   * prompt tokens show the server cut the prompt. Details in run.db (responses.kind, `prompt_cut` events).
   */
  spend: RoleSpend & { byRole: Record<Role, RoleSpend>; truncated: number; empty: number; refused: number; promptCut: number };
  /** What the budget was charged (cache hits at their stored cost, so a replay spends the same) against its caps. */
  budget: { caps: { usd?: number; tokens?: number; calls?: number }; charged: { usd: number; tokens: number; calls: number } };
  islands: IslandStats[];
  /**
   * User code that ran past its limit twice (a first time-out is retried alone with a longer
   * limit): js checks, and module or command evaluations. Counted from run.db's stored
   * verdicts, so each distinct run once (a replayed verdict is not counted again).
   */
  timeouts: { checks: number; evaluations: number };
  /**
   * Responses whose reported usage passed what the call could cost (prompt tokens over
   * the prompt's byte bound, completion tokens over max_tokens): each was charged at the bound,
   * and the run stops on a model that keeps doing it. Details are `usage_suspect` events in run.db.
   */
  usageSuspect: number;
  /**
   * Candidates that failed, by where: `proposals` (the evolver's reply did not parse or its
   * call failed: a model that cannot follow the operator format shows here), `evaluations`
   * (the fitness failed on the candidate), `other`. Counted from run.db's `failure` events, which hold the reasons.
   */
  failures: { proposals: number; evaluations: number; other: number };
  /**
   * The anytime curve: the budget charged so far and the best train score reached, at the end
   * of each generation (or round) and, within one, where each child that raised the best lies
   * (search/rounds.ts: placed by its conversation's spend); in non-decreasing budget order. For
   * simulated campaigns also that harness's noise-free expected val success.
   */
  anytime: { round: number; usd: number; tokens: number; calls: number; bestTrain: number | null; bestExpected?: number | null }[];
  /** Expected success of the best possible harness on val for the user model (simulated campaigns only). */
  simOptimum?: number;
  /** Noise-free expected val success of the seed and best harness (simulated campaigns only). */
  simExpected?: { seed: number; best: number; model: string };
  durationMs: number;
  finishedAt: string;
}

function roleSpend(t: SpendTotals): RoleSpend {
  return { usd: round(t.usd), inputTokens: t.inputTokens, outputTokens: t.outputTokens, calls: t.calls + t.cachedCalls, cachedCalls: t.cachedCalls };
}

function round(x: number): number {
  return Math.round(x * 1e8) / 1e8;
}

export function buildSummary(args: {
  config: CampaignConfig;
  status: RunStatus;
  reason?: string;
  generations: number;
  candidates: number;
  best: ScoredHarness;
  seedHarness: ScoredHarness;
  islands: IslandStats[];
  anytime: AnytimePoint[];
  store: RunStore;
  ledger: Ledger;
  sim?: { optimum: number; seed: number; best: number; model: string; anytime: (number | null)[] };
  durationMs: number;
}): RunSummary {
  const totals = args.store.callTotals();
  const kinds = args.store.replyKinds();
  const charged = args.ledger.spent().total;
  const { text: _t, ...seedView } = args.seedHarness;
  return {
    name: args.config.name,
    status: args.status,
    ...(args.reason ? { reason: args.reason } : {}),
    strategy: args.config.strategy.name,
    seed: args.config.seed,
    generations: args.generations,
    candidates: args.candidates,
    best: args.best,
    seedHarness: seedView,
    spend: {
      ...roleSpend(totals),
      byRole: { evolver: roleSpend(totals.byRole.evolver), user: roleSpend(totals.byRole.user), verifier: roleSpend(totals.byRole.verifier) },
      truncated: kinds.truncated ?? 0,
      empty: kinds.empty ?? 0,
      refused: (kinds.refusal ?? 0) + (kinds.tool_calls ?? 0),
      promptCut: args.store.events("prompt_cut").length,
    },
    budget: {
      caps: { usd: args.config.budget.usd, tokens: args.config.budget.tokens, calls: args.config.budget.calls },
      charged: { usd: round(charged.usd), tokens: charged.tokens, calls: charged.calls },
    },
    islands: args.islands.map((i) => ({ ...i, bestScore: round(i.bestScore), meanScore: round(i.meanScore), diversity: round(i.diversity) })),
    timeouts: timeoutCounts(args.store.verdictTimeouts()),
    usageSuspect: args.store.events("usage_suspect").length,
    failures: failureCounts(args.store.events("failure").map((e) => (e.payload as { reason?: unknown }).reason)),
    anytime: args.anytime.map((p, i) => ({
      round: p.round,
      usd: round(p.usd),
      tokens: p.tokens,
      calls: p.calls,
      bestTrain: p.bestTrain === null ? null : round(p.bestTrain),
      ...(args.sim ? { bestExpected: args.sim.anytime[i] === null ? null : round(args.sim.anytime[i]!) } : {}),
    })),
    ...(args.sim ? { simOptimum: round(args.sim.optimum), simExpected: { seed: round(args.sim.seed), best: round(args.sim.best), model: args.sim.model } } : {}),
    durationMs: Math.round(args.durationMs),
    finishedAt: new Date().toISOString(),
  };
}

/** Failure reasons start with where the candidate failed (see search/island-generation.ts). */
function failureCounts(reasons: readonly unknown[]): RunSummary["failures"] {
  const out = { proposals: 0, evaluations: 0, other: 0 };
  for (const r of reasons) {
    const text = typeof r === "string" ? r : "";
    if (text.startsWith("proposal failed:")) out.proposals++;
    else if (text.startsWith("evaluation failed:")) out.evaluations++;
    else out.other++;
  }
  return out;
}

export const SUMMARY_FILE = "summary.json";

/** Written whole or not at all (through a temporary file): a full disk must not leave half a summary behind. */
export function writeSummary(dir: string, summary: RunSummary): string {
  const file = join(dir, SUMMARY_FILE);
  const tmp = `${file}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify(summary, null, 2) + "\n");
    renameSync(tmp, file);
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // the failed write is the error to report
    }
    throw e;
  }
  return file;
}
