import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { loadCampaign, type LoadedCampaign } from "../config/load.js";
import { UserError } from "../config/errors.js";
import { groupStats, stableSummary, type GroupStats } from "./aggregate.js";
import { barChartSvg } from "./charts.js";
import { runAll, type RunnerOptions, type RunSpec } from "./runner.js";
import { budgetAxis } from "./strategies.js";
import { formatCount, formatInterval, formatUsd, markdownTable } from "./table.js";

/**
 * Who benefits from an evolved harness, after "Harness Updating Is Not Harness Benefit"
 * (arXiv 2605.30621): (a) the user model fixed, the evolver varied: the update gain per
 * evolver; (b) the evolver fixed, the user model varied: the benefit per user model.
 */
export interface TiersOptions extends RunnerOptions {
  evolvers: string[];
  users: string[];
  seeds: number;
  out: string;
  sets?: string[];
}

export interface TiersResult {
  campaign: string;
  simulated: boolean;
  seeds: number[];
  fixedUser: string;
  fixedEvolver: string;
  update: GroupStats[];
  benefit: GroupStats[];
  runs: { experiment: "update" | "benefit"; model: string; seed: number; summary: ReturnType<typeof stableSummary> }[];
}

/** A model named by key (from the campaign) or by model name (added as a new model entry). */
function bind(loaded: LoadedCampaign, role: "evolver" | "user", name: string): string[] {
  const key = `tier_${role}`;
  if (name in loaded.config.models) return [`roles.${role}=${name}`];
  const like = Object.values(loaded.config.models).find((m) => m.model === name);
  const model = like ? JSON.stringify(like) : JSON.stringify({ model: name });
  return [`models.${key}=${model}`, `roles.${role}=${key}`];
}

function describe(binding: unknown): string {
  return typeof binding === "string" ? binding : (binding as { model: string }[]).map((b) => b.model).join("+");
}

export async function benchTiers(campaignFile: string, opts: TiersOptions): Promise<TiersResult> {
  const loaded = loadCampaign(campaignFile, { sets: opts.sets });
  const { axis, cap } = budgetAxis(loaded);
  if (opts.evolvers.length === 0 || opts.users.length === 0) throw new UserError("--evolvers and --users: name at least one model each");
  const seeds = Array.from({ length: opts.seeds }, (_, i) => loaded.config.seed + i);
  const spec = (experiment: string, model: string, sets: string[]): RunSpec[] =>
    seeds.map((seed) => ({ label: `${experiment}:${model}`, seed, sets: [...(opts.sets ?? []), ...sets], out: join(opts.out, "runs", experiment, model.replace(/[^A-Za-z0-9_.-]/g, "_"), `seed-${seed}`) }));
  const specs = [...opts.evolvers.flatMap((e) => spec("update", e, bind(loaded, "evolver", e))), ...opts.users.flatMap((u) => spec("benefit", u, bind(loaded, "user", u)))];
  const outcomes = await runAll(loaded.file, specs, opts);
  const group = (label: string) =>
    outcomes
      .filter((o) => o.spec.label === label)
      .sort((a, b) => a.spec.seed - b.spec.seed)
      .map((o) => o.summary);
  const update = opts.evolvers.map((e) => groupStats(e, group(`update:${e}`), axis, cap));
  const benefit = opts.users.map((u) => groupStats(u, group(`benefit:${u}`), axis, cap));
  const result: TiersResult = {
    campaign: relative(process.cwd(), loaded.file),
    simulated: [...update, ...benefit].every((g) => g.expectedGain !== undefined),
    seeds,
    fixedUser: describe(loaded.config.roles.user),
    fixedEvolver: describe(loaded.config.roles.evolver),
    update,
    benefit,
    runs: outcomes.map((o) => {
      const [experiment, model] = o.spec.label.split(/:(.*)/s) as ["update" | "benefit", string];
      return { experiment, model, seed: o.spec.seed, summary: stableSummary(o.summary) };
    }),
  };
  await writeTiers(opts.out, result);
  return result;
}

async function writeTiers(out: string, r: TiersResult): Promise<void> {
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "tiers.json"), JSON.stringify(r, null, 2) + "\n");
  const gainField = r.simulated ? "expectedGain" : "valGain";
  const rows = (groups: GroupStats[]) => groups.map((g) => ({ model: g.label, gain: g[gainField]!.mean, low: g[gainField]!.low, high: g[gainField]!.high }));
  const yTitle = r.simulated ? "gain in expected val success (simulated)" : "val gain over the seed harness";
  writeFileSync(join(out, "update-gain.svg"), await barChartSvg({ title: `Update gain per evolver (user fixed: ${r.fixedUser})`, category: { field: "model", title: "evolver" }, value: { field: "gain", title: yTitle }, low: "low", high: "high", data: rows(r.update) }));
  writeFileSync(join(out, "benefit.svg"), await barChartSvg({ title: `Benefit per user model (evolver fixed: ${r.fixedEvolver})`, category: { field: "model", title: "user model" }, value: { field: "gain", title: yTitle }, low: "low", high: "high", data: rows(r.benefit) }));
  writeFileSync(join(out, "tiers.md"), tiersMarkdown(r));
}

export function tiersMarkdown(r: TiersResult): string {
  const table = (groups: GroupStats[], who: string) =>
    markdownTable(
      [who, "runs", "seed val", "best val", "val gain", ...(r.simulated ? ["expected gain (sim)", "fraction of optimum"] : []), "paid", "calls (paid)"],
      groups.map((g) => [
        g.label,
        g.runs,
        formatInterval(g.seedVal),
        formatInterval(g.val),
        formatInterval(g.valGain),
        ...(r.simulated ? [formatInterval(g.expectedGain!), formatInterval(g.fractionOfOptimum!)] : []),
        formatUsd(g.usd),
        formatCount(Math.round(g.paidCalls)),
      ]),
      ["l", "r", "r", "r", "r", "r", "r", "r", "r"],
    );
  const spread = (groups: GroupStats[]) => {
    const key = r.simulated ? "expectedGain" : "valGain";
    const means = groups.map((g) => g[key]!.mean);
    return Math.max(...means) - Math.min(...means);
  };
  return [
    `# Who benefits from an evolved harness: ${r.campaign}`,
    "",
    r.simulated ? "> Simulated models: a synthetic landscape calibrated to published figures, not evidence about real models." : "> Real endpoints.",
    "",
    `Design after "Harness Updating Is Not Harness Benefit" (arXiv 2605.30621). Seeds ${r.seeds.join(", ")}; intervals are 95% Student-t over seeds. Gain = the winner's score minus the seed harness's, under the same user model.`,
    "",
    `## (a) Update gain: user fixed (${r.fixedUser}), evolver varied`,
    "",
    table(r.update, "evolver"),
    "",
    `Spread of the mean gain across evolvers: ${spread(r.update).toFixed(3)}.`,
    "",
    "![update gain](update-gain.svg)",
    "",
    `## (b) Benefit: evolver fixed (${r.fixedEvolver}), user model varied`,
    "",
    table(r.benefit, "user model"),
    "",
    `Largest benefit: ${[...r.benefit].sort((a, b) => (b.expectedGain ?? b.valGain).mean - (a.expectedGain ?? a.valGain).mean)[0]?.label ?? "n/a"}.`,
    "",
    "![benefit](benefit.svg)",
    "",
  ].join("\n");
}
