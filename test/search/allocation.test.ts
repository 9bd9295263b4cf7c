import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { COST_DIMENSIONS, Ledger } from "../../src/budget/ledger.js";
import { budgetCaps } from "../../src/budget/split.js";
import type { Cost } from "../../src/budget/types.js";
import { BudgetSchema, ROLES, type BudgetConfig, type Role } from "../../src/config/schema.js";
import { shareOf, weightsFromSpend, type RoleWeights } from "../../src/search/allocation.js";

// ---------------------------------------------------------------------------------------------
// Arbitraries

/** Campaign-level caps; any dimension may be missing (uncapped). */
const capsArb = fc.record(
  {
    usd: fc.double({ min: 0.001, max: 100, noNaN: true, noDefaultInfinity: true }),
    tokens: fc.integer({ min: 1, max: 1_000_000 }),
    calls: fc.integer({ min: 1, max: 2000 }),
  },
  { requiredKeys: [] },
);

/** Splits as users write them: thousandths summing to exactly 1000 (the float sum may be off by an ulp). */
const splitArb = fc
  .tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 1000 }))
  .map(([a, b]) => {
    const [lo, hi] = a <= b ? [a, b] : [b, a];
    return { evolver: lo / 1000, user: (hi - lo) / 1000, verifier: (1000 - hi) / 1000 };
  });

/** Spend weights as weightsFromSpend makes them: 0 for an unused role, else at least 0.1 (no subnormals). */
const weightArb = fc.oneof(fc.constant(0), fc.double({ min: 0.01, max: 10, noNaN: true, noDefaultInfinity: true }));
const weightsArb: fc.Arbitrary<RoleWeights> = fc.record({ evolver: weightArb, user: weightArb, verifier: weightArb });

/** Earlier activity on the root ledger: per role, a fraction of its room spent (settled) or still in flight. */
const activityArb = fc.array(
  fc.record({
    role: fc.constantFrom(...ROLES),
    // At most half of what is left each time: a ledger spent down to a few ulps of its cap is not
    // the situation shareOf is for (its 1e-9 shave is relative to the room, not to the cap).
    fraction: fc.double({ min: 0, max: 0.5, noNaN: true }),
    settle: fc.boolean(),
  }),
  { maxLength: 6 },
);

type Activity = { role: Role; fraction: number; settle: boolean }[];

function rootLedger(caps: Partial<Cost>, split: BudgetConfig["split"]): Ledger {
  const config = BudgetSchema.parse({ ...caps, ...(split ? { split } : {}) });
  return new Ledger(budgetCaps(config));
}

function spend(ledger: Ledger, activity: Activity): void {
  for (const a of activity) {
    const room = ledger.remaining(a.role);
    const part = (v: number, integer: boolean) => {
      const x = Number.isFinite(v) ? v * a.fraction : 1000 * a.fraction;
      return integer ? Math.floor(x) : x;
    };
    const cost: Cost = { usd: part(room.usd, false), tokens: part(room.tokens, true), calls: part(room.calls, true) };
    const res = ledger.reserve(a.role, cost);
    expect(res).toBeDefined();
    if (a.settle) ledger.settle(res!, cost);
  }
}

/** Carve `share` `parts` times, as carveConversations does; the number that succeed. */
function carveAll(ledger: Ledger, share: Partial<Record<Role, Cost>>, parts: number): number {
  let ok = 0;
  for (let i = 0; i < parts; i++) if (ledger.carve(share)) ok++;
  return ok;
}

const UNIFORM: RoleWeights = { evolver: 1, user: 1, verifier: 1 };

// ---------------------------------------------------------------------------------------------

