import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { callsToReach, pairedKnown } from "../../src/bench/aggregate.js";
import { clampInterval, mean, meanInterval, median, pairedDifference } from "../../src/bench/stats.js";
import type { RunSummary } from "../../src/campaign/summary.js";

const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true });
const sample = fc.array(finite, { minLength: 1, maxLength: 40 });
const level = fc.double({ min: 0, max: 0.999, noNaN: true });

describe("mean", () => {
  it("averages, is NaN when empty, and rejects non-finite values", () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(mean([])).toBeNaN();
    expect(() => mean([1, Number.NaN])).toThrow(RangeError);
    expect(() => mean([Number.POSITIVE_INFINITY])).toThrow(RangeError);
  });

  it("is exact for constant samples and does not overflow near MAX_VALUE", () => {
    expect(mean([0.1, 0.1, 0.1])).toBe(0.1);
    expect(mean([Number.MAX_VALUE, Number.MAX_VALUE])).toBe(Number.MAX_VALUE);
    expect(mean([-Number.MAX_VALUE, Number.MAX_VALUE])).toBeCloseTo(0, 0);
  });
});

describe("meanInterval", () => {
  it("matches a hand-computed 95% t-interval for [1,2,3,4,5]", () => {
    const i = meanInterval([1, 2, 3, 4, 5]);
    const half = (2.776445 * Math.sqrt(2.5)) / Math.sqrt(5); // 1.9632
    expect(i.mean).toBe(3);
    expect(i.n).toBe(5);
    expect(i.level).toBe(0.95);
    expect(i.sd).toBeCloseTo(1.5811388, 6);
    expect(i.high - i.mean).toBeCloseTo(1.9632, 4);
    expect(i.low).toBeCloseTo(3 - half, 5);
    expect(i.high).toBeCloseTo(3 + half, 5);
  });

  it("matches a hand-computed 90% interval (t(0.95, 3) = 2.353363)", () => {
    const i = meanInterval([2, 4, 4, 6], 0.9);
    // mean 4, sd sqrt(8/3) = 1.632993, half = 2.353363 * 1.632993 / 2 = 1.921513
    expect(i.mean).toBe(4);
    expect(i.sd).toBeCloseTo(1.632993, 6);
    expect(i.high - 4).toBeCloseTo(1.921513, 5);
    expect(4 - i.low).toBeCloseTo(1.921513, 5);
  });

  it("n=1 is a point with sd 0", () => {
    expect(meanInterval([0.452])).toEqual({ mean: 0.452, low: 0.452, high: 0.452, n: 1, sd: 0, level: 0.95 });
  });

  it("n=0 is all NaN", () => {
    const i = meanInterval([], 0.8);
    expect(i.n).toBe(0);
    expect(i.level).toBe(0.8);
    for (const v of [i.mean, i.low, i.high, i.sd]) expect(v).toBeNaN();
  });

  it("constant samples have zero width", () => {
    expect(meanInterval([0.1, 0.1, 0.1, 0.1])).toEqual({ mean: 0.1, low: 0.1, high: 0.1, n: 4, sd: 0, level: 0.95 });
  });

  it("rejects non-finite inputs and bad levels", () => {
    expect(() => meanInterval([1, Number.NaN, 3])).toThrow(RangeError);
    expect(() => meanInterval([1, Number.NEGATIVE_INFINITY])).toThrow(RangeError);
    expect(() => meanInterval([1, 2], 1)).toThrow(RangeError);
    expect(() => meanInterval([1, 2], -0.1)).toThrow(RangeError);
    expect(() => meanInterval([1, 2], Number.NaN)).toThrow(RangeError);
  });

  it("property: the mean lies inside [low, high]", () => {
    fc.assert(
      fc.property(sample, level, (xs, l) => {
        const i = meanInterval(xs, l);
        expect(i.low).toBeLessThanOrEqual(i.mean);
        expect(i.mean).toBeLessThanOrEqual(i.high);
        expect(i.sd).toBeGreaterThanOrEqual(0);
        expect(i.n).toBe(xs.length);
      }),
    );
  });

  it("property: the interval shrinks (weakly) as the level drops", () => {
    fc.assert(
      fc.property(sample, level, level, (xs, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const narrow = meanInterval(xs, lo);
        const wide = meanInterval(xs, hi);
        expect(narrow.high - narrow.low).toBeLessThanOrEqual(wide.high - wide.low);
      }),
    );
  });
});

