import { describe, expect, it } from "vitest";
import { barChartSvg, lineChartSvg } from "../../src/bench/charts.js";

const count = (svg: string, needle: string): number => svg.split(needle).length - 1;
const LINE = 'aria-roledescription="line mark"';
const RULE = 'aria-roledescription="rule mark"';
const BAR = 'aria-roledescription="bar"';

const lineData = [0, 1, 2, 3].flatMap((gen) =>
  ["baseline", "evolved", "crossover"].map((harness, k) => {
    const fit = 0.3 + 0.1 * gen + 0.05 * k;
    return { gen, fit, lo: fit - 0.05, hi: fit + 0.05, harness };
  }),
);
const lineOpts = {
  title: "Fitness by generation",
  x: { field: "gen", title: "Generation" },
  y: { field: "fit", title: "Mean fitness" },
  series: { field: "harness", title: "Harness" },
  data: lineData,
};

const barData = [
  { task: "math", harness: "baseline", acc: 0.5, lo: 0.4, hi: 0.6 },
  { task: "math", harness: "evolved", acc: 0.7, lo: 0.6, hi: 0.8 },
  { task: "code", harness: "baseline", acc: 0.3, lo: 0.2, hi: 0.4 },
  { task: "code", harness: "evolved", acc: 0.45, lo: 0.35, hi: 0.55 },
];
const barOpts = {
  title: "Accuracy by task",
  category: { field: "task", title: "Task family" },
  value: { field: "acc", title: "Accuracy" },
  data: barData,
};

describe("lineChartSvg", () => {
  it("returns a standalone SVG of fixed size with title and axis titles", async () => {
    const svg = await lineChartSvg(lineOpts);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    // The plot area is fixed; axes, legend and title are padded around it, and the title is drawn inside the picture.
    const size = /width="(\d+)" height="(\d+)"/.exec(svg)!;
    expect(Number(size[1])).toBeGreaterThanOrEqual(640);
    expect(Number(size[2])).toBeGreaterThanOrEqual(360);
    const root = /translate\(([-\d.]+),([-\d.]+)\)/.exec(svg)!;
    const title = /role-title"><g transform="translate\(([-\d.]+),([-\d.]+)\)/.exec(svg)!;
    expect(Number(root[2]) + Number(title[2])).toBeGreaterThanOrEqual(0);
    for (const text of ["Fitness by generation", "Generation", "Mean fitness", "Harness"]) expect(svg).toContain(text);
  });

  it("draws one line path per series, with points", async () => {
    const svg = await lineChartSvg(lineOpts);
    expect(count(svg, LINE)).toBe(3);
    expect(count(svg, 'aria-roledescription="point"')).toBe(lineData.length);
    const single = await lineChartSvg({ ...lineOpts, series: undefined, data: lineData.filter((d) => d.harness === "evolved") });
    expect(count(single, LINE)).toBe(1);
  });

  it("adds one shaded band per series when band fields are given", async () => {
    const svg = await lineChartSvg({ ...lineOpts, band: { low: "lo", high: "hi" }, yDomain: [0, 1] });
    expect(count(svg, 'aria-roledescription="area mark"')).toBe(3);
    expect(count(svg, LINE)).toBe(3);
  });

  it("is deterministic, even with clipping and other charts rendered in between", async () => {
    const opts = { ...lineOpts, band: { low: "lo", high: "hi" }, yDomain: [0, 1] as [number, number] };
    const a = await lineChartSvg(opts);
    await barChartSvg({ ...barOpts, yDomain: [0, 1] });
    const [b, c] = await Promise.all([lineChartSvg(opts), lineChartSvg(opts)]);
    expect(b).toBe(a);
    expect(c).toBe(a);
  });

  it("does not mutate the caller's data and copes with dotted field names", async () => {
    const data = [{ "score.mean": 1, g: 0 }, { "score.mean": 2, g: 1 }];
    const frozen = data.map((d) => Object.freeze({ ...d }));
    const svg = await lineChartSvg({ title: "t", x: { field: "g", title: "G" }, y: { field: "score.mean", title: "S" }, data: frozen });
    expect(count(svg, LINE)).toBe(1);
    expect(frozen).toEqual(data);
  });

  it("does not throw on empty data", async () => {
    const svg = await lineChartSvg({ ...lineOpts, data: [], band: { low: "lo", high: "hi" } });
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("Fitness by generation");
  });
});

describe("barChartSvg", () => {
  it("returns a standalone SVG with title and axis titles", async () => {
    const svg = await barChartSvg(barOpts);
    expect(svg.startsWith("<svg")).toBe(true);
    // The plot area is fixed; axes, legend and title are padded around it, and the title is drawn inside the picture.
    const size = /width="(\d+)" height="(\d+)"/.exec(svg)!;
    expect(Number(size[1])).toBeGreaterThanOrEqual(640);
    expect(Number(size[2])).toBeGreaterThanOrEqual(360);
    const root = /translate\(([-\d.]+),([-\d.]+)\)/.exec(svg)!;
    const title = /role-title"><g transform="translate\(([-\d.]+),([-\d.]+)\)/.exec(svg)!;
    expect(Number(root[2]) + Number(title[2])).toBeGreaterThanOrEqual(0);
    for (const text of ["Accuracy by task", "Task family", "Accuracy"]) expect(svg).toContain(text);
    expect(count(svg, BAR)).toBe(4);
    expect(count(svg, RULE)).toBe(0);
  });

  it("draws one error-bar rule per row when low and high are given", async () => {
    const svg = await barChartSvg({ ...barOpts, low: "lo", high: "hi" });
    expect(count(svg, RULE)).toBe(barData.length);
    const partial = await barChartSvg({ ...barOpts, data: [...barData, { task: "prose", harness: "x", acc: 0.2, lo: null, hi: null }], low: "lo", high: "hi" });
    expect(count(partial, RULE)).toBe(barData.length);
  });

  it("groups bars with a legend when a group is given", async () => {
    const svg = await barChartSvg({ ...barOpts, group: { field: "harness", title: "Harness" }, low: "lo", high: "hi" });
    expect(count(svg, BAR)).toBe(4);
    expect(count(svg, RULE)).toBe(4);
    expect(svg).toContain("Harness");
    expect(svg).toContain("#1f77b4");
    expect(svg).toContain("#ff7f0e");
  });

  it("is deterministic", async () => {
    const opts = { ...barOpts, group: { field: "harness", title: "Harness" }, low: "lo", high: "hi", yDomain: [0, 1] as [number, number] };
    expect(await barChartSvg(opts)).toBe(await barChartSvg(opts));
  });

  it("does not throw on empty data", async () => {
    const svg = await barChartSvg({ ...barOpts, data: [], low: "lo", high: "hi", group: { field: "harness", title: "Harness" } });
    expect(svg.startsWith("<svg")).toBe(true);
    expect(count(svg, RULE)).toBe(0);
  });
});
