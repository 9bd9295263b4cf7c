import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { banditWeights, rewards, updateBandit, type Bandit, type Pull } from "../../src/search/bandit.js";
import type { OperatorName } from "../../src/search/types.js";

const OPS: OperatorName[] = ["mutate", "crossover", "refine"];
const pull = fc.record({ op: fc.constantFrom(...OPS), gain: fc.double({ min: 0, max: 1, noNaN: true }), usd: fc.double({ min: 0, max: 0.1, noNaN: true }) });

describe("operator bandit", () => {
  it("rewards lie in [0,1] and the best gain per dollar gets 1", () => {
    fc.assert(
      fc.property(fc.array(pull, { minLength: 1, maxLength: 30 }), (pulls) => {
        const r = rewards(pulls);
        for (const x of r) expect(x >= 0 && x <= 1).toBe(true);
        if (pulls.some((p) => p.gain > 0)) expect(Math.max(...r)).toBeCloseTo(1, 12);
      }),
    );
  });

  it("an update counts every pull once and leaves the old state untouched", () => {
    fc.assert(
      fc.property(fc.array(pull, { maxLength: 30 }), fc.array(pull, { maxLength: 30 }), (a, b) => {
        const first = updateBandit({}, a);
        const frozen = structuredClone(first);
        const second = updateBandit(first, b);
        expect(first).toEqual(frozen);
        const pulls = (s: Bandit) => OPS.reduce((n, op) => n + (s[op]?.pulls ?? 0), 0);
        expect(pulls(second)).toBe(a.length + b.length);
      }),
    );
  });

  it("weights: untried arms first, zero-weight operators never, the better arm above the worse", () => {
    expect(banditWeights({}, OPS, [1, 1, 1])).toEqual([1, 1, 1]);
    const s: Bandit = { mutate: { pulls: 10, reward: 9 }, refine: { pulls: 10, reward: 1 } };
    const w = banditWeights(s, OPS, [1, 1, 1]);
    expect(w[1]).toBeGreaterThan(w[0]!); // crossover untried
    expect(w[0]).toBeGreaterThan(w[2]!);
    expect(banditWeights(s, OPS, [1, 0, 1])[1]).toBe(0);
  });

  it("a generation's pulls in any order give the same state (up to float rounding)", () => {
    fc.assert(
      fc.property(fc.array(pull, { maxLength: 20 }), (pulls) => {
        const a = updateBandit({}, pulls), b = updateBandit({}, [...pulls].reverse());
        for (const op of OPS) {
          expect(a[op]?.pulls).toBe(b[op]?.pulls);
          expect(a[op]?.reward ?? 0).toBeCloseTo(b[op]?.reward ?? 0, 9);
        }
      }),
    );
  });
});
