import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { harnessHash } from "../../src/harness/harness.js";
import { similarity } from "../../src/harness/similarity.js";
import {
  cloneTo,
  diverseElite,
  diversity,
  migrate,
  nextPopulation,
  resetIslands,
  truncate,
  worstIslands,
  type Populations,
} from "../../src/search/migration.js";
import { mean, rankByScore, topK } from "../../src/search/selection.js";
import type { Candidate } from "../../src/search/types.js";

// ---------------------------------------------------------------------------------------------
// Arbitraries: texts from a small vocabulary (so equal texts, hence equal hashes, are common),
// scores from a small grid (so ties are common), ids unique across a whole test case.

const VOCAB = ["show", "your", "work", "check", "units", "verify", "answer", "be", "brief", "think", "step", "by"];

const textArb = fc.array(fc.constantFrom(...VOCAB), { minLength: 1, maxLength: 5 }).map((ws) => ws.join(" "));
const scoreArb = fc.integer({ min: 0, max: 8 }).map((n) => n / 8);

interface Draft {
  text: string;
  score: number;
}
const draftArb: fc.Arbitrary<Draft> = fc.record({ text: textArb, score: scoreArb });

function make(d: Draft, id: string, island = 0, generation = 0): Candidate {
  return {
    id,
    hash: harnessHash(d.text),
    text: d.text,
    island,
    generation,
    operator: "mutate",
    parents: ["p"],
    modelKey: "small",
    minibatch: d.score,
    score: d.score,
    feedback: `feedback on ${id}`,
  };
}

/** A flat population with unique ids (hashes may repeat). */
const populationArb = (maxLength = 12): fc.Arbitrary<Candidate[]> =>
  fc.array(draftArb, { maxLength }).map((ds) => ds.map((d, i) => make(d, `c${i}`)));

/** Island populations as the engine holds them: each island of distinct hashes, ≤ `size` members. */
function islandsArb(opts: { minIslands?: number; maxIslands?: number; size: fc.Arbitrary<number> }): fc.Arbitrary<{ pops: Populations; size: number }> {
  return opts.size.chain((size) =>
    fc
      .array(fc.array(draftArb, { maxLength: size + 3 }), { minLength: opts.minIslands ?? 1, maxLength: opts.maxIslands ?? 6 })
      .map((islands) => ({
        size,
        pops: islands.map((ds, i) =>
          truncate(
            ds.map((d, j) => make(d, `i${i}c${j}`, i, 0)),
            size,
          ),
        ),
      })),
  );
}

/** Islands of arbitrary members (duplicate hashes inside an island, any size): the functions must not care. */
const rawIslandsArb = fc
  .array(fc.array(draftArb, { maxLength: 8 }), { minLength: 1, maxLength: 6 })
  .map((islands) => islands.map((ds, i) => ds.map((d, j) => make(d, `i${i}c${j}`, i, 0))));

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

const distinctHashes = (cs: readonly Candidate[]) => new Set(cs.map((c) => c.hash)).size;
const ids = (cs: readonly Candidate[]) => cs.map((c) => c.id);
const islandMean = (p: readonly Candidate[]) => (p.length ? mean(p.map((c) => c.score)) : -Infinity);

/** The invariants of truncate(pop, size) for size ≥ 1. */
function checkTruncated(input: readonly Candidate[], out: readonly Candidate[], size: number): void {
  expect(out).toHaveLength(Math.min(size, distinctHashes(input)));
  expect(distinctHashes(out)).toBe(out.length);
  for (const c of out) expect(input).toContain(c); // the objects themselves, never copies
  // Best first, and nothing left out scores above anything kept.
  for (let i = 1; i < out.length; i++) expect(out[i - 1]!.score).toBeGreaterThanOrEqual(out[i]!.score);
  const kept = new Set(out.map((c) => c.hash));
  const worstKept = out.length ? out[out.length - 1]!.score : Infinity;
  for (const c of input) if (!kept.has(c.hash)) expect(c.score).toBeLessThanOrEqual(worstKept);
  // Each kept hash is represented by its best member (first occurrence among equals).
  for (const c of out) expect(c).toBe(rankByScore(input).find((x) => x.hash === c.hash));
}

