import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { banditWeights, pullsOf, rewards, updateBandit, type Bandit } from "../../src/search/bandit.js";
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

describe("pullsOf", () => {
  it("charges each child what its conversation spent since the previous child, and gains over the best parent", () => {
    const scores = new Map([["p", 0.4], ["q", 0.5]]);
    const pulls = pullsOf(
      [
        { id: "i0-g1-c0-t1", operator: "crossover", parents: ["p", "q"], score: 0.6, at: { usd: 0.01, calls: 5, tokens: 0 } },
        { id: "i0-g1-c0-t3", operator: "refine", parents: ["i0-g1-c0-t1"], score: 0.55, at: { usd: 0.03, calls: 9, tokens: 0 } },
        { id: "i0-g1-c1-t1", operator: "rewrite", parents: [], score: 0.3, at: { usd: 0.02, calls: 4, tokens: 0 } },
      ],
      (id) => scores.get(id) ?? (id === "i0-g1-c0-t1" ? 0.6 : undefined),
      0.25,
    );
    expect(pulls).toHaveLength(3);
    expect(pulls[0]).toMatchObject({ op: "crossover", usd: 0.01 });
    expect(pulls[0]!.gain).toBeCloseTo(0.1, 12);
    expect(pulls[1]).toMatchObject({ op: "refine", gain: 0 });
    expect(pulls[1]!.usd).toBeCloseTo(0.02, 12);
    expect(pulls[2]).toMatchObject({ op: "rewrite", usd: 0.02 });
    expect(pulls[2]!.gain).toBeCloseTo(0.05, 12);
  });
});
