import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ROLES, type Role } from "../../src/config/schema.js";
import { COST_DIMENSIONS, Ledger, type Reservation } from "../../src/budget/ledger.js";
import type { Caps, Cost } from "../../src/budget/types.js";

// usd in multiples of 1/64 keeps float sums exact, so the invariants need no tolerance.
const usd = fc.integer({ min: 0, max: 256 }).map((n) => n / 64);
const costArb = fc.record({ usd, tokens: fc.integer({ min: 0, max: 500 }), calls: fc.integer({ min: 0, max: 3 }) });
const capsArb: fc.Arbitrary<Caps> = fc.record(
  { usd: fc.integer({ min: 0, max: 1024 }).map((n) => n / 64), tokens: fc.integer({ min: 0, max: 3000 }), calls: fc.integer({ min: 0, max: 20 }) },
  { requiredKeys: [] },
);
const roleArb = fc.constantFrom(...ROLES);

type Op =
  | { op: "reserve"; ledger: number; role: Role; cost: Cost }
  | { op: "reserveAll"; ledger: number; role: Role }
  | { op: "settle"; res: number; eighths: number }
  | { op: "release"; res: number }
  | { op: "carve"; ledger: number; amounts: Partial<Record<Role, Cost>> }
  | { op: "carveRemaining"; ledger: number; role: Role }
  | { op: "close"; ledger: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("reserve" as const), ledger: fc.nat(), role: roleArb, cost: costArb }),
  fc.record({ op: fc.constant("reserveAll" as const), ledger: fc.nat(), role: roleArb }),
  fc.record({ op: fc.constant("settle" as const), res: fc.nat(), eighths: fc.integer({ min: 0, max: 8 }) }),
  fc.record({ op: fc.constant("release" as const), res: fc.nat() }),
  fc.record({ op: fc.constant("carve" as const), ledger: fc.nat(), amounts: fc.record({ evolver: costArb, user: costArb, verifier: costArb }, { requiredKeys: [] }) }),
  fc.record({ op: fc.constant("carveRemaining" as const), ledger: fc.nat(), role: roleArb }),
  fc.record({ op: fc.constant("close" as const), ledger: fc.nat() }),
);

/** spent + committed within every cap of this ledger, in total and per role. */
function assertWithinCaps(l: Ledger): void {
  const spent = l.spent();
  const committed = l.committed();
  const { total, byRole } = l.caps;
  for (const d of COST_DIMENSIONS) {
    const cap = total[d];
    if (cap !== undefined && cap !== Infinity) expect(spent.total[d] + committed.total[d]).toBeLessThanOrEqual(cap);
    for (const r of ROLES) {
      const rc = byRole?.[r]?.[d];
      if (rc !== undefined && rc !== Infinity) expect(spent.byRole[r][d] + committed.byRole[r][d]).toBeLessThanOrEqual(rc);
    }
  }
}

describe("Ledger properties", () => {
  it("never lets spent + committed pass a cap, at any level, nor real spend plus calls in flight pass the root caps", () => {
    fc.assert(
      fc.property(capsArb, fc.record({ evolver: capsArb, user: capsArb, verifier: capsArb }, { requiredKeys: [] }), fc.array(opArb, { maxLength: 60 }), (total, byRole, ops) => {
        const root = new Ledger({ total, byRole });
        const ledgers: Ledger[] = [root];
        const open: { ledger: Ledger; res: Reservation }[] = [];
        // What calls really cost, summed over every ledger: the money that left the wallet.
        const real = { total: { usd: 0, tokens: 0, calls: 0 }, byRole: Object.fromEntries(ROLES.map((r) => [r, { usd: 0, tokens: 0, calls: 0 }])) as Record<Role, Cost> };
        for (const op of ops) {
          if (op.op === "reserve") {
            const l = ledgers[op.ledger % ledgers.length]!;
            const res = l.reserve(op.role, op.cost);
            if (res) open.push({ ledger: l, res });
          } else if (op.op === "reserveAll") {
            // Reserve everything left (bounded where uncapped): drives ledgers right up to their caps.
            const l = ledgers[op.ledger % ledgers.length]!;
            const left = l.remaining(op.role);
            const bounded = (v: number) => (v === Infinity ? 1 : v);
            const res = l.reserve(op.role, { usd: bounded(left.usd), tokens: bounded(left.tokens), calls: bounded(left.calls) });
            if (res) open.push({ ledger: l, res });
          } else if ((op.op === "settle" || op.op === "release") && open.length > 0) {
            const [{ ledger, res }] = open.splice(op.res % open.length, 1) as [{ ledger: Ledger; res: Reservation }];
            if (op.op === "release") ledger.release(res);
            else {
              const actual = { usd: (res.worstCase.usd * op.eighths) / 8, tokens: Math.floor((res.worstCase.tokens * op.eighths) / 8), calls: res.worstCase.calls };
              ledger.settle(res, actual);
              for (const d of COST_DIMENSIONS) {
                real.total[d] += actual[d];
                real.byRole[res.role][d] += actual[d];
              }
            }
          } else if (op.op === "carve") {
            const child = ledgers[op.ledger % ledgers.length]!.carve(op.amounts);
            if (child) ledgers.push(child);
          } else if (op.op === "carveRemaining") {
            const parent = ledgers[op.ledger % ledgers.length]!;
            const child = parent.carve({ [op.role]: parent.remaining(op.role) });
            if (child) ledgers.push(child);
          } else if (op.op === "close") {
            const l = ledgers[op.ledger % ledgers.length]!;
            if (l !== root) l.close();
          }
          for (const l of ledgers) assertWithinCaps(l);
          // Even if every call still in flight ends at its worst case, the root caps hold.
          for (const d of COST_DIMENSIONS) {
            const inFlight = (r?: Role) => open.reduce((s, o) => s + (r === undefined || o.res.role === r ? o.res.worstCase[d] : 0), 0);
            if (total[d] !== undefined) expect(real.total[d] + inFlight()).toBeLessThanOrEqual(total[d]!);
            for (const r of ROLES) {
              const rc = byRole[r]?.[d];
              if (rc !== undefined) expect(real.byRole[r][d] + inFlight(r)).toBeLessThanOrEqual(rc);
            }
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("a released or fully unused reservation leaves remaining() unchanged", () => {
    fc.assert(
      fc.property(capsArb, roleArb, costArb, (total, role, c) => {
        const l = new Ledger({ total });
        const before = l.remaining(role);
        const r = l.reserve(role, c);
        if (r) l.release(r);
        expect(l.remaining(role)).toEqual(before);
        const child = l.carve({ [role]: c });
        child?.close();
        expect(l.remaining(role)).toEqual(before);
      }),
    );
  });
});
