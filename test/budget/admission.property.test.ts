import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Ledger, type Reservation } from "../../src/budget/ledger.js";
import type { Cost } from "../../src/budget/types.js";

// Costs in whole units keep sums exact; an actual is a fraction (in eighths) of its worst case.
const callArb = fc.record({ usd: fc.integer({ min: 0, max: 40 }), tokens: fc.integer({ min: 0, max: 40 }), eighths: fc.integer({ min: 0, max: 8 }) });
const capsArb = fc.record({ usd: fc.integer({ min: 0, max: 200 }), tokens: fc.integer({ min: 0, max: 200 }), calls: fc.integer({ min: 0, max: 12 }) }, { requiredKeys: [] });

type Call = { usd: number; tokens: number; eighths: number };
const worst = (c: Call): Cost => ({ usd: c.usd, tokens: c.tokens, calls: 1 });
const actual = (c: Call): Cost => ({ usd: (c.usd * c.eighths) / 8, tokens: (c.tokens * c.eighths) / 8, calls: 1 });

/** Which calls are admitted when each settles before the next one asks. */
function sequential(caps: { usd?: number; tokens?: number; calls?: number }, calls: Call[]): boolean[] {
  const l = new Ledger({ total: caps });
  return calls.map((c) => {
    const r = l.reserve("user", worst(c));
    if (r) l.settle(r, actual(c));
    return r !== undefined;
  });
}

const tick = () => new Promise((r) => setImmediate(r));

describe("Ledger.admit", () => {
  it("admits exactly the calls a one-at-a-time run admits, whatever order the calls in flight settle in", async () => {
    await fc.assert(
      fc.asyncProperty(capsArb, fc.array(callArb, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 40 }), async (caps, calls, picks) => {
        const l = new Ledger({ total: caps });
        const decided: (boolean | undefined)[] = calls.map(() => undefined);
        const open: { i: number; r: Reservation }[] = [];
        calls.forEach((c, i) =>
          void l.admit("user", worst(c)).then((r) => {
            decided[i] = r !== undefined;
            if (r) open.push({ i, r });
          }),
        );
        let p = 0;
        for (let guard = 0; guard < 1000 && decided.some((d) => d === undefined || open.length > 0); guard++) {
          await tick();
          if (open.length === 0) continue;
          // Settle one call in flight, chosen by the generated schedule.
          const [done] = open.splice((picks[p++ % Math.max(1, picks.length)] ?? 0) % open.length, 1);
          l.settle(done!.r, actual(calls[done!.i]!));
        }
        expect(decided).toEqual(sequential(caps, calls));
      }),
      { numRuns: 300 },
    );
  });

  it("queues behind a waiting call even when a later one would fit, and refuses everything once closed", async () => {
    const l = new Ledger({ total: { usd: 10 } });
    const first = (await l.admit("user", { usd: 6, tokens: 0, calls: 1 }))!;
    const big = l.admit("user", { usd: 6, tokens: 0, calls: 1 });
    const small = l.admit("user", { usd: 1, tokens: 0, calls: 1 });
    let smallDone = false;
    void small.then(() => (smallDone = true));
    await tick();
    expect(smallDone).toBe(false);
    l.settle(first, { usd: 2, tokens: 0, calls: 1 });
    expect(await big).toBeDefined();
    expect(await small).toBeDefined();
    const late = l.admit("user", { usd: 5, tokens: 0, calls: 1 });
    l.close();
    expect(await late).toBeUndefined();
  });
});

describe("charge scopes", () => {
  it("a conversation's own scope does not see a sibling's charges until the round closes", () => {
    const root = new Ledger({ total: {} });
    expect(root.chargeOnce("before")).toBe(true);
    const a = root.carve({ user: { usd: 1, tokens: 100, calls: 10 } }, { ownScope: true })!;
    const b = root.carve({ user: { usd: 1, tokens: 100, calls: 10 } }, { ownScope: true })!;
    expect(a.chargeOnce("before")).toBe(false); // charged before the round: free
    expect(a.chargeOnce("shared")).toBe(true);
    expect(b.chargeOnce("shared")).toBe(true); // each sibling pays its own first use
    const evaluation = a.carve({ user: { usd: 0.5, tokens: 10, calls: 2 } })!;
    expect(evaluation.chargeOnce("shared")).toBe(false); // an evaluation shares its conversation's scope
    expect(root.chargeOnce("shared")).toBe(true); // not merged yet (not a real pattern: the root is idle during a round)
    const root2 = new Ledger({ total: {} });
    const c = root2.carve({ user: { usd: 1, tokens: 100, calls: 10 } }, { ownScope: true })!;
    c.chargeOnce("k");
    c.close();
    expect(root2.chargeOnce("k")).toBe(false); // merged on close: a later round gets it free
  });
});
