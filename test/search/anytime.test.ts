import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AnytimePoint } from "../../src/search/context.js";
import { placeInRound, roundPoints } from "../../src/search/rounds.js";
import type { Candidate, SpendPoint } from "../../src/search/types.js";

const DIMS = ["usd", "tokens", "calls"] as const;

function child(id: string, train: number | undefined, at?: SpendPoint): Candidate {
  return { id, hash: id, text: id, island: 0, generation: 0, operator: "mutate", parents: [], minibatch: 0, score: train ?? 0, feedback: "", ...(train !== undefined ? { train } : {}), ...(at ? { at } : {}) };
}

/** The curve's value at budget x on one axis: the last point charged at most x (as bench/aggregate.ts reads it). */
function valueAt(points: readonly AnytimePoint[], axis: (typeof DIMS)[number], x: number): number | null {
  let v: number | null = null;
  for (const p of points) if (p[axis] <= x) v = p.bestTrain;
  return v;
}

describe("placeInRound", () => {
  it("puts a child at the round's start plus its conversation's fraction of the round's spend", () => {
    const start = { usd: 1, tokens: 1000, calls: 100 };
    const end = { usd: 3, tokens: 5000, calls: 500 };
    // Two conversations, 100 and 300 calls: half-way through either is half-way through the round.
    expect(placeInRound(start, end, { usd: 0.25, tokens: 1000, calls: 50 }, { usd: 0.5, tokens: 1000, calls: 100 })).toEqual({ usd: 2, tokens: 5000, calls: 300 });
    expect(placeInRound(start, end, { usd: 0.75, tokens: 0, calls: 150 }, { usd: 1.5, tokens: 3000, calls: 300 })).toEqual({ usd: 2, tokens: 1000, calls: 300 });
    // A conversation that spent nothing in a dimension: the round's end there.
    expect(placeInRound(start, end, { usd: 0, tokens: 10, calls: 1 }, { usd: 0, tokens: 20, calls: 4 })).toEqual({ usd: 3, tokens: 3000, calls: 200 });
  });

  const point = fc.record({ usd: fc.double({ min: 0, max: 10, noNaN: true }), tokens: fc.integer({ min: 0, max: 100_000 }), calls: fc.integer({ min: 0, max: 5000 }) });
  it("stays within the round, keeps a conversation's order, and ends its last child's spend at the round's end", () => {
    fc.assert(
      fc.property(point, point, point, fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (start, delta, conv, a, b) => {
        const end = { usd: start.usd + delta.usd, tokens: start.tokens + delta.tokens, calls: start.calls + delta.calls };
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const at = (f: number) => ({ usd: conv.usd * f, tokens: Math.floor(conv.tokens * f), calls: Math.floor(conv.calls * f) });
        const x = placeInRound(start, end, at(lo), conv);
        const y = placeInRound(start, end, at(hi), conv);
        for (const d of DIMS) {
          expect(x[d]).toBeGreaterThanOrEqual(start[d]);
          expect(y[d]).toBeLessThanOrEqual(end[d]);
          expect(x[d]).toBeLessThanOrEqual(y[d]);
        }
        expect(Number.isInteger(x.calls) && Number.isInteger(x.tokens)).toBe(true);
        expect(placeInRound(start, end, conv, conv)).toEqual(end);
      }),
    );
  });
});

