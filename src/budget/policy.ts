import type { BudgetConfig, Role } from "../config/schema.js";

/**
 * How a generation spends: how many proposals it makes (evolver), how hard it
 * evaluates them (user, verifier), and the role weights of its budget shares.
 *
 * `fixed` always spends the same way. `adaptive` moves budget to the evolver while
 * fitness is still climbing (half again as many conversations, one sample per task)
 * and to evaluation once it stalls (the configured conversations, twice the samples,
 * so selection among close candidates stops chasing noise).
 */
export interface SpendPlan {
  conversationFactor: number;
  effort: "normal" | "thorough";
  /** Role weights for the shares when roles share one total (no split). */
  weights?: Record<Role, number>;
}

export function spendPlan(policy: BudgetConfig["policy"], climbing: boolean, roles: readonly Role[]): SpendPlan {
  if (policy !== "adaptive") return { conversationFactor: 1, effort: "normal" };
  const raw: Record<Role, number> = climbing ? { evolver: 0.3, user: 0.55, verifier: 0.15 } : { evolver: 0.1, user: 0.65, verifier: 0.25 };
  const weights = { evolver: 0, user: 0, verifier: 0 } as Record<Role, number>;
  for (const r of roles) weights[r] = raw[r];
  return climbing ? { conversationFactor: 1.5, effort: "normal", weights } : { conversationFactor: 1, effort: "thorough", weights };
}
