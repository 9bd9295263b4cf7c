import type { Role } from "../config/schema.js";
import type { CallRecord, CandidateRecord, CandidateStatus, EvaluationRecord, ReplyKind, ResponseRecord, SpendTotals } from "./types.js";

/** Mapping between run.db rows (snake_case, JSON text, 0/1) and the engine's records. */

export type Row = Record<string, unknown>;

export function emptyTotals(): SpendTotals {
  return { calls: 0, cachedCalls: 0, inputTokens: 0, outputTokens: 0, usd: 0, withCached: { calls: 0, inputTokens: 0, outputTokens: 0, usd: 0 } };
}

export function toCandidate(r: Row): CandidateRecord {
  return {
    id: r.id as string,
    hash: r.hash as string,
    text: r.text as string,
    island: r.island as number | null,
    generation: r.generation as number,
    operator: r.operator as string,
    parents: JSON.parse(r.parents as string) as string[],
    modelKey: r.model_key as string | null,
    status: r.status as CandidateStatus,
    reason: r.reason as string | null,
    createdTs: r.created_ts as number,
  };
}

export function toEvaluation(r: Row): EvaluationRecord {
  return {
    id: r.id as number,
    candidateId: r.candidate_id as string,
    split: r.split as EvaluationRecord["split"],
    stage: r.stage as EvaluationRecord["stage"],
    score: r.score as number,
    feedback: r.feedback as string,
    results: JSON.parse(r.results as string),
    costUsd: r.cost_usd as number,
    tokens: r.tokens as number,
    calls: r.calls as number,
    error: r.error as string | null,
  };
}

export function toResponse(r: Row): ResponseRecord {
  return {
    cacheKey: r.cache_key as string,
    sampleKey: r.sample_key as string,
    role: r.role as Role,
    modelKey: r.model_key as string,
    model: r.model as string,
    text: r.text as string,
    inputTokens: r.input_tokens as number,
    outputTokens: r.output_tokens as number,
    usageEstimated: r.usage_estimated === 1,
    costUsd: r.cost_usd as number,
    latencyMs: r.latency_ms as number,
    attempts: r.attempts as number,
    createdTs: r.created_ts as number,
    finishReason: (r.finish_reason as string | null | undefined) ?? null,
    kind: ((r.kind as string | undefined) ?? "answer") as ReplyKind,
  };
}

export function toCall(r: Row): CallRecord {
  return {
    cacheKey: r.cache_key as string,
    sampleKey: r.sample_key as string,
    role: r.role as Role,
    modelKey: r.model_key as string,
    inputTokens: r.input_tokens as number,
    outputTokens: r.output_tokens as number,
    costUsd: r.cost_usd as number,
    latencyMs: r.latency_ms as number,
    cached: r.cached === 1,
    attempts: r.attempts as number,
    ts: r.ts as number,
  };
}
