import { describe, expect, it } from "vitest";
import type { Interval } from "../../src/bench/stats.js";
import { formatCount, formatInterval, formatUsd, markdownTable } from "../../src/bench/table.js";

const iv = (mean: number, low: number, high: number, n: number): Interval => ({ mean, low, high, n, sd: 0, level: 0.95 });

describe("markdownTable", () => {
  it("renders a padded GFM table with numbers right-aligned by default", () => {
    const t = markdownTable(["harness", "score", "tokens"], [
      ["baseline", 0.41, 14542],
      ["evolved", 0.5, 9000],
    ]);
    expect(t).toBe(
      [
        "| harness  | score | tokens |",
        "| :------- | ----: | -----: |",
        "| baseline |  0.41 |  14542 |",
        "| evolved  |   0.5 |   9000 |",
      ].join("\n"),
    );
  });

  it("uses the explicit alignment row when given, defaulting the rest", () => {
    const t = markdownTable(["a", "b", "c", "d"], [["x", "y", 1, 2]], ["c", "r"]);
    const lines = t.split("\n");
    expect(lines[1]).toBe("| :-: | --: | --: | --: |");
    expect(lines[2]).toBe("|  x  |   y |   1 |   2 |");
  });

  it("escapes pipes and line breaks in cells and headers", () => {
    const t = markdownTable(["a|b"], [["x | y"], ["one\ntwo\r\nthree\rfour"]]);
    const cells = t.split("\n").map((l) => l.slice(2, -2).trimEnd());
    expect(cells).toEqual(["a\\|b", ":" + "-".repeat(26), "x \\| y", "one<br>two<br>three<br>four"]);
  });

  it("renders null/undefined as empty cells and pads short rows", () => {
    const t = markdownTable(["a", "b", "c"], [[null, undefined], [1, 2, 3]]);
    expect(t.split("\n")[2]).toBe("|     |     |     |");
    expect(t.split("\n")[1]).toBe("| --: | --: | --: |");
  });

  it("shows NaN as n/a and keeps a column with any string left-aligned", () => {
    const t = markdownTable(["v"], [[Number.NaN], ["text"], [3]]);
    expect(t.split("\n")).toEqual(["| v    |", "| :--- |", "| n/a  |", "| text |", "| 3    |"]);
  });

  it("rejects no columns and over-long rows", () => {
    expect(() => markdownTable([], [])).toThrow(RangeError);
    expect(() => markdownTable(["a"], [[1, 2]])).toThrow(RangeError);
  });

  it("every line has the same number of unescaped pipes", () => {
    const t = markdownTable(["x", "y"], [["a|b", "c\nd"], [1, null]]);
    const counts = t.split("\n").map((l) => l.replace(/\\\|/g, "").split("|").length);
    expect(new Set(counts).size).toBe(1);
  });
});

describe("formatInterval", () => {
  it("formats mean [low, high]", () => {
    expect(formatInterval(iv(0.4521, 0.40111, 0.50349, 5))).toBe("0.452 [0.401, 0.503]");
    expect(formatInterval(iv(0.4521, 0.40111, 0.50349, 5), 1)).toBe("0.5 [0.4, 0.5]");
  });

  it("n=1 → just the mean; NaN → n/a", () => {
    expect(formatInterval(iv(0.452, 0.452, 0.452, 1))).toBe("0.452");
    expect(formatInterval(iv(Number.NaN, Number.NaN, Number.NaN, 0))).toBe("n/a");
  });

  it("does not print negative zero", () => {
    expect(formatInterval(iv(-0.0001, -0.2, 0.2, 3))).toBe("0.000 [-0.200, 0.200]");
  });
});

describe("formatUsd", () => {
  it("uses 4 decimals under $10 and 2 from $10", () => {
    expect(formatUsd(0.6064)).toBe("$0.6064");
    expect(formatUsd(0.60644)).toBe("$0.6064");
    expect(formatUsd(0)).toBe("$0.0000");
    expect(formatUsd(9.5)).toBe("$9.5000");
    expect(formatUsd(9.99999)).toBe("$10.00");
    expect(formatUsd(12.345)).toBe("$12.35");
    expect(formatUsd(1234.5)).toBe("$1,234.50");
  });

  it("handles negatives and non-finite values", () => {
    expect(formatUsd(-1.5)).toBe("-$1.5000");
    expect(formatUsd(-0.00001)).toBe("$0.0000");
    expect(formatUsd(Number.NaN)).toBe("n/a");
  });
});

describe("formatCount", () => {
  it("groups thousands", () => {
    expect(formatCount(14542)).toBe("14,542");
    expect(formatCount(0)).toBe("0");
    expect(formatCount(999)).toBe("999");
    expect(formatCount(1000)).toBe("1,000");
    expect(formatCount(1234567890)).toBe("1,234,567,890");
    expect(formatCount(-14542)).toBe("-14,542");
    expect(formatCount(1499.6)).toBe("1,500");
    expect(formatCount(Number.POSITIVE_INFINITY)).toBe("n/a");
  });
});
