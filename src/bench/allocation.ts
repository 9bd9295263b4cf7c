import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { loadCampaign } from "../config/load.js";
import { UserError } from "../config/errors.js";
import { groupStats, stableSummary, type BudgetAxis, type GroupStats } from "./aggregate.js";
import { barChartSvg } from "./charts.js";
import { runAll, type RunnerOptions, type RunSpec } from "./runner.js";
import { budgetAxis } from "./strategies.js";
import { formatCount, formatInterval, formatUsd, markdownTable } from "./table.js";

/** A split of one total budget over the roles (shares sum to 1). */
export interface Split {
  evolver: number;
  user: number;
  verifier: number;
}

/** The default grid: from evolver-light to evolver-heavy, with the verifier's share varied too. */
export const DEFAULT_SPLITS: readonly Split[] = [
  { evolver: 0.05, user: 0.8, verifier: 0.15 },
  { evolver: 0.1, user: 0.75, verifier: 0.15 },
  { evolver: 0.1, user: 0.85, verifier: 0.05 },
  { evolver: 0.1, user: 0.6, verifier: 0.3 },
  { evolver: 0.2, user: 0.6, verifier: 0.2 },
  { evolver: 0.2, user: 0.7, verifier: 0.1 },
  { evolver: 0.3, user: 0.5, verifier: 0.2 },
  { evolver: 0.4, user: 0.4, verifier: 0.2 },
];

export interface AllocationOptions extends RunnerOptions {
  total: number;
  seeds: number;
  out: string;
  sets?: string[];
  splits?: readonly Split[];
}

export interface AllocationResult {
  campaign: string;
  axis: BudgetAxis;
  total: number;
  simulated: boolean;
  seeds: number[];
  /** One group per split (label `evolver/user/verifier`), then `shared` (no split) and `adaptive`. */
  groups: GroupStats[];
  bestSplit: string;
  runs: { allocation: string; seed: number; summary: ReturnType<typeof stableSummary> }[];
}

export const splitLabel = (s: Split) => `${s.evolver}/${s.user}/${s.verifier}`;

/** Held-out score a group is ranked on: noise-free expected val success when simulated, else test. */
function heldOut(g: GroupStats, simulated: boolean): number {
  return simulated ? g.expected!.mean : g.test.mean;
}

/** The best of the fixed splits by held-out score (ties: the earlier in the grid). */
export function bestOf(fixed: readonly GroupStats[], simulated: boolean): GroupStats {
  if (fixed.length === 0) throw new RangeError("no splits to choose from");
  return fixed.reduce((best, g) => (heldOut(g, simulated) > heldOut(best, simulated) ? g : best));
}

export async function benchAllocation(campaignFile: string, opts: AllocationOptions): Promise<AllocationResult> {
  if (!(opts.total > 0)) throw new UserError("--total: expected a positive budget (in the campaign's budget unit)");
  const loaded = loadCampaign(campaignFile, { sets: opts.sets });
  const { axis } = budgetAxis(loaded);
  const seeds = Array.from({ length: opts.seeds }, (_, i) => loaded.config.seed + i);
  const splits = opts.splits ?? DEFAULT_SPLITS;
  const budgets: [string, Record<string, unknown>][] = [
    ...splits.map((s): [string, Record<string, unknown>] => [splitLabel(s), { [axis]: opts.total, split: s, policy: "fixed" }]),
    ["shared", { [axis]: opts.total, policy: "fixed" }],
    ["adaptive", { [axis]: opts.total, policy: "adaptive" }],
  ];
  const specs: RunSpec[] = budgets.flatMap(([label, budget]) =>
    seeds.map((seed) => ({ label, seed, sets: [...(opts.sets ?? []), `budget=${JSON.stringify(budget)}`], out: join(opts.out, "runs", label.replace(/\//g, "-"), `seed-${seed}`) })),
  );
  const outcomes = await runAll(loaded.file, specs, opts);
  const groups = budgets.map(([label]) =>
    groupStats(
      label,
      outcomes.filter((o) => o.spec.label === label).sort((a, b) => a.spec.seed - b.spec.seed).map((o) => o.summary),
      axis,
      opts.total,
    ),
  );
  const simulated = groups.every((g) => g.expected !== undefined);
  const best = bestOf(groups.slice(0, splits.length), simulated);
  const result: AllocationResult = {
    campaign: relative(process.cwd(), loaded.file),
    axis,
    total: opts.total,
    simulated,
    seeds,
    groups,
    bestSplit: best.label,
    runs: outcomes.map((o) => ({ allocation: o.spec.label, seed: o.spec.seed, summary: stableSummary(o.summary) })),
  };
  mkdirSync(opts.out, { recursive: true });
  writeFileSync(join(opts.out, "allocation.json"), JSON.stringify(result, null, 2) + "\n");
  const field = simulated ? "expected" : "test";
  writeFileSync(
    join(opts.out, "allocation.svg"),
    await barChartSvg({
      title: `Held-out score per budget split (evolver/user/verifier), total ${opts.total} ${axis}`,
      category: { field: "allocation", title: "allocation" },
      value: { field: "score", title: simulated ? "expected val success of the winner (simulated)" : "test score of the winner" },
      low: "low",
      high: "high",
      data: groups.map((g) => ({ allocation: g.label, score: g[field]!.mean, low: g[field]!.low, high: g[field]!.high })),
    }),
  );
  writeFileSync(join(opts.out, "allocation.md"), allocationMarkdown(result));
  return result;
}

export function allocationMarkdown(r: AllocationResult): string {
  const total = r.axis === "usd" ? formatUsd(r.total) : `${formatCount(r.total)} ${r.axis}`;
  const best = r.groups.find((g) => g.label === r.bestSplit)!;
  const adaptive = r.groups.find((g) => g.label === "adaptive")!;
  const score = (g: GroupStats) => (r.simulated ? g.expected! : g.test);
  return [
    `# Splitting one budget over evolver, user and verifier: ${r.campaign}`,
    "",
    r.simulated ? "> Simulated models: a synthetic landscape calibrated to published figures, not evidence about real models." : "> Real endpoints.",
    "",
    `Total budget ${total}; seeds ${r.seeds.join(", ")}; intervals are 95% Student-t over seeds. A fixed split caps each role at its share, so the run ends when any role's share is spent. \`shared\`: one total, no role caps. \`adaptive\`: no role caps; while the best train score climbs a generation makes half again as many proposals, once it stalls it samples every answer twice.`,
    "",
    markdownTable(
      ["allocation", "runs", "val", "test", ...(r.simulated ? ["expected val (sim)"] : []), "paid", "calls (paid)", "charged / total", "status"],
      r.groups.map((g) => [
        g.label === r.bestSplit ? `**${g.label}** (best split)` : g.label,
        g.runs,
        formatInterval(g.val),
        formatInterval(g.test),
        ...(r.simulated ? [formatInterval(g.expected!)] : []),
        formatUsd(g.usd),
        formatCount(Math.round(g.paidCalls)),
        (g.maxCharged[r.axis] / r.total).toFixed(3),
        Object.entries(g.statuses).map(([k, v]) => `${v} ${k}`).join(", "),
      ]),
      ["l", "r", "r", "r", "r", "r", "r", "r", "l"],
    ),
    "",
    `Best fixed split (by ${r.simulated ? "expected val success" : "test score"}): **${r.bestSplit}** at ${formatInterval(score(best))}. Adaptive: ${formatInterval(score(adaptive))}, ${score(adaptive).mean >= score(best).mean ? "at or above" : "below"} the best fixed split.`,
    "",
    "![allocation](allocation.svg)",
    "",
  ].join("\n");
}
