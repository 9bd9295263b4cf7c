import type { Cost } from "../budget/types.js";
import type { Complete } from "../llm/types.js";

export type Split = "train" | "val" | "test";
export const SPLITS: readonly Split[] = ["train", "val", "test"];

export type Check =
  | { type: "exact"; expected: string; caseSensitive?: boolean }
  | { type: "regex"; pattern: string; flags?: string }
  | { type: "numeric"; expected: string | number; tolerance?: number }
  | { type: "json"; expected?: unknown; schema?: Record<string, unknown> }
  | { type: "rubric"; rubric: string }
  /** The answer contains `value` (case-insensitive unless `caseSensitive`); `negate` inverts the verdict. */
  | { type: "contains"; value: string; caseSensitive?: boolean; negate?: boolean }
  /** A JavaScript assertion from the user's own suite file (see checks.ts `checkJs`). */
  | { type: "js"; code: string; vars?: Record<string, unknown>; threshold?: number }
  /** Every sub-check must pass; the score is their (weighted) mean. Never holds a rubric: the verifier judges those. */
  | { type: "all"; checks: Exclude<Check, { type: "rubric" }>[]; weights?: number[] };

export interface Task {
  id: string;
  split: Split;
  /** What the user role is asked (placed in a <task> block). */
  input: string;
  check: Check;
}

export interface TaskSuite {
  tasks: Task[];
  /** Where it was loaded from, for messages. */
  source: string;
}

export interface TaskResult {
  taskId: string;
  pass: boolean;
  /** In [0,1]; pass/fail checks give 0 or 1, rubric judgements the verifier's score. */
  score: number;
  answer: string;
  /** Why it failed, in words (expected vs got, the verifier's reason...). */
  reason?: string;
  /** Its check's user code (a js assertion) ran past its limit twice: a time-out, not a wrong answer. */
  timeout?: boolean;
  /** The quoted sample's reply was not an answer: cut at the output cap, empty, a refusal, tool calls. */
  reply?: "truncated" | "empty" | "refusal" | "tool_calls";
}

export interface Evaluation {
  /** Mean score in [0,1] over the tasks evaluated. */
  score: number;
  /** What went wrong, for the next mutation. */
  feedback: string;
  split: Split;
  /** "minibatch" when only the cascade's first stage ran. */
  stage: "minibatch" | "full";
  results: TaskResult[];
  cost: Cost;
  /** Set when the evaluation could not be completed; the candidate is then failed, not scored. */
  error?: string;
  /** Set (with `error`) when the fitness module or command ran past its limit twice. */
  timeout?: boolean;
}

/**
 * Final verdicts of time-bounded user code (js checks, fitness modules and commands), keyed by a
 * hash of what determines them (see verdicts.ts); a RunStore is one. A replay finds a verdict here
 * instead of running the code again, so it cannot come out differently on a slower machine.
 */
export interface VerdictCache {
  getVerdict(key: string): unknown;
  putVerdict(key: string, value: unknown): void;
}

export interface FitnessContext {
  /** The `user` role, bound to the caller's budget account. */
  user: Complete;
  /** The `verifier` role (rubric checks); undefined when the campaign binds none. */
  verifier?: Complete;
  signal?: AbortSignal;
}

export interface EvaluateOptions {
  split: Split;
  /** Restrict to these task ids (the cascade's minibatch); all tasks of the split otherwise. */
  taskIds?: readonly string[];
}

export interface Fitness {
  evaluate(harness: string, opts: EvaluateOptions, ctx: FitnessContext): Promise<Evaluation>;
}
