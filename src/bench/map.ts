import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { RunSummary } from "../campaign/summary.js";
import { UserError } from "../config/errors.js";
import { WORLD_PRESET_NAMES } from "../config/schema.js";
import { benchStrategies, type BenchOptions, type BenchResult } from "./strategies.js";
import { pairedDifference, type Interval } from "./stats.js";
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
  /** Budget (on the bench's axis) at which the anytime curve first reached best-of-N's final score, as a fraction of best-of-N's spend. */
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

/** What a run is scored on: noise-free expected val for sims, else val. */
function finalScore(s: RunSummary): number {
  return s.simExpected?.best ?? s.best.valScore ?? NaN;
}

/** The first budget level where `s`'s curve reaches `target`, or undefined. Curves carry the best-by-train so far. */
export function budgetToReach(s: RunSummary, target: number, axis: BenchResult["axis"]): number | undefined {
  for (const p of s.anytime ?? []) {
    const v = p.bestExpected ?? p.bestTrain;
    if (v !== null && v !== undefined && v >= target - 1e-12) return p[axis];
  }
  return undefined;
}

function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function mapRows(preset: string, r: BenchResult): MapRow[] {
  const summaries = (label: string) => r.runs.filter((x) => x.strategy === label).sort((a, b) => a.seed - b.seed).map((x) => x.summary as RunSummary);
  const bon = summaries("best-of-n");
  const islands = summaries("islands");
  return r.strategies.map((g) => {
    const runs = summaries(g.label);
    const row: MapRow = { preset, strategy: g.label, runs: g.runs, val: g.val, expected: g.expected, fractionOfOptimum: g.fractionOfOptimum };
    if (islands.length && g.label !== "islands") {
      const val = pairedDifference(islands.map((s) => s.best.valScore ?? NaN), runs.map((s) => s.best.valScore ?? NaN));
      const sim = [...islands, ...runs].every((s) => s.simExpected);
      row.versusIslands = { val, ...(sim ? { expected: pairedDifference(islands.map(finalScore), runs.map(finalScore)) } : {}) };
    }
    if (bon.length === runs.length && bon.length > 0) {
      const fractions: number[] = [];
      runs.forEach((s, i) => {
        const b = bon[i]!;
        const spent = b.anytime?.at(-1)?.[r.axis];
        const at = budgetToReach(s, finalScore(b), r.axis);
        if (at !== undefined && spent) fractions.push(at / spent);
      });
      row.toBestOfN = { median: median(fractions), reached: fractions.length, of: runs.length };
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
  writeFileSync(join(opts.out, "map.md"), mapMarkdown(result, opts.out));
  return result;
}

/** An interval shown within the metric's range, with n. */
function shown(i: Interval | undefined, lo: number, hi: number): string {
  if (!i) return "";
  const c = { ...i, low: Math.max(lo, i.low), high: Math.min(hi, i.high) };
  return formatInterval(c);
}

export function mapMarkdown(m: MapResult, out?: string): string {
  const n = m.seeds.length;
  const sim = m.rows.every((r) => r.expected);
  const lines = [
    `# Where each strategy wins: ${m.campaign}, world presets ${m.presets.join(", ")}`,
    "",
    sim ? "> Simulated models on simulated worlds (docs/SIM-WORLD.md): a testbed, not evidence about real models." : "> Real endpoints.",
    "",
    `Every strategy ran at equal budget on each preset, seeds ${m.seeds.join(", ")} (n = ${n}). Intervals are 95% Student-t intervals over seeds, shown clipped to the metric's range.` +
      (n < 3 ? " **Fewer than 3 seeds: the intervals are too wide to conclude anything.**" : ""),
    "Islands − row: paired by seed, positive when islands are ahead. To best-of-N: the budget at which the row's anytime curve (best by train so far" +
      (sim ? ", scored by expected val" : "") +
      ") first reached best-of-N's final score, as a fraction of best-of-N's spend: median over the seeds that reached it.",
    "",
    markdownTable(
      ["preset", "strategy", "val", ...(sim ? ["expected val (sim)", "fraction of optimum", "islands − row (expected)"] : ["islands − row (val)"]), "to best-of-N"],
      m.rows.map((r) => [
        r.preset,
        r.strategy,
        shown(r.val, 0, 1),
        ...(sim ? [shown(r.expected, 0, 1), shown(r.fractionOfOptimum, 0, 1), r.versusIslands?.expected ? shown(r.versusIslands.expected, -1, 1) : ""] : [r.versusIslands ? shown(r.versusIslands.val, -1, 1) : ""]),
        r.toBestOfN ? `${r.toBestOfN.median === null ? "never" : r.toBestOfN.median.toFixed(2)} (${r.toBestOfN.reached}/${r.toBestOfN.of})` : "",
      ]),
      ["l", "l", "r", ...(sim ? ["r", "r", "r"] : ["r"]), "r"] as ("l" | "r")[],
    ),
    "",
    ...m.presets.map((p) => `Per preset: [${p}](${out ? relative(out, join(out, p, "bench.md")) : join(p, "bench.md")}).`),
    "",
  ];
  return lines.join("\n");
}