// ---------------------------------------------------------------------------------------------

describe("truncate / nextPopulation", () => {
  it("truncate keeps min(size, distinct hashes) members with distinct hashes, the best ones", () => {
    fc.assert(
      fc.property(populationArb(16), fc.integer({ min: 1, max: 20 }), (pop, size) => {
        const before = structuredClone(pop);
        checkTruncated(pop, truncate(deepFreeze(pop), size), size);
        expect(pop).toEqual(before);
      }),
      { numRuns: 200 },
    );
  });

  it("nextPopulation is the truncation of old members and children together", () => {
    fc.assert(
      fc.property(populationArb(10), fc.array(draftArb, { maxLength: 10 }), fc.integer({ min: 1, max: 15 }), (old, drafts, size) => {
        const children = drafts.map((d, i) => make(d, `child${i}`, 0, 1));
        const next = nextPopulation(old, children, size);
        checkTruncated([...old, ...children], next, size);
        // The island never loses its best: the best of old ∪ children is always first.
        const all = [...old, ...children];
        if (all.length > 0) expect(next[0]).toBe(rankByScore(all)[0]);
      }),
      { numRuns: 200 },
    );
  });

  it("an old member beats a child with the same hash and score (old first)", () => {
    const old = [make({ text: "show work", score: 0.5 }, "old")];
    const child = make({ text: "show   work", score: 0.5 }, "child", 0, 1); // same normalized text
    expect(child.hash).toBe(old[0]!.hash);
    expect(ids(nextPopulation(old, [child], 5))).toEqual(["old"]);
  });
});

describe("cloneTo", () => {
  it("makes a copy with a new id, the original as parent, and no model key", () => {
    const c = make({ text: "check units", score: 0.75 }, "i0-g2-c1-t3", 0, 2);
    const before = structuredClone(c);
    const copy = cloneTo(deepFreeze(c), 3, 5, "migrate");
    expect(copy).toEqual({ ...before, id: "i0-g2-c1-t3>m3g5", island: 3, generation: 5, operator: "migrate", parents: ["i0-g2-c1-t3"], modelKey: undefined });
    expect(c).toEqual(before);
    const reset = cloneTo(copy, 1, 6, "reset");
    // A copy of a copy is named after the original, its parent is the copy.
    expect(reset.id).toBe("i0-g2-c1-t3>r1g6");
    expect(reset.parents).toEqual([copy.id]);
    expect(reset.operator).toBe("reset");
  });
});

