import type { Cost } from "../budget/types.js";
import { addUsd } from "../budget/money.js";
import type { CompletionResponse } from "../llm/types.js";

/**
 * Sums what an evaluation's calls cost: a cached response adds its stored usd (what it cost
 * when it was paid) but no tokens or calls, since nothing was sent for it.
 */
export class CostTally {
  readonly cost: Cost = { usd: 0, tokens: 0, calls: 0 };
  add(res: CompletionResponse): void {
    this.cost.usd = addUsd(this.cost.usd, res.costUsd);
    if (res.cached) return;
    this.cost.tokens += res.usage.inputTokens + res.usage.outputTokens;
    this.cost.calls += 1;
  }
}
