import { addUsd } from "../budget/money.js";
import type { ResponseRecord } from "../store/types.js";

/** Counters the gateway keeps in memory for progress display and the run summary. */
export interface ModelStats {
  modelKey: string;
  model: string;
  /** Calls answered by the endpoint (paid). */
  calls: number;
  /** Calls answered from the replay cache or by an identical call in flight. */
  cachedCalls: number;
  /** Calls that failed for good (after retries, or a permanent error). */
  failedCalls: number;
  /** HTTP requests sent, retries included. */
  attempts: number;
  inputTokens: number;
  outputTokens: number;
  usd: number;
  /** Answers whose usage the endpoint did not report (estimated from text length). */
  estimatedUsage: number;
  /** Answers whose reported usage passed what the call could cost (charged at the bound). */
  suspectUsage: number;
  /** Uses of replies cut at the output cap (a cut reply then asked again wider included), empty, or refusals / tool calls without text. */
  truncated: number;
  empty: number;
  refused: number;
  /** Responses whose reported prompt tokens show the server cut the prompt. */
  promptCut: number;
  /** False when the model has no price: its usd figures are 0, not real. */
  priceKnown: boolean;
}

export interface GatewayStats {
  calls: number;
  cachedCalls: number;
  failedCalls: number;
  attempts: number;
  inputTokens: number;
  outputTokens: number;
  usd: number;
  /** Replies that were not answers (see ModelStats). */
  truncated: number;
  empty: number;
  refused: number;
  promptCut: number;
  /** False when some model that answered calls has no known price. */
  priceKnown: boolean;
  /** Distinct endpoint calls in flight now. */
  inFlight: number;
  byModel: Record<string, ModelStats>;
}

export function emptyModelStats(modelKey: string, model: string, priceKnown: boolean): ModelStats {
  return { modelKey, model, calls: 0, cachedCalls: 0, failedCalls: 0, attempts: 0, inputTokens: 0, outputTokens: 0, usd: 0, estimatedUsage: 0, suspectUsage: 0, truncated: 0, empty: 0, refused: 0, promptCut: 0, priceKnown };
}

/** Paid usage counts only endpoint answers; cache hits are counted apart. */
export function countCall(s: ModelStats, rec: ResponseRecord, cached: boolean): void {
  if (cached) s.cachedCalls++;
  else s.calls++;
  if (rec.usageEstimated) s.estimatedUsage++;
  if (!cached) {
    s.inputTokens += rec.inputTokens;
    s.outputTokens += rec.outputTokens;
    s.usd = addUsd(s.usd, rec.costUsd);
  }
}

export function summarize(models: readonly ModelStats[], inFlight: number): GatewayStats {
  const byModel: Record<string, ModelStats> = {};
  const total: GatewayStats = { calls: 0, cachedCalls: 0, failedCalls: 0, attempts: 0, inputTokens: 0, outputTokens: 0, usd: 0, truncated: 0, empty: 0, refused: 0, promptCut: 0, priceKnown: true, inFlight, byModel };
  for (const m of models) {
    byModel[m.modelKey] = m;
    total.calls += m.calls;
    total.cachedCalls += m.cachedCalls;
    total.failedCalls += m.failedCalls;
    total.attempts += m.attempts;
    total.inputTokens += m.inputTokens;
    total.outputTokens += m.outputTokens;
    total.usd = addUsd(total.usd, m.usd);
    total.truncated += m.truncated;
    total.empty += m.empty;
    total.refused += m.refused;
    total.promptCut += m.promptCut;
    if (!m.priceKnown && m.calls > 0) total.priceKnown = false;
  }
  return total;
}
