import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunSummary } from "../campaign/summary.js";
import { UserError } from "../config/errors.js";
import { WORLD_PRESET_NAMES } from "../config/schema.js";
import { benchStrategies, type BenchOptions, type BenchResult } from "./strategies.js";
import { callsToReach, pairedKnown } from "./aggregate.js";
import { clampInterval, type Interval } from "./stats.js";
import { formatInterval, markdownTable } from "./table.js";

/**
 * The map of where each strategy wins: the strategies benchmark on several simulated world
 * presets (docs/SIM-WORLD.md), each preset in its own folder, and one table across them.
 */
export interface MapOptions extends BenchOptions {
  presets: string[];
}

export interface MapRow {
  preset: string;
  strategy: string;
  runs: number;
  val: Interval;
  expected?: Interval;
  fractionOfOptimum?: Interval;
  /** Islands minus this row, paired by seed (undefined for islands itself). */
  versusIslands?: { val: Interval; expected?: Interval };
  /**
   * Calls at which the row's anytime curve (best by train so far: expected val when simulated,
   * else train) first reached the final value of best-of-N's curve on the same seed, as a
   * fraction of best-of-N's paid calls: the median over the seeds that reached it, and how many did.
   */
  toBestOfN?: { median: number | null; reached: number; of: number };
}

export interface MapResult {
  campaign: string;
  presets: string[];
  seeds: number[];
  rows: MapRow[];
  benches: Record<string, BenchResult>;
}

export function parsePresets(list: string): string[] {
  const names = list.split(",").map((s) => s.trim()).filter(Boolean);
  for (const n of names) if (!(WORLD_PRESET_NAMES as readonly string[]).includes(n)) throw new UserError(`--presets: unknown world preset "${n}" (expected ${WORLD_PRESET_NAMES.join(", ")})`);
  if (names.length === 0) throw new UserError("--presets: name at least one preset");
  return names;
}

export { budgetToReach } from "./aggregate.js";

/** What a run's winner scores: noise-free expected val for sims, else val. */
function finalScore(s: RunSummary): number | null {
  return s.simExpected?.best ?? s.best.valScore;
}

export function mapRows(preset: string, r: BenchResult): MapRow[] {
  const summaries = (label: string) => r.runs.filter((x) => x.strategy === label).sort((a, b) => a.seed - b.seed).map((x) => x.summary as RunSummary);
  const bon = summaries("best-of-n");
  const islands = summaries("islands");
  const seedsOf = (label: string) => r.runs.filter((x) => x.strategy === label).map((x) => x.seed).sort((a, b) => a - b).join(",");
  return r.strategies.map((g) => {
    const runs = summaries(g.label);
    const row: MapRow = { preset, strategy: g.label, runs: g.runs, val: g.val, expected: g.expected, fractionOfOptimum: g.fractionOfOptimum };
    if (islands.length && g.label !== "islands" && seedsOf("islands") === seedsOf(g.label)) {
      const val = pairedKnown(islands.map((s) => s.best.valScore), runs.map((s) => s.best.valScore));
      const sim = [...islands, ...runs].every((s) => s.simExpected);
      row.versusIslands = { val, ...(sim ? { expected: pairedKnown(islands.map(finalScore), runs.map(finalScore)) } : {}) };
    }
    if (bon.length > 0 && seedsOf("best-of-n") === seedsOf(g.label)) {
      const { fractions: _f, ...reach } = callsToReach(runs, bon);
      row.toBestOfN = reach;
    }
    return row;
  });
}

export async function benchMap(campaignFile: string, opts: MapOptions): Promise<MapResult> {
  const benches: Record<string, BenchResult> = {};
  for (const preset of opts.presets) {
    benches[preset] = await benchStrategies(campaignFile, { ...opts, sets: [...(opts.sets ?? []), `sim.preset=${preset}`], out: join(opts.out, preset) });
  }
  const first = benches[opts.presets[0]!]!;
  const result: MapResult = {
    campaign: first.campaign,
    presets: opts.presets,
    seeds: first.seeds,
    rows: opts.presets.flatMap((p) => mapRows(p, benches[p]!)),
    benches,
  };
  mkdirSync(opts.out, { recursive: true });
  const { benches: _b, ...flat } = result;
  writeFileSync(join(opts.out, "map.json"), JSON.stringify(flat, null, 2) + "\n");
  writeFileSync(join(opts.out, "map.md"), mapMarkdown(result));
  return result;
}

/** An interval shown within the metric's range; with its n when asked (paired differences). */
function shown(i: Interval | undefined, lo: number, hi: number, withN = false): string {
  if (!i) return "";
  const text = formatInterval(clampInterval(i, lo, hi));
  return withN && text !== "n/a" ? `${text} (n=${i.n})` : text;
}

export function mapMarkdown(m: MapResult): string {
  const n = m.seeds.length;
  const sim = m.rows.every((r) => r.expected);
  const lines = [
    `# Where each strategy wins: ${m.campaign}, world presets ${m.presets.join(", ")}`,
    "",
    sim ? "> Simulated models on simulated worlds (docs/SIM-WORLD.md): a testbed, not evidence about real models." : "> Real endpoints.",
    "",
    `Every strategy ran at equal budget on each preset, seeds ${m.seeds.join(", ")} (n = ${n}). Intervals are 95% Student-t intervals over seeds, shown clipped to the metric's range.` +
      (n < 3 ? ` **Only ${n} seed${n === 1 ? "" : "s"}: fewer than 3 seeds, the intervals are too wide to conclude anything.**` : ""),
    "Islands − row: paired by seed (n pairs), positive when islands are ahead. Calls to reach best-of-N: per seed, the calls at which the row's anytime curve (best by train so far" +
      (sim ? ", scored by its expected val" : ", scored by train") +
      ") first reached the final value of best-of-N's curve on the same seed, as a fraction of best-of-N's paid calls; the median over the seeds that reached it (reached/seeds).",
    "",
    markdownTable(
      [
        "preset",
        "strategy",
        "n",
        ...(sim ? ["expected val (sim)"] : []),
        "val",
        ...(sim ? ["fraction of optimum", "islands − row: expected val"] : []),
        "islands − row: val",
        "calls to reach best-of-N",
      ],
      m.rows.map((r) => [
        r.preset,
        r.strategy,
        r.runs,
        ...(sim ? [shown(r.expected, 0, 1)] : []),
        shown(r.val, 0, 1),
        ...(sim ? [shown(r.fractionOfOptimum, 0, 1), r.versusIslands?.expected ? shown(r.versusIslands.expected, -1, 1, true) : ""] : []),
        r.versusIslands ? shown(r.versusIslands.val, -1, 1, true) : "",
        r.toBestOfN ? `${r.toBestOfN.median === null ? "never" : r.toBestOfN.median.toFixed(2)} (${r.toBestOfN.reached}/${r.toBestOfN.of})` : "",
      ]),
      ["l", "l", "r", ...(sim ? ["r"] : []), "r", ...(sim ? ["r", "r"] : []), "r", "r"] as ("l" | "r")[],
    ),
    "",
    `Per preset: ${m.presets.map((p) => `[${p}](${p}/bench.md)`).join(", ")}.`,
    "",
  ];
  return lines.join("\n");
}