describe("migrate", () => {
  const sizeArb = fc.integer({ min: 1, max: 6 });

  it("keeps every island within populationSize, with distinct hashes", () => {
    fc.assert(
      fc.property(islandsArb({ size: sizeArb }), fc.integer({ min: 0, max: 6 }), fc.nat(20), ({ pops, size }, count, gen) => {
        const out = migrate(pops, count, gen, size);
        expect(out).toHaveLength(pops.length);
        for (const island of out) {
          expect(island.length).toBeLessThanOrEqual(size);
          expect(distinctHashes(island)).toBe(island.length);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("also bounds islands that arrive oversized or with duplicate hashes", () => {
    fc.assert(
      fc.property(rawIslandsArb, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }), (pops, count, size) => {
        fc.pre(pops.length >= 2);
        for (const island of migrate(pops, count, 1, size)) {
          expect(island.length).toBeLessThanOrEqual(size);
          expect(distinctHashes(island)).toBe(island.length);
        }
      }),
      { numRuns: 100 },
    );
  });

  it("never removes an island's best unless better ones arrive", () => {
    fc.assert(
      fc.property(islandsArb({ size: sizeArb }), fc.integer({ min: 1, max: 6 }), ({ pops, size }, count) => {
        const out = migrate(pops, count, 3, size);
        pops.forEach((pop, i) => {
          if (pop.length === 0) return;
          const best = rankByScore(pop)[0]!;
          if (out[i]!.includes(best)) return;
          // Displaced: the island is full of strictly better arrivals.
          expect(out[i]).toHaveLength(size);
          for (const c of out[i]!) {
            expect(c.score).toBeGreaterThan(best.score);
            expect(c.operator).toBe("migrate");
          }
        });
        // Nor does the island's best score ever drop.
        pops.forEach((pop, i) => {
          if (pop.length) expect(Math.max(...out[i]!.map((c) => c.score))).toBeGreaterThanOrEqual(Math.max(...pop.map((c) => c.score)));
        });
      }),
      { numRuns: 200 },
    );
  });

  it("does not mutate its input (deep-frozen, and equal to a clone afterwards)", () => {
    fc.assert(
      fc.property(islandsArb({ size: sizeArb }), fc.integer({ min: 0, max: 6 }), ({ pops, size }, count) => {
        const before = structuredClone(pops);
        const out = migrate(deepFreeze(pops), count, 2, size);
        expect(pops).toEqual(before);
        out.forEach((island, i) => expect(island).not.toBe(pops[i])); // fresh arrays
      }),
      { numRuns: 200 },
    );
  });

  it("moves copies, not originals: every member is an untouched original of that island or a fresh copy", () => {
    fc.assert(
      fc.property(islandsArb({ minIslands: 2, size: sizeArb }), fc.integer({ min: 1, max: 6 }), fc.nat(20), ({ pops, size }, count, gen) => {
        const before = structuredClone(pops);
        const allIds = new Set(pops.flat().map((c) => c.id));
        const byId = new Map(pops.flat().map((c) => [c.id, c]));
        const out = migrate(pops, count, gen, size);
        const n = pops.length;
        out.forEach((island, to) => {
          const from = (to - 1 + n) % n;
          for (const c of island) {
            if (pops[to]!.includes(c)) {
              expect(c).toEqual(before[to]!.find((x) => x.id === c.id)); // the original, unchanged
              continue;
            }
            // A copy: new id, lineage pointing at an emigrant of the previous island.
            expect(allIds.has(c.id)).toBe(false);
            expect(c.operator).toBe("migrate");
            expect(c.island).toBe(to);
            expect(c.generation).toBe(gen);
            expect(c.modelKey).toBeUndefined();
            expect(c.parents).toHaveLength(1);
            const original = byId.get(c.parents[0]!)!;
            expect(original).toBeDefined();
            expect(pops[from]).toContain(original);
            expect(topK(pops[from]!, count)).toContain(original);
            expect(original.island).toBe(from); // the original stayed home
            expect({ text: c.text, hash: c.hash, score: c.score, minibatch: c.minibatch, feedback: c.feedback }).toEqual({
              text: original.text,
              hash: original.hash,
              score: original.score,
              minibatch: original.minibatch,
              feedback: original.feedback,
            });
          }
        });
        // Ids stay unique across all islands.
        const outIds = out.flat().map((c) => c.id);
        expect(new Set(outIds).size).toBe(outIds.length);
      }),
      { numRuns: 200 },
    );
  });

  it("copies the top `count` of each island into the next one when there is room", () => {
    fc.assert(
      fc.property(islandsArb({ minIslands: 2, size: fc.integer({ min: 1, max: 4 }) }), fc.integer({ min: 1, max: 4 }), ({ pops, size }, count) => {
        // Room for everything: a population size that truncation can never bite.
        const big = size + count + 1;
        const out = migrate(pops, count, 1, big);
        const n = pops.length;
        out.forEach((island, to) => {
          const from = (to - 1 + n) % n;
          const expected = topK(pops[from]!, count).filter((c) => !pops[to]!.some((x) => x.hash === c.hash));
          const arrived = island.filter((c) => c.operator === "migrate" && !pops[to]!.includes(c));
          expect(arrived.map((c) => c.parents[0])).toEqual(expect.arrayContaining(ids(expected)));
          expect(arrived).toHaveLength(expected.length);
          for (const c of pops[to]!) expect(island).toContain(c);
        });
      }),
      { numRuns: 200 },
    );
  });

  it("is the identity with one island or count 0", () => {
    fc.assert(
      fc.property(islandsArb({ size: sizeArb }), fc.integer({ min: -2, max: 5 }), ({ pops, size }, count) => {
        const one = [pops[0]!];
        const a = migrate(one, count, 4, size);
        expect(a).toEqual(one);
        a.forEach((island, i) => island.forEach((c, j) => expect(c).toBe(one[i]![j])));
        const b = migrate(pops, Math.min(count, 0), 4, size);
        expect(b).toEqual(pops);
        b.forEach((island, i) => island.forEach((c, j) => expect(c).toBe(pops[i]![j])));
      }),
      { numRuns: 100 },
    );
  });

  it("works on a concrete ring of three islands", () => {
    const pops: Populations = [
      [make({ text: "show work", score: 0.9 }, "a", 0), make({ text: "be brief", score: 0.1 }, "b", 0)],
      [make({ text: "show  work", score: 0.5 }, "c", 1)],
      [make({ text: "verify answer", score: 0.2 }, "d", 2)],
    ];
    const out = migrate(pops, 1, 7, 2);
    expect(ids(out[0]!)).toEqual(["a", "d>m0g7"]); // d's copy (0.2) displaces b (0.1)
    expect(ids(out[1]!)).toEqual(["c"]); // a's hash is already there (as c): not copied
    expect(ids(out[2]!)).toEqual(["c>m2g7", "d"]);
    expect(out[0]![1]).toMatchObject({ island: 0, generation: 7, operator: "migrate", parents: ["d"], text: "verify answer", score: 0.2 });
    expect(pops[2]![0]).toMatchObject({ id: "d", island: 2, operator: "mutate" });
  });
});

describe("worstIslands / resetIslands", () => {
  const optsArb = fc.record({
    islands: fc.integer({ min: 0, max: 7 }),
    eliteSize: fc.integer({ min: 1, max: 6 }),
    eliteFrom: fc.integer({ min: 1, max: 10 }),
    generation: fc.nat(30),
  });

  it("worstIslands picks min(count, n − 1) islands with the lowest means (ties: higher id first)", () => {
    fc.assert(
      fc.property(islandsArb({ size: fc.integer({ min: 1, max: 5 }) }), fc.integer({ min: 0, max: 8 }), ({ pops }, count) => {
        const worst = worstIslands(pops, count);
        expect(worst).toHaveLength(Math.min(count, pops.length - 1));
        expect(worst).toEqual([...worst].sort((a, b) => a - b));
        expect(new Set(worst).size).toBe(worst.length);
        for (const r of worst)
          for (let s = 0; s < pops.length; s++) {
            if (worst.includes(s)) continue;
            expect(islandMean(pops[r]!)).toBeLessThanOrEqual(islandMean(pops[s]!));
            if (islandMean(pops[r]!) === islandMean(pops[s]!)) expect(r).toBeGreaterThan(s);
          }
      }),
      { numRuns: 200 },
    );
  });

  it("resetIslands replaces exactly the worst islands (never all) with copies of the elite, and nothing else", () => {
    fc.assert(
      fc.property(islandsArb({ size: fc.integer({ min: 1, max: 5 }) }), optsArb, ({ pops }, opts) => {
        const before = structuredClone(pops);
        const { populations, reset } = resetIslands(deepFreeze(pops), opts);
        expect(pops).toEqual(before);
        expect(reset).toEqual(worstIslands(pops, opts.islands));
        expect(reset.length).toBeLessThan(pops.length); // never all islands
        expect(reset).toHaveLength(Math.min(opts.islands, pops.length - 1));
        const elite = diverseElite(pops, opts.eliteSize, opts.eliteFrom);
        populations.forEach((island, i) => {
          if (!reset.includes(i)) {
            expect(island).toHaveLength(pops[i]!.length);
            island.forEach((c, j) => expect(c).toBe(pops[i]![j])); // untouched, same objects
            return;
          }
          // Only copies of elite members, in elite order.
          expect(island.map((c) => c.parents)).toEqual(elite.map((e) => [e.id]));
          island.forEach((c, j) => {
            const e = elite[j]!;
            expect(c).not.toBe(e);
            expect(c).toEqual({ ...e, id: `${e.id.split(">")[0]}>r${i}g${opts.generation}`, island: i, generation: opts.generation, operator: "reset", parents: [e.id], modelKey: undefined });
          });
          expect(distinctHashes(island)).toBe(island.length);
        });
      }),
      { numRuns: 200 },
    );
  });

  it("resets nothing with a single island or islands: 0", () => {
    const pops: Populations = [[make({ text: "show work", score: 0.1 }, "a")]];
    expect(resetIslands(pops, { islands: 3, eliteSize: 2, eliteFrom: 5, generation: 1 })).toEqual({ populations: pops, reset: [] });
    const two: Populations = [[make({ text: "show work", score: 0.1 }, "a")], [make({ text: "be brief", score: 0.9 }, "b", 1)]];
    const r = resetIslands(two, { islands: 0, eliteSize: 2, eliteFrom: 5, generation: 1 });
    expect(r.reset).toEqual([]);
    expect(r.populations).toEqual(two);
  });

  it("resets the weaker island of two from the global elite", () => {
    const two: Populations = [
      [make({ text: "check units", score: 0.2 }, "a", 0)],
      [make({ text: "show your work step by step", score: 0.9 }, "b", 1), make({ text: "show your work step by step and verify", score: 0.6 }, "c", 1)],
    ];
    const r = resetIslands(two, { islands: 5, eliteSize: 2, eliteFrom: 3, generation: 4 });
    expect(r.reset).toEqual([0]);
    expect(ids(r.populations[0]!)).toEqual(["b>r0g4", "a>r0g4"]); // b is best; then a (far from b) beats c (close to b, though better)
    expect(r.populations[1]).toEqual(two[1]);
  });
});

describe("diverseElite", () => {
  it("returns distinct hashes, starts with the best, has size min(eliteSize, from, distinct hashes)", () => {
    fc.assert(
      fc.property(rawIslandsArb, fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 12 }), (pops, size, from) => {
        const elite = diverseElite(pops, size, from);
        const flat = pops.flat();
        expect(elite.length).toBeLessThanOrEqual(size);
        expect(elite).toHaveLength(Math.min(size, from, distinctHashes(flat)));
        expect(distinctHashes(elite)).toBe(elite.length);
        if (flat.length > 0) expect(elite[0]).toBe(rankByScore(flat)[0]);
        // Drawn from the best `from` distinct harnesses, and the objects themselves.
        const pool = truncate(flat, from);
        for (const c of elite) expect(pool).toContain(c);
      }),
      { numRuns: 200 },
    );
  });

  it("each next pick is a farthest remaining candidate from those chosen", () => {
    fc.assert(
      fc.property(rawIslandsArb, fc.integer({ min: 2, max: 6 }), fc.integer({ min: 2, max: 10 }), (pops, size, from) => {
        const elite = diverseElite(pops, size, from);
        const pool = truncate(pops.flat(), from);
        for (let k = 1; k < elite.length; k++) {
          const chosen = elite.slice(0, k);
          const dist = (c: Candidate) => Math.min(...chosen.map((e) => 1 - similarity(e.text, c.text)));
          const rest = pool.filter((c) => !chosen.includes(c));
          const farthest = Math.max(...rest.map(dist));
          expect(dist(elite[k]!)).toBeCloseTo(farthest, 9);
        }
      }),
      { numRuns: 100 },
    );
  });

  it("is empty for empty populations", () => {
    expect(diverseElite([[], []], 3, 5)).toEqual([]);
    expect(diverseElite([], 3, 5)).toEqual([]);
  });
});

describe("diversity", () => {
  it("is 0 for at most one member and in [0, 1] otherwise", () => {
    fc.assert(
      fc.property(populationArb(10), (pop) => {
        const d = diversity(pop);
        if (pop.length <= 1) expect(d).toBe(0);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(1);
      }),
      { numRuns: 200 },
    );
  });

  it("is 0 for identical texts and 1 for texts sharing no shingle", () => {
    const same = [make({ text: "show your work", score: 0 }, "a"), make({ text: "show  your work", score: 1 }, "b")];
    expect(diversity(same)).toBe(0);
    const apart = [make({ text: "show your work now", score: 0 }, "a"), make({ text: "check the units twice", score: 1 }, "b")];
    expect(diversity(apart)).toBe(1);
    expect(diversity([])).toBe(0);
    expect(diversity([same[0]!])).toBe(0);
  });
});
