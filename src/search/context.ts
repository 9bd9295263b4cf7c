import type { Ledger } from "../budget/ledger.js";
import type { CampaignConfig, Role } from "../config/schema.js";
import type { Preset } from "../config/presets.js";
import type { Complete } from "../llm/types.js";
import type { RunStore } from "../store/run-store.js";
import type { CandidateEvaluator } from "./evaluator.js";
import type { Candidate } from "./types.js";

export type RunStatus = "completed" | "budget-exhausted" | "stopped" | "failed";

/** Progress a strategy reports; stored as events and shown by the CLI. */
export type RunEvent =
  | { type: "seed"; train: number; val: number; test: number; minibatch: number }
  | {
      type: "generation";
      generation: number;
      generations: number;
      islands: IslandStats[];
      children: number;
      failed: number;
      rejected: number;
      budgetHit: boolean;
      /** What the budget has been charged so far, and the fraction of its tightest cap (0 when uncapped). */
      spend: { usd: number; tokens: number; calls: number; fraction: number; byRole: Record<Role, number> };
      /**
       * Replies so far that were not answers (this process's uses), added for the live display
       * only: never stored, since a resumed run counts afresh.
       */
      replies?: { truncated: number; empty: number; refused: number; promptCut: number };
    }
  | { type: "migration"; generation: number; copies: number }
  | { type: "reset"; generation: number; islands: number[] }
  | { type: "finalist"; id: string; train: number; val?: number; skipped?: string }
  | { type: "status"; status: RunStatus; reason?: string };

export interface IslandStats {
  id: number;
  preset: string;
  size: number;
  bestScore: number;
  meanScore: number;
  diversity: number;
}

/** Everything a strategy needs; built by the campaign runner. */
export interface SearchContext {
  config: CampaignConfig;
  seed: number;
  seedHarness: string;
  /** One per island (cycled from the campaign's list). */
  presets: Preset[];
  /** The campaign's root budget account. */
  ledger: Ledger;
  /** The gateway bound to an account. */
  bind: (account: Ledger) => Complete;
  evaluator: CandidateEvaluator;
  store: RunStore;
  emit: (event: RunEvent) => void;
  /** Example task inputs shown to evolvers. */
  taskContext: string;
  /** Roles the campaign uses (no verifier without rubric tasks). */
  roles: Role[];
  /** Worst case of one conversation turn (a proposal and its full evaluation), per role. */
  turnBound: Partial<Record<Role, import("../budget/types.js").Cost>>;
  /**
   * A fork: generations before `until` replay an earlier run under its own campaign (its
   * config, presets, models and fitness, all answered from the copied response cache);
   * from `until` on the search continues under this context.
   */
  fork?: { until: number; ctx: SearchContext };
  /** Run islands in this thread instead of worker threads. */
  inProcessIslands?: boolean;
  signal?: AbortSignal;
}

export interface ScoredHarness {
  id: string;
  hash: string;
  text: string;
  trainScore: number | null;
  valScore: number | null;
  testScore: number | null;
}

/** One point of the anytime curve: the budget charged so far and the best train score reached (a round's end, or a child within it). */
export interface AnytimePoint {
  round: number;
  usd: number;
  tokens: number;
  calls: number;
  bestTrain: number | null;
  bestId: string | null;
}

export interface StrategyResult {
  status: RunStatus;
  reason?: string;
  generations: number;
  candidates: Candidate[];
  best: ScoredHarness;
  seedHarness: ScoredHarness;
  islands: IslandStats[];
  anytime: AnytimePoint[];
}

export { RunStoppedError } from "../llm/types.js";