describe("roundPoints", () => {
  it("has a point where a child raised the best, merges children at the same budget, and ends at the round's end", () => {
    const end = { usd: 1, tokens: 100, calls: 10 };
    const at = (calls: number) => ({ usd: calls / 10, tokens: calls * 10, calls });
    const placed = [
      { candidate: child("a", 0.5), x: at(6) },
      { candidate: child("b", 0.4), x: at(2) },
      { candidate: child("c", undefined), x: at(1) },
      { candidate: child("d", 0.7), x: at(6) },
      { candidate: child("e", 0.7), x: at(8) },
    ];
    const { points, best } = roundPoints(3, end, placed, child("seed", 0.3));
    expect(points.map((p) => [p.calls, p.bestId, p.bestTrain])).toEqual([
      [2, "b", 0.4],
      [6, "d", 0.7], // a and d at the same budget: one point, the better of them
      [10, "d", 0.7], // e ties d and comes later: d stays the best
    ]);
    expect(points.every((p) => p.round === 3)).toBe(true);
    expect(best?.id).toBe("d");
    // Nothing better: just the round's end, with the best from before.
    expect(roundPoints(4, end, [{ candidate: child("f", 0.1), x: at(3) }], best).points).toEqual([{ round: 4, ...end, bestTrain: 0.7, bestId: "d" }]);
  });

  // A round: conversations, each with its spend and its children's evaluation ends in order, then placed.
  const round = fc
    .record({
      start: fc.record({ usd: fc.integer({ min: 0, max: 1000 }).map((n) => n / 64), tokens: fc.integer({ min: 0, max: 10_000 }), calls: fc.integer({ min: 0, max: 500 }) }),
      before: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
      primary: fc.constantFrom(...DIMS),
      conversations: fc.array(
        fc.record({
          total: fc.record({ usd: fc.integer({ min: 0, max: 640 }).map((n) => n / 64), tokens: fc.integer({ min: 0, max: 5000 }), calls: fc.integer({ min: 0, max: 80 }) }),
          children: fc.array(fc.record({ f: fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })), train: fc.option(fc.constantFrom(0, 0.25, 0.5, 0.75, 1), { nil: undefined }) }), { maxLength: 5 }),
        }),
        { minLength: 1, maxLength: 6 },
      ),
    })
    .map(({ start, before, primary, conversations }) => {
      const spent = conversations.reduce((s, c) => ({ usd: s.usd + c.total.usd, tokens: s.tokens + c.total.tokens, calls: s.calls + c.total.calls }), { usd: 0, tokens: 0, calls: 0 });
      const end = { usd: start.usd + spent.usd, tokens: start.tokens + spent.tokens, calls: start.calls + spent.calls };
      const placed = conversations.flatMap((c, i) => {
        // Evaluation ends within a conversation come in order in every dimension.
        const fs = DIMS.map((_, k) => c.children.map((x) => x.f[k]!).sort((a, b) => a - b));
        return c.children.map((x, j) => {
          const at = { usd: c.total.usd * fs[0]![j]!, tokens: Math.floor(c.total.tokens * fs[1]![j]!), calls: Math.floor(c.total.calls * fs[2]![j]!) };
          return { candidate: child(`c${i}-${j}`, x.train, at), x: placeInRound(start, end, at, c.total) };
        });
      });
      return { start, end, placed, primary, before: before === undefined ? undefined : child("before", before) };
    });

  it("is in non-decreasing budget order in every dimension, ends at the round's end, and never loses the best", () => {
    fc.assert(
      fc.property(round, ({ end, placed, primary, before }) => {
        const { points, best } = roundPoints(0, end, placed, before, primary);
        for (let i = 1; i < points.length; i++) for (const d of DIMS) expect(points[i]![d]).toBeGreaterThanOrEqual(points[i - 1]![d]);
        // Each point within the round raised the best; the round's end may repeat it.
        for (let i = 1; i < points.length - 1; i++) expect(points[i]!.bestTrain!).toBeGreaterThan(points[i - 1]!.bestTrain ?? -1);
        if (points.length > 1) expect(points.at(-1)!.bestTrain ?? -1).toBeGreaterThanOrEqual(points.at(-2)!.bestTrain ?? -1);
        expect(points.at(-1)).toMatchObject({ usd: end.usd, tokens: end.tokens, calls: end.calls, bestId: best?.id ?? null });
        const trains = [before?.train, ...placed.map((p) => p.candidate.train)].filter((t): t is number => t !== undefined);
        expect(best?.train).toBe(trains.length ? Math.max(...trains) : undefined);
      }),
    );
  });

  it("at each child's budget, holds the best train among the children placed at or before it", () => {
    fc.assert(
      fc.property(round, ({ end, placed, primary, before }) => {
        const { points } = roundPoints(0, end, placed, before, primary);
        for (const p of placed) {
          const x = p.x[primary];
          const reached = [before?.train, ...placed.filter((q) => q.x[primary] <= x).map((q) => q.candidate.train)].filter((t): t is number => t !== undefined);
          const expected = reached.length ? Math.max(...reached) : null;
          // Points at the child's budget or before it; before the round's first point the curve holds what came before.
          expect(valueAt(points, primary, x) ?? before?.train ?? null).toBe(expected);
        }
      }),
    );
  });
});