describe("shareOf with a role split", () => {
  it("gives every role its own remaining / parts (usd), never more than that in any dimension", () => {
    fc.assert(
      fc.property(capsArb, splitArb, activityArb, fc.integer({ min: 1, max: 40 }), weightsArb, (caps, split, activity, parts, weights) => {
        const ledger = rootLedger(caps, split);
        spend(ledger, activity);
        const share = shareOf(ledger, parts, weights, true);
        for (const role of ROLES) {
          const room = ledger.remaining(role);
          const s = share[role]!;
          expect(s).toBeDefined();
          // The spend weights do not matter with a split.
          expect(s).toEqual(shareOf(ledger, parts, UNIFORM, true)[role]);
          if (Number.isFinite(room.usd)) {
            expect(s.usd).toBeLessThanOrEqual(room.usd / parts);
            expect(s.usd).toBeCloseTo(room.usd / parts, 6);
            // Floored to whole nano-dollars (the ledger's unit): at most one nano-dollar short.
            expect(room.usd / parts - s.usd).toBeLessThanOrEqual(1e-9 + (room.usd / parts) * 1e-11);
          } else expect(s.usd).toBe(Infinity);
          for (const d of ["tokens", "calls"] as const) {
            if (!Number.isFinite(room[d])) {
              expect(s[d]).toBe(Infinity);
              continue;
            }
            expect(Number.isInteger(s[d])).toBe(true);
            expect(s[d]).toBeGreaterThanOrEqual(0);
            expect(s[d]).toBeLessThanOrEqual(Math.floor(room[d] / parts));
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it("splits a ledger with an exact split into equal parts", () => {
    const ledger = rootLedger({ usd: 4 }, { evolver: 0.25, user: 0.5, verifier: 0.25 });
    const share = shareOf(ledger, 4, UNIFORM, true);
    expect(share.evolver!.usd).toBeCloseTo(0.25, 8);
    expect(share.user!.usd).toBeCloseTo(0.5, 8);
    expect(share.verifier!.usd).toBeCloseTo(0.25, 8);
    expect(share.user!.tokens).toBe(Infinity);
    expect(share.user!.calls).toBe(Infinity);
  });

  it("lets `parts` carves of the share succeed", () => {
    fc.assert(
      fc.property(capsArb, splitArb, activityArb, fc.integer({ min: 1, max: 40 }), (caps, split, activity, parts) => {
        const ledger = rootLedger(caps, split);
        spend(ledger, activity);
        const share = shareOf(ledger, parts, UNIFORM, true);
        expect(carveAll(ledger, share, parts)).toBe(parts);
      }),
      { numRuns: 200 },
    );
  });
});

describe("shareOf without a split", () => {
  it("gives the roles together at most the total remaining", () => {
    fc.assert(
      fc.property(capsArb, activityArb, fc.integer({ min: 1, max: 40 }), weightsArb, (caps, activity, parts, weights) => {
        const ledger = rootLedger(caps, undefined);
        spend(ledger, activity);
        const share = shareOf(ledger, parts, weights, false);
        // Without role caps every role sees the same room: the total's.
        const room = ledger.remaining("evolver");
        for (const d of COST_DIMENSIONS) {
          const sum = ROLES.reduce((s, r) => s + share[r]![d], 0);
          if (Number.isFinite(room[d])) {
            expect(sum).toBeLessThanOrEqual(room[d] / parts);
            expect(sum * parts).toBeLessThanOrEqual(room[d]);
          }
          for (const r of ROLES) expect(share[r]![d]).toBeGreaterThanOrEqual(0);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("divides in proportion to the weights; a zero weight gets nothing", () => {
    fc.assert(
      fc.property(capsArb, fc.integer({ min: 1, max: 40 }), weightsArb, (caps, parts, weights) => {
        const ledger = rootLedger(caps, undefined);
        const share = shareOf(ledger, parts, weights, false);
        const sum = weights.evolver + weights.user + weights.verifier;
        const room = ledger.remaining("user");
        for (const r of ROLES) {
          if (weights[r] === 0 || sum === 0) {
            expect(share[r]).toEqual({ usd: 0, tokens: 0, calls: 0 });
            continue;
          }
          if (Number.isFinite(room.usd)) expect(share[r]!.usd).toBeCloseTo((room.usd * (weights[r] / sum)) / parts, 6);
          else expect(share[r]!.usd).toBe(Infinity);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("lets `parts` carves of the share succeed", () => {
    fc.assert(
      fc.property(capsArb, activityArb, fc.integer({ min: 1, max: 40 }), weightsArb, (caps, activity, parts, weights) => {
        const ledger = rootLedger(caps, undefined);
        spend(ledger, activity);
        const share = shareOf(ledger, parts, weights, false);
        expect(carveAll(ledger, share, parts)).toBe(parts);
      }),
      { numRuns: 200 },
    );
  });

  it("carves succeed on a child ledger too (a share carved again)", () => {
    fc.assert(
      fc.property(capsArb, fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 }), weightsArb, (caps, outer, inner, weights) => {
        const root = rootLedger(caps, undefined);
        const child = root.carve(shareOf(root, outer, weights, false))!;
        expect(child).toBeDefined();
        // A carved child has per-role caps: it behaves like a split ledger.
        expect(carveAll(child, shareOf(child, inner, weights, true), inner)).toBe(inner);
      }),
      { numRuns: 100 },
    );
  });

  it("is unlimited on an unlimited ledger and empty on an exhausted one", () => {
    const open = rootLedger({}, undefined);
    expect(shareOf(open, 3, UNIFORM, false).user).toEqual({ usd: Infinity, tokens: Infinity, calls: Infinity });
    const spent = rootLedger({ calls: 2 }, undefined);
    spent.settle(spent.reserve("user", { usd: 0, tokens: 0, calls: 2 })!, { usd: 0, tokens: 0, calls: 2 });
    for (const r of ROLES) expect(shareOf(spent, 5, UNIFORM, false)[r]!.calls).toBe(0);
  });
});

describe("weightsFromSpend", () => {
  const zero = { usd: 0, tokens: 0, calls: 0 };
  const fallback: RoleWeights = { evolver: 0.2, user: 0.6, verifier: 0.2 };

  it("uses the fallback before the evolver has spent anything", () => {
    const spent = { evolver: zero, user: { ...zero, calls: 5 }, verifier: zero };
    expect(weightsFromSpend(spent, ["evolver", "user", "verifier"], fallback)).toEqual(fallback);
    expect(weightsFromSpend(spent, ["evolver", "user"], fallback)).toEqual({ evolver: 0.2, user: 0.6, verifier: 0 });
  });

  it("follows the calls spent, with a floor of 0.1 for used roles", () => {
    const spent = { evolver: { ...zero, calls: 1 }, user: { ...zero, calls: 99 }, verifier: zero };
    const w = weightsFromSpend(spent, ["evolver", "user", "verifier"], fallback);
    expect(w.evolver).toBe(0.1);
    expect(w.user).toBeCloseTo(0.99, 12);
    expect(w.verifier).toBe(0.1);
  });
});

describe("shareOf: regressions", () => {
  it("gives whole calls when the room divides evenly (40 calls, 10 parts)", () => {
    const l = new Ledger(budgetCaps({ calls: 40, split: { evolver: 0.25, user: 0.5, verifier: 0.25 }, policy: "fixed" }));
    const share = shareOf(l, 10, { evolver: 1, user: 1, verifier: 1 }, true);
    expect(share.evolver!.calls).toBe(1);
    expect(share.user!.calls).toBe(2);
  });

  it("lets every part carve even when the split sums to a hair over 1", () => {
    const l = new Ledger(budgetCaps({ usd: 3, split: { evolver: 0.3333334, user: 0.3333333, verifier: 0.3333334 }, policy: "fixed" }));
    const share = shareOf(l, 8, { evolver: 1, user: 1, verifier: 1 }, true);
    for (let i = 0; i < 8; i++) expect(l.carve(share)).toBeDefined();
  });
});
