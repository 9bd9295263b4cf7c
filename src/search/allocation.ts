import { ROLES, type Role } from "../config/schema.js";
import type { Ledger } from "../budget/ledger.js";
import type { Cost } from "../budget/types.js";

export type RoleWeights = Record<Role, number>;

/**
 * One part of what a ledger can still spend, for `parts` equal consumers (the
 * conversations of a generation). With a role split each role's own room is divided;
 * without one the roles share the total, in proportion to `weights` (how the run
 * has spent so far), so the parts together never ask for more than there is.
 */
export function shareOf(ledger: Ledger, parts: number, weights: RoleWeights, hasSplit: boolean): Partial<Record<Role, Cost>> {
  const sum = ROLES.reduce((s, r) => s + weights[r], 0) || 1;
  const out: Partial<Record<Role, Cost>> = {};
  for (const role of ROLES) {
    const room = ledger.remaining(role);
    const w = hasSplit ? 1 : weights[role] / sum;
    // Dollars get a hair shaved so that `parts` equal carves still fit after float rounding;
    // whole tokens and calls are floored, which already leaves the parts within the room.
    out[role] = { usd: (room.usd * w * (1 - 1e-9)) / parts, tokens: Math.floor((room.tokens * w) / parts), calls: Math.floor((room.calls * w) / parts) };
    if (w === 0) out[role] = { usd: 0, tokens: 0, calls: 0 };
  }
  return out;
}

/** Role weights from spend so far (calls, the dimension every budget has), with a floor so no used role starves. */
export function weightsFromSpend(spent: Record<Role, Cost>, used: readonly Role[], fallback: RoleWeights): RoleWeights {
  const total = used.reduce((s, r) => s + spent[r].calls, 0);
  const out = { evolver: 0, user: 0, verifier: 0 } as RoleWeights;
  for (const r of used) out[r] = total > 0 && spent.evolver.calls > 0 ? Math.max(0.1, spent[r].calls / total) : fallback[r];
  return out;
}
