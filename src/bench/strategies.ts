import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { loadCampaign, type LoadedCampaign } from "../config/load.js";
import { UserError } from "../config/errors.js";
import { formatIssue } from "../config/format.js";
import { STRATEGIES, StrategySchema, type StrategyName } from "../config/schema.js";
import { groupStats, pairedComparison, stableSummary, type BudgetAxis, type GroupStats } from "./aggregate.js";
import { lineChartSvg } from "./charts.js";
import { runAll, type RunOutcome, type RunnerOptions, type RunSpec } from "./runner.js";
import { formatCount, formatInterval, formatUsd, markdownTable } from "./table.js";
import type { Interval } from "./stats.js";

export interface BenchOptions extends RunnerOptions {
  /** Strategy names or the campaign's `bench.variants` labels. */
  strategies: string[];
  seeds: number;
  out: string;
  sets?: string[];
}

export interface BenchResult {
  campaign: string;
  axis: BudgetAxis;
  cap: number;
  simulated: boolean;
  seeds: number[];
  strategies: GroupStats[];
  /** Each strategy against the island search, on the same seeds (islands minus other). */
  versusIslands: { strategy: string; val: Interval; expected?: Interval }[];
  runs: { strategy: string; seed: number; summary: ReturnType<typeof stableSummary> }[];
}

/** The budget every strategy shares: its first capped dimension. */
export function budgetAxis(loaded: LoadedCampaign): { axis: BudgetAxis; cap: number } {
  const b = loaded.config.budget;
  if (b.usd !== undefined) return { axis: "usd", cap: b.usd };
  if (b.calls !== undefined) return { axis: "calls", cap: b.calls };
  if (b.tokens !== undefined) return { axis: "tokens", cap: b.tokens };
  throw new UserError(`${loaded.file}: budget: a benchmark compares strategies at equal budget, so it needs a cap (budget.usd, budget.calls or budget.tokens)`);
}

/**
 * A row's settings in a comparison: a `bench.variants` label's own settings; else for a strategy
 * `bench.strategies.<name>`, else the campaign's own when it is that strategy, else defaults.
 */
export function strategySettings(loaded: LoadedCampaign, name: string): Record<string, unknown> {
  const variant = loaded.config.bench?.variants?.[name];
  if (!variant && !(STRATEGIES as readonly string[]).includes(name)) {
    const labels = Object.keys(loaded.config.bench?.variants ?? {});
    throw new UserError(`--strategies: unknown strategy or variant "${name}" (expected ${[...STRATEGIES, ...labels].join(", ")})`);
  }
  const own = variant ? undefined : loaded.config.bench?.strategies?.[name as StrategyName];
  const raw = variant ?? (own ? { ...own, name } : loaded.config.strategy.name === name ? loaded.config.strategy : { name });
  const where = variant ? `bench.variants.${name}` : `bench.strategies.${name}`;
  const parsed = StrategySchema.safeParse(raw);
  if (!parsed.success) throw new UserError(`${loaded.file}: ${where}: ${formatIssue(parsed.error.issues[0]!, raw)}`);
  return parsed.data as Record<string, unknown>;
}

/** A comma list of strategy names or variant labels (checked against the campaign when it loads). */
export function parseStrategies(list: string): string[] {
  const names = list.split(",").map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new UserError("--strategies: name at least one strategy");
  return names;
}

export async function benchStrategies(campaignFile: string, opts: BenchOptions): Promise<BenchResult> {
  const loaded = loadCampaign(campaignFile, { sets: opts.sets });
  const { axis, cap } = budgetAxis(loaded);
  if (!Number.isInteger(opts.seeds) || opts.seeds < 1) throw new UserError("--seeds: expected a positive integer");
  const seeds = Array.from({ length: opts.seeds }, (_, i) => loaded.config.seed + i);
  const specs: RunSpec[] = opts.strategies.flatMap((name) => {
    const settings = JSON.stringify(strategySettings(loaded, name));
    return seeds.map((seed) => ({ label: name, seed, sets: [...(opts.sets ?? []), `strategy=${settings}`], out: join(opts.out, "runs", name, `seed-${seed}`) }));
  });
  const outcomes = await runAll(loaded.file, specs, opts);
  const by = (name: string) => outcomes.filter((o) => o.spec.label === name).sort((a, b) => a.spec.seed - b.spec.seed);
  const strategies = opts.strategies.map((name) => groupStats(name, by(name).map((o) => o.summary), axis, cap));
  const islands = by("islands").map((o) => o.summary);
  const versusIslands = islands.length
    ? opts.strategies.filter((n) => n !== "islands").map((n) => ({ strategy: n, ...pairedComparison(islands, by(n).map((o) => o.summary)) }))
    : [];
  const result: BenchResult = {
    campaign: relative(process.cwd(), loaded.file),
    axis,
    cap,
    simulated: strategies.every((s) => s.expected !== undefined),
    seeds,
    strategies,
    versusIslands,
    runs: outcomes.map((o: RunOutcome) => ({ strategy: o.spec.label, seed: o.spec.seed, summary: stableSummary(o.summary) })),
  };
  await writeBench(opts.out, result);
  return result;
}

