import type { Cost } from "../budget/types.js";
import type { ModelConfig, Price } from "../config/schema.js";
import { isReasoningModel } from "./capabilities.js";
import { worstCase } from "./cost.js";
import { effectiveParams } from "./params.js";
import type { ChatMessage, CompletionRequest } from "./types.js";

/** A reasoning model's reply cut by its cap is asked once more with this many times the cap, up to WIDER_CEILING tokens. */
export const WIDER_FACTOR = 4;
export const WIDER_CEILING = 32_768;

export interface CallShape {
  /** Body fields besides model and messages. */
  body: Record<string, unknown>;
  maxTokens: number;
  /** The most this request may cost. */
  worst: Cost;
}

/** What one call to one model will send and may cost, decided before it is admitted. */
export interface CallPlan {
  first: CallShape;
  /**
   * For a reasoning model (whose cap also pays for its thinking, so a cut reply is common and
   * often ""), the same call with a wider cap, sent when the first reply is cut. Its worst case
   * is reserved with the first's, when the call is admitted: admissions happen in a fixed order,
   * retries do not, so reserving it later would make who gets a retry depend on timing.
   */
  wider?: CallShape;
  /** What the call reserves: the first's worst case plus the wider one's. */
  reserve: Cost;
}

export function planCall(cfg: ModelConfig, price: Price | undefined, req: Pick<CompletionRequest, "role" | "maxTokens" | "temperature" | "sampleKey"> & { messages: readonly ChatMessage[] }, campaignSeed: number): CallPlan {
  const shape = (maxTokens: number | undefined): CallShape => {
    const p = effectiveParams(cfg, { ...req, maxTokens }, campaignSeed);
    return { body: p.body, maxTokens: p.maxTokens, worst: worstCase(req.messages, p.maxTokens, price) };
  };
  const first = shape(req.maxTokens);
  const widerCap = Math.min(first.maxTokens * WIDER_FACTOR, WIDER_CEILING);
  if (!isReasoningModel(cfg) || widerCap <= first.maxTokens) return { first, reserve: first.worst };
  const wider = shape(widerCap);
  const reserve = { usd: first.worst.usd + wider.worst.usd, tokens: first.worst.tokens + wider.worst.tokens, calls: first.worst.calls + wider.worst.calls };
  return { first, wider, reserve };
}

/** The largest of some costs, per dimension: a bound that holds whichever of them applies. */
export function maxCost(costs: readonly Cost[]): Cost {
  let out: Cost = { usd: 0, tokens: 0, calls: 0 };
  for (const c of costs) out = { usd: Math.max(out.usd, c.usd), tokens: Math.max(out.tokens, c.tokens), calls: Math.max(out.calls, c.calls) };
  return out;
}
