/**
 * The API of user-written fitness modules (`fitness: { type: module, path: ./my-fitness.ts }`).
 *
 * ```ts
 * import { defineFitness } from "harness-evolve";
 * export default defineFitness(async (ctx) => {
 *   const reply = await ctx.user("Summarize the rules you follow.");
 *   return { score: reply.includes("cite") ? 1 : 0, feedback: "..." };
 * });
 * ```
 *
 * The module runs in a worker thread (see module-fitness.ts); this file must stay free of
 * runtime imports so it loads fast there.
 */
import type { ChatMessage } from "../llm/types.js";
import type { TaskResult } from "./types.js";

export interface FitnessCallOptions {
  /** Output-token cap of the call. */
  maxTokens?: number;
  /**
   * Names the call's position: the sample key becomes `module/<key>` (default: the call's index
   * within this evaluation). Equal keys and messages are answered from the run's cache.
   */
  key?: string;
}

export interface FitnessModuleContext {
  /** The candidate harness text. */
  harness: string;
  /** The split in use: train during the search, val/test at the end. */
  split: "train" | "val" | "test";
  /** The campaign's tasks of that split ([] when the campaign names no task suite). */
  tasks: { id: string; input: string; check: unknown }[];
  /**
   * The campaign's user role (metered, cached, capped like every call). A string prompt is
   * sent as `[system: harness, user: prompt]`: the harness steers the agent. Pass messages
   * to control the whole conversation.
   */
  user(prompt: string | ChatMessage[], opts?: FitnessCallOptions): Promise<string>;
  /** The verifier role; a string prompt is sent as a single user message. Throws when the campaign binds no verifier. */
  verifier(prompt: string | ChatMessage[], opts?: FitnessCallOptions): Promise<string>;
  /** Uniform in [0,1), seeded: the same harness and split get the same stream every run. */
  random(): number;
  /** Aborted at the timeout. */
  signal: AbortSignal;
  /** `fitness.options` from the campaign file. */
  options: Record<string, unknown>;
}

export interface FitnessResult {
  /** In [0,1]. Anything else (NaN, 1.7, a string) fails the candidate with the reason. */
  score: number;
  /** What went wrong, for the next mutation. */
  feedback?: string;
  /**
   * Per-task details, recorded with the evaluation. Objects with `taskId` (or `id`), `pass`,
   * `score`, `answer`, `reason` fields are kept as such; other values become a reason text.
   */
  details?: unknown[];
}

export type FitnessFn = (ctx: FitnessModuleContext) => FitnessResult | Promise<FitnessResult>;

export const FITNESS_KIND = "harness-evolve/fitness";

export interface FitnessDefinition {
  readonly kind: typeof FITNESS_KIND;
  readonly evaluate: FitnessFn;
}

/** Wraps a fitness function for `export default`. */
export function defineFitness(fn: FitnessFn): FitnessDefinition {
  if (typeof fn !== "function") throw new TypeError("defineFitness: expected a function (ctx) => ({ score, feedback? })");
  return Object.freeze({ kind: FITNESS_KIND, evaluate: fn });
}

/** The fitness function of a module's default export: a definition or a plain function; undefined otherwise. */
export function fitnessFunctionOf(value: unknown): FitnessFn | undefined {
  if (typeof value === "function") return value as FitnessFn;
  if (value !== null && typeof value === "object") {
    const v = value as { kind?: unknown; evaluate?: unknown };
    if (v.kind === FITNESS_KIND && typeof v.evaluate === "function") return v.evaluate as FitnessFn;
  }
  return undefined;
}

// ---- shared by the module and command fitnesses (internal) ----

/** Why a score cannot be used, or undefined when it is a number in [0,1]. */
export function scoreProblem(score: unknown): string | undefined {
  if (typeof score !== "number") return `score is not a number (got ${describeValue(score)})`;
  if (Number.isNaN(score)) return "score is NaN";
  if (!(score >= 0 && score <= 1)) return `score ${score} is outside [0,1]`;
  return undefined;
}

export function describeValue(v: unknown): string {
  if (v === undefined) return "undefined";
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (typeof v === "function") return "a function";
  if (Array.isArray(v)) return "an array";
  return "an object";
}

/** A fitness's `details` as task results (anything that is not an array gives none). */
export function toTaskResults(details: unknown): TaskResult[] {
  if (!Array.isArray(details)) return [];
  return details.map((d, i): TaskResult => {
    if (d === null || typeof d !== "object") {
      return { taskId: String(i), pass: false, score: 0, answer: "", reason: typeof d === "string" ? d : safeString(d) };
    }
    const o = d as Record<string, unknown>;
    const id = o.taskId ?? o.id;
    const given = typeof o.score === "number" && o.score >= 0 && o.score <= 1 ? o.score : undefined;
    const pass = typeof o.pass === "boolean" ? o.pass : given !== undefined ? given >= 0.5 : false;
    const score = given ?? (pass ? 1 : 0);
    const answer = typeof o.answer === "string" ? o.answer : o.answer === undefined ? "" : safeString(o.answer);
    const reason = typeof o.reason === "string" ? o.reason : typeof o.feedback === "string" ? o.feedback : undefined;
    return {
      taskId: typeof id === "string" || typeof id === "number" ? String(id) : String(i),
      pass,
      score,
      answer,
      ...(reason !== undefined ? { reason } : {}),
    };
  });
}

function safeString(v: unknown): string {
  try {
    return typeof v === "object" ? (JSON.stringify(v) ?? String(v)) : String(v);
  } catch {
    return String(v);
  }
}
