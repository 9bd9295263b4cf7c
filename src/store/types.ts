import type { Role } from "../config/schema.js";

/** Row shapes of run.db as the engine reads and writes them (camelCase; JSON columns parsed). */

export interface EventRecord {
  id: number;
  ts: number;
  type: string;
  payload: unknown;
}

export type CandidateStatus = "pending" | "evaluated" | "failed" | "duplicate" | "near-duplicate" | "rejected";

export interface CandidateRecord {
  id: string;
  hash: string;
  text: string;
  /** Null for candidates outside any island (the seed harness, baselines). */
  island: number | null;
  generation: number;
  operator: string;
  parents: string[];
  /** Config key of the model that wrote it; null for the seed harness. */
  modelKey: string | null;
  status: CandidateStatus;
  reason: string | null;
  createdTs: number;
}

export type NewCandidate = Omit<CandidateRecord, "createdTs" | "reason" | "status"> &
  Partial<Pick<CandidateRecord, "createdTs" | "reason" | "status">>;

export interface EvaluationRecord {
  id: number;
  candidateId: string;
  split: "train" | "val" | "test";
  stage: "minibatch" | "full";
  score: number;
  feedback: string;
  /** Per-task results, stored as JSON. */
  results: unknown;
  costUsd: number;
  tokens: number;
  calls: number;
  error: string | null;
}

export type NewEvaluation = Omit<EvaluationRecord, "id" | "error"> & { error?: string | null };

/** What a reply was (see src/llm/chat-endpoint.ts): only `answer` is an answer. */
export type ReplyKind = "answer" | "truncated" | "empty" | "refusal" | "tool_calls";

/** A completed endpoint response: the replay cache. */
export interface ResponseRecord {
  cacheKey: string;
  sampleKey: string;
  role: Role;
  modelKey: string;
  /** Model name sent to the endpoint. */
  model: string;
  text: string;
  inputTokens: number;
  outputTokens: number;
  usageEstimated: boolean;
  costUsd: number;
  latencyMs: number;
  attempts: number;
  createdTs: number;
  /** The endpoint's finish_reason (null when it gave none, and for rows written before it was kept). */
  finishReason: string | null;
  kind: ReplyKind;
}

/** One call the engine made, served by an endpoint or by the cache. */
export interface CallRecord {
  cacheKey: string;
  sampleKey: string;
  role: Role;
  modelKey: string;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  latencyMs: number;
  cached: boolean;
  attempts: number;
  ts: number;
}

export interface SpendTotals {
  /** Endpoint (non-cached) calls; usd and tokens below are theirs: what was paid. */
  calls: number;
  cachedCalls: number;
  inputTokens: number;
  outputTokens: number;
  usd: number;
  /** Including cache hits at their stored cost: what a replay charges the budget. */
  withCached: { calls: number; inputTokens: number; outputTokens: number; usd: number };
}

export interface CallTotals extends SpendTotals {
  byRole: Record<Role, SpendTotals>;
}
