import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stream } from "../../src/search/rng.js";
import { boltzmannSelect, mean, rankByScore, topK, type Scored } from "../../src/search/selection.js";

interface Item extends Scored {
  tag: number;
}

/** Items with unique ids; scores from a small set so ties are common. */
const itemsArb = (opts: { minLength?: number; maxLength?: number } = {}): fc.Arbitrary<Item[]> =>
  fc
    .array(fc.integer({ min: 0, max: 10 }), { minLength: opts.minLength ?? 0, maxLength: opts.maxLength ?? 20 })
    .map((scores) => scores.map((s, i) => ({ id: `c${i}`, score: s / 10, tag: i })));

/** Items with pairwise distinct scores (gaps of at least 1/1000). */
const distinctItemsArb = (minLength = 1, maxLength = 15): fc.Arbitrary<Item[]> =>
  fc
    .uniqueArray(fc.integer({ min: 0, max: 1000 }), { minLength, maxLength })
    .map((scores) => scores.map((s, i) => ({ id: `c${i}`, score: s / 1000, tag: i })));

const seedArb = fc.integer({ min: 0, max: 1_000_000 });

describe("rankByScore", () => {
  it("is a permutation, best first, ties in the given order (stable)", () => {
    fc.assert(
      fc.property(itemsArb(), (items) => {
        const ranked = rankByScore(items);
        expect(ranked).toHaveLength(items.length);
        expect(new Set(ranked)).toEqual(new Set(items));
        for (let i = 1; i < ranked.length; i++) {
          const a = ranked[i - 1]!;
          const b = ranked[i]!;
          expect(a.score).toBeGreaterThanOrEqual(b.score);
          if (a.score === b.score) expect(a.tag).toBeLessThan(b.tag);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("does not reorder or mutate its input", () => {
    const items: Item[] = [
      { id: "a", score: 0.1, tag: 0 },
      { id: "b", score: 0.9, tag: 1 },
      { id: "c", score: 0.5, tag: 2 },
    ];
    const before = structuredClone(items);
    const ranked = rankByScore(Object.freeze([...items]));
    expect(ranked.map((x) => x.id)).toEqual(["b", "c", "a"]);
    expect(items).toEqual(before);
  });

  it("keeps equal scores in input order", () => {
    const items = ["x", "y", "z", "w"].map((id, tag) => ({ id, score: 0.5, tag }));
    expect(rankByScore(items).map((x) => x.id)).toEqual(["x", "y", "z", "w"]);
    expect(rankByScore([...items].reverse()).map((x) => x.id)).toEqual(["w", "z", "y", "x"]);
  });
});

describe("topK", () => {
  it("is the first min(k, n) of rankByScore (none for k ≤ 0)", () => {
    fc.assert(
      fc.property(itemsArb(), fc.integer({ min: -3, max: 25 }), (items, k) => {
        const top = topK(items, k);
        expect(top).toHaveLength(Math.max(0, Math.min(k, items.length)));
        expect(top).toEqual(rankByScore(items).slice(0, top.length));
      }),
      { numRuns: 200 },
    );
  });
});

describe("mean", () => {
  it("is 0 for no values and the arithmetic mean otherwise", () => {
    expect(mean([])).toBe(0);
    expect(mean([1])).toBe(1);
    expect(mean([0, 0.5, 1])).toBeCloseTo(0.5, 12);
  });
});

describe("boltzmannSelect", () => {
  it("returns min(k, n) distinct members of the population, never invents one", () => {
    fc.assert(
      fc.property(itemsArb(), fc.integer({ min: 0, max: 25 }), fc.double({ min: 1e-9, max: 100, noNaN: true }), seedArb, (items, k, t, seed) => {
        const chosen = boltzmannSelect(items, k, t, stream(seed, "select"));
        expect(chosen).toHaveLength(Math.min(k, items.length));
        expect(new Set(chosen).size).toBe(chosen.length);
        for (const c of chosen) expect(items).toContain(c); // the same object, not a copy
      }),
      { numRuns: 200 },
    );
  });

  it("works with temperature 0 (clamped) and does not mutate the population", () => {
    fc.assert(
      fc.property(itemsArb({ minLength: 1 }), fc.integer({ min: 1, max: 5 }), seedArb, (items, k, seed) => {
        const frozen = Object.freeze(items.map((x) => Object.freeze({ ...x })));
        const before = structuredClone(frozen);
        const chosen = boltzmannSelect(frozen, k, 0, stream(seed, "zero"));
        expect(chosen).toHaveLength(Math.min(k, items.length));
        expect(frozen).toEqual(before);
      }),
      { numRuns: 100 },
    );
  });

  it("is deterministic for a given rng stream", () => {
    fc.assert(
      fc.property(itemsArb({ minLength: 1 }), fc.integer({ min: 1, max: 6 }), fc.double({ min: 0.01, max: 5, noNaN: true }), seedArb, (items, k, t, seed) => {
        const a = boltzmannSelect(items, k, t, stream(seed, "det"));
        const b = boltzmannSelect(items, k, t, stream(seed, "det"));
        expect(a).toEqual(b);
      }),
      { numRuns: 100 },
    );
  });

  it("at a very low temperature is greedy: the k best in score order", () => {
    fc.assert(
      fc.property(distinctItemsArb(), fc.integer({ min: 1, max: 15 }), fc.constantFrom(0, 1e-9, 1e-6, 1e-5), seedArb, (items, k, t, seed) => {
        const chosen = boltzmannSelect(items, k, t, stream(seed, "greedy"));
        expect(chosen).toEqual(topK(items, k));
      }),
      { numRuns: 200 },
    );
  });

  it("at a very low temperature the first pick is always a best member, even with ties", () => {
    fc.assert(
      fc.property(itemsArb({ minLength: 1 }), seedArb, (items, seed) => {
        const best = Math.max(...items.map((x) => x.score));
        const [first] = boltzmannSelect(items, 1, 1e-7, stream(seed, "ties"));
        expect(first!.score).toBe(best);
      }),
      { numRuns: 200 },
    );
  });

  it("at a high temperature every member gets picked sometimes (near-uniform)", () => {
    const items: Item[] = [0, 0.1, 0.2, 0.5, 0.9, 1, 0.3, 0.05, 0.7, 0.95].map((score, i) => ({ id: `c${i}`, score, tag: i }));
    const rng = stream(42, "uniform");
    const counts = new Map<string, number>();
    const draws = 5000;
    for (let i = 0; i < draws; i++) {
      const [c] = boltzmannSelect(items, 1, 1e6, rng);
      counts.set(c!.id, (counts.get(c!.id) ?? 0) + 1);
    }
    expect(counts.size).toBe(items.length);
    for (const item of items) {
      // Uniform would be 500 each; σ ≈ 21, so ±150 is a very wide margin.
      expect(counts.get(item.id)).toBeGreaterThan(350);
      expect(counts.get(item.id)).toBeLessThan(650);
    }
  });

  it("at a high temperature also the later draws of a tournament reach every member", () => {
    const items: Item[] = Array.from({ length: 6 }, (_, i) => ({ id: `c${i}`, score: i / 5, tag: i }));
    const rng = stream(7, "second-draw");
    const seenSecond = new Set<string>();
    for (let i = 0; i < 600; i++) seenSecond.add(boltzmannSelect(items, 2, 1e6, rng)[1]!.id);
    expect(seenSecond.size).toBe(items.length);
  });

  it("at temperature 1 follows the Boltzmann probabilities", () => {
    // Two members, scores 0 and 1: P(best first) = e / (1 + e) ≈ 0.731.
    const items: Item[] = [
      { id: "low", score: 0, tag: 0 },
      { id: "high", score: 1, tag: 1 },
    ];
    const rng = stream(3, "boltzmann");
    let high = 0;
    const draws = 5000;
    for (let i = 0; i < draws; i++) if (boltzmannSelect(items, 1, 1, rng)[0]!.id === "high") high++;
    expect(high / draws).toBeGreaterThan(Math.E / (1 + Math.E) - 0.03);
    expect(high / draws).toBeLessThan(Math.E / (1 + Math.E) + 0.03);
  });

  it("prefers better members at a moderate temperature", () => {
    const items: Item[] = Array.from({ length: 5 }, (_, i) => ({ id: `c${i}`, score: i / 4, tag: i }));
    const rng = stream(11, "moderate");
    const counts = [0, 0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[boltzmannSelect(items, 1, 0.3, rng)[0]!.tag]!++;
    for (let i = 1; i < counts.length; i++) expect(counts[i]).toBeGreaterThan(counts[i - 1]!);
  });

  it("returns nothing for an empty population or k = 0", () => {
    const rng = stream(1, "empty");
    expect(boltzmannSelect([], 3, 0.1, rng)).toEqual([]);
    expect(boltzmannSelect([{ id: "a", score: 1 }], 0, 0.1, rng)).toEqual([]);
  });
});
