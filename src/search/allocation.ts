import { ROLES, type Role } from "../config/schema.js";
import type { Ledger } from "../budget/ledger.js";
import type { Cost } from "../budget/types.js";
import { NANOS_PER_USD } from "../budget/money.js";

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
    // Floored to whole nano-dollars (the ledger's unit), tokens and calls to whole ones, so
    // `parts` equal carves fit in the room exactly (a hair shaved off for the float product).
    const nanos = Math.floor((room.usd * NANOS_PER_USD * w * (1 - 1e-12)) / parts);
    out[role] = { usd: nanos / NANOS_PER_USD, tokens: Math.floor((room.tokens * w) / parts), calls: Math.floor((room.calls * w) / parts) };
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