describe("pairedDifference", () => {
  it("is the interval of a[i] - b[i]", () => {
    const d = pairedDifference([3, 4, 5, 6, 7], [2, 2, 2, 2, 2]);
    const direct = meanInterval([1, 2, 3, 4, 5]);
    expect(d).toEqual(direct);
  });

  it("rejects length mismatches and non-finite values", () => {
    expect(() => pairedDifference([1, 2], [1])).toThrow(RangeError);
    expect(() => pairedDifference([1, Number.NaN], [1, 2])).toThrow(RangeError);
    expect(() => pairedDifference([1, 2], [1, Number.POSITIVE_INFINITY])).toThrow(RangeError);
    expect(() => pairedDifference([Number.MAX_VALUE], [-Number.MAX_VALUE])).toThrow(RangeError);
  });

  it("property: identical arrays give a zero-width interval at 0", () => {
    fc.assert(
      fc.property(sample, level, (xs, l) => {
        const d = pairedDifference(xs, [...xs], l);
        expect(d).toEqual({ mean: 0, low: 0, high: 0, n: xs.length, sd: 0, level: l });
      }),
    );
  });
});

describe("median and clampInterval", () => {
  it("takes the middle value (the mean of the two middle ones for an even count), null when empty", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
    expect(() => median([Number.NaN])).toThrow(RangeError);
  });

  it("keeps an interval within the metric's range and leaves n alone", () => {
    fc.assert(
      fc.property(sample, (xs) => {
        const c = clampInterval(meanInterval(xs), 0, 1);
        expect(c.n).toBe(xs.length);
        for (const v of [c.mean, c.low, c.high]) expect(v >= 0 && v <= 1).toBe(true);
        expect(c.low).toBeLessThanOrEqual(c.high);
      }),
    );
  });
});

describe("paired comparisons over runs", () => {
  const run = (anytime: [number, number | null][], paid: number) =>
    ({ anytime: anytime.map(([calls, e]) => ({ round: 0, usd: 0, tokens: 0, calls, bestTrain: 0, bestExpected: e })), spend: { calls: paid + 10, cachedCalls: 10 } }) as unknown as RunSummary;

  it("pairs only the seeds where both values are known, and says how many", () => {
    const d = pairedKnown([0.5, null, 0.7, 0.4], [0.3, 0.2, undefined, 0.1]);
    expect(d.n).toBe(2);
    expect(d.mean).toBeCloseTo(0.25, 12);
  });

  it("measures calls to reach the reference's final value as a fraction of the reference's paid calls, per seed", () => {
    const bon = [run([[100, 0.2], [800, 0.4]], 1000), run([[100, 0.3], [900, 0.5]], 1000), run([[50, 0.1]], 500)];
    const islands = [run([[100, 0.1], [300, 0.45]], 1000), run([[200, 0.49]], 1000), run([[10, 0.1], [40, 0.2]], 600)];
    const r = callsToReach(islands, bon);
    expect(r.fractions).toEqual([0.3, null, 0.02]);
    expect(r).toMatchObject({ median: 0.16, reached: 2, of: 3 });
    // A run reaches its own final value within its own paid calls.
    expect(callsToReach(bon, bon).fractions).toEqual([0.8, 0.9, 0.1]);
    expect(() => callsToReach(islands.slice(1), bon)).toThrow(RangeError);
  });
});
