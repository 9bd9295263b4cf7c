import type { Cost } from "../budget/types.js";
import { addUsd } from "../budget/money.js";
import type { CompletionResponse } from "../llm/types.js";

/**
 * Sums what an evaluation's calls cost the budget: what the gateway charged for each use (a
 * response is charged on its first use in a conversation, so a cascade's full stage does not pay
 * again for the minibatch answers it reuses). The same in a replay as in the run. A response
 * from elsewhere (no `charged`) counts its stored usd, and its tokens and a call when it was sent.
 */
export class CostTally {
  readonly cost: Cost = { usd: 0, tokens: 0, calls: 0 };
  add(res: CompletionResponse): void {
    const c = res.charged ?? { usd: res.costUsd, tokens: res.cached ? 0 : res.usage.inputTokens + res.usage.outputTokens, calls: res.cached ? 0 : 1 };
    this.cost.usd = addUsd(this.cost.usd, c.usd);
    this.cost.tokens += c.tokens;
    this.cost.calls += c.calls;
  }
}
