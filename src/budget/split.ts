import { ROLES, type BudgetConfig, type Role } from "../config/schema.js";
import type { Caps } from "./types.js";
import type { LedgerOptions } from "./ledger.js";
import { COST_DIMENSIONS } from "./ledger.js";

/**
 * The root ledger's caps for a campaign budget. With a split, each role is capped at
 * its share of every total cap; without one, the roles share the total freely.
 * Shares of `tokens`/`calls` are left fractional: a cap of 33.3 calls allows 33, and
 * rounding down would quietly lose part of the total.
 *
 * `policy` is not read here: `fixed` is exactly these caps, and `adaptive` (a later
 * issue) will move unused share between roles by carving, on top of the same ledger.
 */
export function budgetCaps(config: BudgetConfig): LedgerOptions {
  const total: Caps = {};
  for (const d of COST_DIMENSIONS) {
    const v = config[d];
    if (v !== undefined) total[d] = v;
  }
  const split = config.split;
  if (!split) return { total };
  const byRole: Partial<Record<Role, Caps>> = {};
  // The schema accepts shares summing to 1 within 1e-6; normalise so role caps never add up past the total.
  const sum = ROLES.reduce((acc, r) => acc + split[r], 0);
  for (const role of ROLES) {
    const caps: Caps = {};
    for (const d of COST_DIMENSIONS) {
      const v = total[d];
      if (v !== undefined) caps[d] = (v * split[role]) / Math.max(1, sum);
    }
    byRole[role] = caps;
  }
  return { total, byRole };
}
