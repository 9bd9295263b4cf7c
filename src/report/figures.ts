/** The report's charts: Vega-Lite specs rendered to SVG by src/bench/charts.ts. */
import { barChartSvg, lineChartSvg, type RuleMark } from "../bench/charts.js";
import type { ReportModel } from "./data.js";

export interface Figures {
  /** Train, val and test of the seed and the best harness. */
  scores: string;
  /** Best train score after each round (the anytime curve); null without one. */
  progress: string | null;
  /** Per island over generations; null for strategies without islands. */
  islandBest: string | null;
  islandMean: string | null;
  islandDiversity: string | null;
  /** Cumulative paid spend per role over the run's wall-clock time; null without calls. */
  spend: string | null;
}

export function eventRules(model: ReportModel): RuleMark[] {
  return [
    ...model.migrations.map((g) => ({ x: g, label: "migration" })),
    ...model.resets.map((r) => ({ x: r.generation, label: "reset" })),
  ];
}

export function scoreRows(model: ReportModel): { split: string; harness: string; score: number }[] {
  const rows: { split: string; harness: string; score: number }[] = [];
  for (const split of ["train", "val", "test"] as const) {
    for (const [harness, h] of [["seed harness", model.seedHarness], ["best harness", model.best]] as const) {
      const score = h[split];
      if (score !== null) rows.push({ split, harness, score });
    }
  }
  return rows;
}

export async function renderFigures(model: ReportModel): Promise<Figures> {
  const generation = { field: "generation", title: "Generation" };
  const island = { field: "island", title: "Island" };
  const rules = eventRules(model);
  const perIsland = (field: "best" | "mean" | "diversity", title: string, yTitle: string) =>
    model.islands.length === 0
      ? Promise.resolve(null)
      : lineChartSvg({ title, x: generation, y: { field, title: yTitle }, series: island, data: model.islands.map((p) => ({ ...p })), rules, yDomain: field === "diversity" ? [0, 1] : undefined });
  const usd = model.spendOverTime.some((p) => p.usd > 0);
  const minutes = (model.spendOverTime.at(-1)?.elapsed ?? 0) > 600;
  const expected = model.anytime.some((a) => a.bestExpected !== null);
  // The curve by round: each round's last point (its end; the points within a round place children by budget, not by round).
  const byRound = model.anytime.filter((a, i) => model.anytime[i + 1]?.round !== a.round);
  const anytime = byRound.flatMap((a) => [
    ...(a.bestTrain !== null ? [{ round: a.round, score: a.bestTrain, curve: "best train score" }] : []),
    ...(a.bestExpected !== null ? [{ round: a.round, score: a.bestExpected, curve: "expected val (sim)" }] : []),
  ]);
  const [scores, progress, islandBest, islandMean, islandDiversity, spend] = await Promise.all([
    barChartSvg({
      title: "Seed harness and best harness by split",
      category: { field: "split", title: "Split" },
      value: { field: "score", title: "Score" },
      group: { field: "harness", title: "Harness" },
      data: scoreRows(model),
      yDomain: [0, 1],
    }),
    anytime.length === 0
      ? null
      : lineChartSvg({
          title: "Best train score after each round",
          x: { field: "round", title: `${model.islands.length > 0 ? "Generation" : "Round"} (−1: the seed)` },
          y: { field: "score", title: "Score" },
          ...(expected ? { series: { field: "curve", title: "Curve" } } : {}),
          data: anytime,
          rules: model.islands.length > 0 ? rules : undefined,
        }),
    perIsland("best", "Best score per island", "Best train score"),
    perIsland("mean", "Mean score per island", "Mean train score"),
    perIsland("diversity", "Diversity per island (mean pairwise distance)", "Diversity"),
    model.spendOverTime.length === 0
      ? null
      : lineChartSvg({
          title: `Spend by role over time (${usd ? "USD" : "tokens"} paid, cumulative)`,
          x: { field: "elapsed", title: minutes ? "Minutes since the first call" : "Seconds since the first call" },
          y: { field: "spent", title: usd ? "USD" : "Tokens" },
          series: { field: "role", title: "Role" },
          data: model.spendOverTime.map((p) => ({
            elapsed: Math.round((minutes ? p.elapsed / 60 : p.elapsed) * 100) / 100,
            spent: usd ? p.usd : p.tokens,
            role: p.role,
          })),
        }),
  ]);
  return { scores, progress, islandBest, islandMean, islandDiversity, spend };
}
