import type { Role } from "../config/schema.js";
import type { Ledger } from "../budget/ledger.js";
import { BudgetExhaustedError, type Cost } from "../budget/types.js";
import { cascadeEvaluate } from "../fitness/cascade.js";
import type { Evaluation, Fitness, FitnessContext, Split, Task } from "../fitness/types.js";
import type { Complete } from "../llm/types.js";
import { harnessHash } from "../harness/harness.js";
import type { RunStore } from "../store/run-store.js";
import type { EvaluationOutcome } from "./island-generation.js";

/** Worst-case cost per role of evaluating one harness on some tasks (an upper bound). */
export type EvaluationBound = (harness: string, tasks: readonly Task[]) => Partial<Record<Role, Cost>>;

/** How hard evaluations look: `thorough` samples every answer more (the adaptive budget policy uses it when the search stalls). */
export type Effort = "normal" | "thorough";

export interface EvaluatorDeps {
  fitness: Fitness;
  /** The same fitness with more samples per task; `fitness` when absent. */
  thorough?: { fitness: Fitness; bound: EvaluationBound };
  tasks: readonly Task[];
  store: RunStore;
  /** The gateway bound to an account. */
  bind: (account: Ledger) => Complete;
  bound: EvaluationBound;
  minibatchIds: readonly string[];
}

export interface CandidateMeta {
  id: string;
  harness: string;
  island: number | null;
  generation: number;
  operator: string;
  parents: string[];
  modelKey?: string;
  parentMinibatch?: number;
}

/**
 * Evaluations as the main thread runs them: each one first carves its own worst case
 * from the caller's account, so it either runs whole or not at all, whatever else is
 * in flight. That keeps budget stops deterministic.
 */
export class CandidateEvaluator {
  private readonly byId = new Map<string, Task>();
  private effort: Effort = "normal";

  constructor(private readonly deps: EvaluatorDeps) {
    for (const t of deps.tasks) this.byId.set(t.id, t);
  }

  /** Set between generations only, so every evaluation of a generation looks equally hard. */
  setEffort(effort: Effort): void {
    this.effort = this.deps.thorough ? effort : "normal";
  }

  private get active(): { fitness: Fitness; bound: EvaluationBound } {
    return this.effort === "thorough" && this.deps.thorough ? this.deps.thorough : this.deps;
  }

  /** Upper bound, per role, of what evaluating `harness` on `tasks` can cost at the current effort. */
  worstCase(harness: string, tasks: readonly Task[]): Partial<Record<Role, Cost>> {
    return this.active.bound(harness, tasks);
  }

  get minibatchIds(): readonly string[] {
    return this.deps.minibatchIds;
  }

  tasksOf(split: Split, ids?: readonly string[]): Task[] {
    if (ids) return ids.map((id) => this.byId.get(id)!).filter(Boolean);
    return this.deps.tasks.filter((t) => t.split === split);
  }

  /** Evaluate `harness` on a split (or some of its tasks) within its own carved allowance. */
  async evaluate(account: Ledger, harness: string, split: Split, ids?: readonly string[]): Promise<Evaluation> {
    const { fitness, bound } = this.active;
    const allowance = account.carve(bound(harness, this.tasksOf(split, ids)));
    if (!allowance) throw new BudgetExhaustedError("user", "usd", `budget too small for an evaluation on ${ids ? ids.length : split} tasks`);
    try {
      const complete = this.deps.bind(allowance);
      const ctx: FitnessContext = { user: complete, verifier: complete };
      return await fitness.evaluate(harness, { split, taskIds: ids }, ctx);
    } finally {
      allowance.close();
    }
  }

  /** The cascade for a new candidate; records it and its evaluations in the store. */
  async evaluateCandidate(account: Ledger, c: CandidateMeta): Promise<EvaluationOutcome> {
    const { store } = this.deps;
    store.putCandidate({ id: c.id, hash: harnessHash(c.harness), text: c.harness, island: c.island, generation: c.generation, operator: c.operator, parents: c.parents, modelKey: c.modelKey ?? null });
    try {
      const fitness: Fitness = { evaluate: (h, opts) => this.evaluate(account, h, opts.split, opts.taskIds) };
      const noCtx = {} as FitnessContext;
      const result = await cascadeEvaluate(fitness, c.harness, noCtx, { minibatchIds: this.deps.minibatchIds, parentMinibatch: c.parentMinibatch });
      const error = result.minibatch.error ?? result.full?.error;
      store.transaction(() => {
        for (const e of [result.minibatch, result.full]) if (e) this.record(c.id, e);
        store.updateCandidateStatus(c.id, error ? "failed" : "evaluated", error ?? null);
      });
      if (error) return { ok: false, reason: error };
      const last = result.full ?? result.minibatch;
      return { ok: true, minibatch: result.minibatch.score, train: result.full?.score, feedback: last.feedback };
    } catch (e) {
      const err = e as Error & { permanent?: boolean };
      const budget = err.name === "BudgetExhaustedError";
      const fatal = err.name === "LlmCallError" && err.permanent === true;
      store.updateCandidateStatus(c.id, budget ? "rejected" : "failed", `${budget ? "not evaluated: " : ""}${err.message}`);
      return { ok: false, reason: err.message, budget, fatal };
    }
  }

  record(candidateId: string, e: Evaluation): void {
    this.deps.store.putEvaluation({
      candidateId,
      split: e.split,
      stage: e.stage,
      score: e.score,
      feedback: e.feedback,
      results: e.results,
      costUsd: e.cost.usd,
      tokens: e.cost.tokens,
      calls: e.cost.calls,
      error: e.error ?? null,
    });
  }
}
