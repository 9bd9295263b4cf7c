import { describe, expect, it } from "vitest";
import { allocationMarkdown, bestOf, type AllocationResult } from "../../src/bench/allocation.js";
import type { GroupStats } from "../../src/bench/aggregate.js";
import { meanInterval } from "../../src/bench/stats.js";
import { tiersMarkdown, type TiersResult } from "../../src/bench/tiers.js";

function group(label: string, expected: number[], test: number[]): GroupStats {
  const i = meanInterval;
  return {
    label,
    runs: expected.length,
    seedVal: i(expected.map(() => 0.1)),
    val: i(test),
    test: i(test),
    expected: i(expected),
    fractionOfOptimum: i(expected.map((x) => x / 0.5)),
    valGain: i(test.map((x) => x - 0.1)),
    expectedGain: i(expected.map((x) => x - 0.15)),
    calls: 1000,
    paidCalls: 900,
    tokens: 1e5,
    usd: 0.1,
    maxCharged: { usd: 0.1, tokens: 1e5, calls: 950 },
    statuses: { "budget-exhausted": expected.length },
    anytime: [],
  };
}

describe("experiment reports", () => {
  it("the best split is the highest held-out score among the fixed splits (ties: the earlier)", () => {
    const a = group("0.1/0.8/0.1", [0.3, 0.32], [0.5, 0.1]);
    const b = group("0.2/0.6/0.2", [0.4, 0.38], [0.2, 0.2]);
    const c = group("0.3/0.5/0.2", [0.4, 0.38], [0.1, 0.1]);
    expect(bestOf([a, b, c], true).label).toBe("0.2/0.6/0.2");
    expect(bestOf([a, b, c], false).label).toBe("0.1/0.8/0.1"); // real endpoints: test score
    expect(() => bestOf([], true)).toThrow(RangeError);
  });

  it("the allocation report names the best split and compares adaptive with it", () => {
    const groups = [group("0.1/0.8/0.1", [0.3, 0.32], [0.3, 0.3]), group("0.2/0.6/0.2", [0.4, 0.38], [0.4, 0.4]), group("shared", [0.41, 0.4], [0.4, 0.4]), group("adaptive", [0.35, 0.36], [0.35, 0.35])];
    const r: AllocationResult = { campaign: "c.yaml", axis: "calls", total: 3000, simulated: true, seeds: [1, 2], groups, bestSplit: "0.2/0.6/0.2", runs: [] };
    const md = allocationMarkdown(r);
    expect(md).toMatch(/Simulated models/);
    expect(md).toMatch(/\*\*0\.2\/0\.6\/0\.2\*\* \(best split\)/);
    expect(md).toMatch(/Adaptive: 0\.355 \[[-0-9.]+, [0-9.]+\], below the best fixed split/);
  });

  it("the tiers report shows both tables and names the user model that benefits most", () => {
    const r: TiersResult = {
      campaign: "t.yaml",
      simulated: true,
      seeds: [1, 2],
      fixedUser: "mid",
      fixedEvolver: "small",
      update: [group("sim:small", [0.38, 0.4], [0.4, 0.4]), group("sim:large", [0.39, 0.4], [0.4, 0.4])],
      benefit: [group("sim:weak", [0.16, 0.17], [0.1, 0.1]), group("sim:mid", [0.4, 0.42], [0.4, 0.4]), group("sim:strong", [0.3, 0.31], [0.8, 0.8])],
      runs: [],
    };
    const md = tiersMarkdown(r);
    expect(md).toMatch(/## \(a\) Update gain: user fixed \(mid\), evolver varied/);
    expect(md).toMatch(/## \(b\) Benefit: evolver fixed \(small\), user model varied/);
    expect(md).toMatch(/Largest benefit: sim:mid\./);
    expect(md).toMatch(/Spread of the mean gain across evolvers: 0\.005\./);
  });
});
