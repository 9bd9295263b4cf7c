import type { Role } from "../config/schema.js";
import type { Ledger } from "../budget/ledger.js";
import { BudgetExhaustedError, type Cost } from "../budget/types.js";
import { cascadeEvaluate } from "../fitness/cascade.js";
import type { Evaluation, Fitness, FitnessContext, Split, Task } from "../fitness/types.js";
import { errorKind, type Complete } from "../llm/types.js";
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
  thorough?: { fitness: Fitness; bound?: EvaluationBound };
  tasks: readonly Task[];
  store: RunStore;
  /** The gateway bound to an account. */
  bind: (account: Ledger) => Complete;
  /**
   * Worst case of an evaluation, carved before it starts. Absent for plug-in fitness
   * (a module's own model calls cannot be bounded in advance): those draw on the
   * caller's account call by call.
   */
  bound?: EvaluationBound;
  /** Train tasks of the cascade's first stage; empty means no cascade (one evaluation per candidate). */
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
  /** This candidate's first-stage tasks instead of the campaign's fixed minibatch (GEPA samples one per iteration). */
  minibatchIds?: readonly string[];
  /** Promote only if the child beats parentMinibatch (not ties). */
  strict?: boolean;
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

  private get active(): { fitness: Fitness; bound?: EvaluationBound } {
    return this.effort === "thorough" && this.deps.thorough ? this.deps.thorough : this.deps;
  }

  /** Upper bound, per role, of what evaluating `harness` on `tasks` can cost at the current effort. */
  worstCase(harness: string, tasks: readonly Task[]): Partial<Record<Role, Cost>> {
    return this.active.bound?.(harness, tasks) ?? {};
  }

  /** Whether evaluations carve their worst case (task suites) or draw call by call (plug-ins). */
  get bounded(): boolean {
    return this.active.bound !== undefined;
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
    const allowance = bound ? account.carve(bound(harness, this.tasksOf(split, ids))) : account;
    if (!allowance) throw new BudgetExhaustedError("user", "usd", `budget too small for an evaluation on ${ids ? ids.length : split} tasks`);
    try {
      const complete = this.deps.bind(allowance);
      const ctx: FitnessContext = { user: complete, verifier: complete };
      return await fitness.evaluate(harness, { split, taskIds: ids }, ctx);
    } finally {
      if (allowance !== account) allowance.close();
    }
  }

  /** The cascade for a new candidate; records it and its evaluations in the store. */
  async evaluateCandidate(account: Ledger, c: CandidateMeta): Promise<EvaluationOutcome> {
    const { store } = this.deps;
    store.putCandidate({ id: c.id, hash: harnessHash(c.harness), text: c.harness, island: c.island, generation: c.generation, operator: c.operator, parents: c.parents, modelKey: c.modelKey ?? null });
    try {
      const fitness: Fitness = { evaluate: (h, opts) => this.evaluate(account, h, opts.split, opts.taskIds) };
      const noCtx = {} as FitnessContext;
      // Without a minibatch (plug-in fitness) a candidate is evaluated once, and that score stands for both stages.
      const minibatchIds = c.minibatchIds ?? this.deps.minibatchIds;
      const result = this.deps.minibatchIds.length
        ? await cascadeEvaluate(fitness, c.harness, noCtx, { minibatchIds, parentMinibatch: c.parentMinibatch, strict: c.strict })
        : await once(fitness, c.harness);
      const error = result.minibatch.error ?? result.full?.error;
      store.transaction(() => {
        const stages = this.deps.minibatchIds.length ? [result.minibatch, result.full] : [result.full ?? result.minibatch];
        for (const e of stages) if (e) this.record(c.id, e);
        store.updateCandidateStatus(c.id, error ? "failed" : "evaluated", error ?? null);
      });
      if (error) return { ok: false, reason: error };
      const last = result.full ?? result.minibatch;
      const taskScores = result.full ? Object.fromEntries(result.full.results.map((t) => [t.taskId, t.score])) : undefined;
      return { ok: true, minibatch: result.minibatch.score, train: result.full?.score, feedback: last.feedback, ...(taskScores ? { taskScores } : {}) };
    } catch (e) {
      const err = e as Error & { permanent?: boolean };
      const budget = errorKind(err) === "budget";
      const fatal = errorKind(err) === "fatal";
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

async function once(fitness: Fitness, harness: string): Promise<{ minibatch: Evaluation; full?: Evaluation }> {
  const full = await fitness.evaluate(harness, { split: "train" }, {} as FitnessContext);
  return { minibatch: { ...full, stage: "minibatch" }, full: full.error ? undefined : { ...full, stage: "full" } };
}