const AXIS_TITLE: Record<BudgetAxis, string> = { usd: "budget spent (USD)", calls: "budget spent (calls)", tokens: "budget spent (tokens)" };

export async function writeBench(out: string, r: BenchResult): Promise<void> {
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "bench.json"), JSON.stringify(r, null, 2) + "\n");
  const svg = await lineChartSvg({
    title: `Anytime: ${r.simulated ? "expected val success (simulated)" : "best train score"} vs budget`,
    x: { field: "x", title: AXIS_TITLE[r.axis] },
    y: { field: "y", title: r.simulated ? "expected val success of the best-by-train harness" : "best train score" },
    series: { field: "strategy", title: "strategy" },
    data: r.strategies.flatMap((s) => s.anytime.map((p) => ({ strategy: s.label, x: p.x, y: p.y }))),
  });
  writeFileSync(join(out, "anytime.svg"), svg);
  writeFileSync(join(out, "bench.md"), benchMarkdown(r));
}

export function benchMarkdown(r: BenchResult): string {
  const capText = r.axis === "usd" ? formatUsd(r.cap) : `${formatCount(r.cap)} ${r.axis}`;
  const lines = [
    `# Strategies at equal budget: ${r.campaign}`,
    "",
    r.simulated
      ? "> Simulated models: a synthetic landscape calibrated to published figures, not evidence about real models."
      : "> Real endpoints.",
    "",
    `Every strategy ran under the same cap (${capText}) with seeds ${r.seeds.join(", ")}. Intervals are 95% Student-t intervals over seeds.`,
    "",
    markdownTable(
      ["strategy", "runs", "val", "test", ...(r.simulated ? ["expected val (sim)", "fraction of optimum"] : []), "val gain over seed", "calls (paid)", "tokens", "paid", `max charged / cap`, "status"],
      r.strategies.map((s) => [
        s.label,
        s.runs,
        formatInterval(s.val),
        formatInterval(s.test),
        ...(r.simulated ? [formatInterval(s.expected!), formatInterval(s.fractionOfOptimum!)] : []),
        formatInterval(s.valGain),
        formatCount(Math.round(s.paidCalls)),
        formatCount(Math.round(s.tokens)),
        formatUsd(s.usd),
        `${(s.maxCharged[r.axis] / r.cap).toFixed(3)}`,
        Object.entries(s.statuses)
          .map(([k, v]) => `${v} ${k}`)
          .join(", "),
      ]),
      ["l", "r", "r", "r", ...(r.simulated ? ["r", "r"] : []), "r", "r", "r", "r", "r", "l"] as ("l" | "r")[],
    ),
    "",
  ];
  if (r.versusIslands.length) {
    lines.push(
      "Islands minus each baseline, paired by seed (positive: islands ahead):",
      "",
      markdownTable(
        ["baseline", "val difference", ...(r.simulated ? ["expected val difference (sim)"] : [])],
        r.versusIslands.map((v) => [v.strategy, formatInterval(v.val), ...(r.simulated ? [formatInterval(v.expected!)] : [])]),
        ["l", "r", "r"],
      ),
      "",
    );
  }
  lines.push("![anytime curves](anytime.svg)", "");
  lines.push(
    "Runs:",
    "",
    markdownTable(
      ["strategy", "seed", "status", "seed val", "best val", "best test", "paid", "calls (paid)", "why it stopped"],
      r.runs.map((x) => [x.strategy, x.seed, x.summary.status, fmt(x.summary.seedHarness.valScore), fmt(x.summary.best.valScore), fmt(x.summary.best.testScore), formatUsd(x.summary.spend.usd), formatCount(x.summary.spend.calls - x.summary.spend.cachedCalls), x.summary.reason ?? ""]),
      ["l", "r", "l", "r", "r", "r", "r", "r", "l"],
    ),
    "",
  );
  return lines.join("\n");
}

function fmt(x: number | null): string {
  return x === null ? "n/a" : x.toFixed(3);
}
