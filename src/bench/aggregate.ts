import type { RunSummary } from "../campaign/summary.js";
import { mean, meanInterval, median, pairedDifference, type Interval } from "./stats.js";

/** The budget dimension benchmarks are compared on: the first capped of usd, calls, tokens. */
export type BudgetAxis = "usd" | "calls" | "tokens";

export interface GroupStats {
  label: string;
  runs: number;
  /** The seed harness's val score (the same harness, judged under each run's models and seed). */
  seedVal: Interval;
  val: Interval;
  test: Interval;
  /** Simulated campaigns: noise-free expected val success of the winner, and its fraction of the optimum. */
  expected?: Interval;
  fractionOfOptimum?: Interval;
  /** Gain of the winner over the seed harness (val, and noise-free expected for sims). */
  valGain: Interval;
  expectedGain?: Interval;
  /** Mean calls per run: all of them, and those paid (not served from the cache). */
  calls: number;
  paidCalls: number;
  tokens: number;
  usd: number;
  /** The most any run of the group was charged, per budget dimension. */
  maxCharged: { usd: number; tokens: number; calls: number };
  statuses: Record<string, number>;
  /** Mean anytime curve: at each budget level, the mean of the best score reached so far. */
  anytime: { x: number; y: number }[];
}

/** What a summary is scored on at the end of the run and along the way (expected when simulated). */
export function curveValue(p: RunSummary["anytime"][number]): number | null {
  return p.bestExpected ?? p.bestTrain;
}

export function anytimeGrid(cap: number, steps = 20): number[] {
  return Array.from({ length: steps + 1 }, (_, i) => (cap * i) / steps);
}

/** A run's best-so-far at budget level x: the last point charged at most x. */
export function valueAt(s: RunSummary, axis: BudgetAxis, x: number): number | null {
  let v: number | null = null;
  for (const p of s.anytime ?? []) if (p[axis] <= x + 1e-12) v = curveValue(p) ?? v;
  return v;
}

export function groupStats(label: string, runs: readonly RunSummary[], axis: BudgetAxis, cap: number): GroupStats {
  const num = (x: number | null | undefined) => (x === null || x === undefined ? NaN : x);
  const sim = runs.every((r) => r.simExpected && r.simOptimum);
  const statuses: Record<string, number> = {};
  for (const r of runs) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  const grid = anytimeGrid(cap);
  const anytime = grid
    .map((x) => {
      const values = runs.map((r) => valueAt(r, axis, x)).filter((v): v is number => v !== null);
      return values.length === runs.length ? { x, y: mean(values) } : undefined;
    })
    .filter((p): p is { x: number; y: number } => p !== undefined);
  return {
    label,
    runs: runs.length,
    seedVal: meanInterval(runs.map((r) => num(r.seedHarness.valScore))),
    val: meanInterval(runs.map((r) => num(r.best.valScore))),
    test: meanInterval(runs.map((r) => num(r.best.testScore)).filter(Number.isFinite)),
    ...(sim
      ? {
          expected: meanInterval(runs.map((r) => r.simExpected!.best)),
          fractionOfOptimum: meanInterval(runs.map((r) => r.simExpected!.best / r.simOptimum!)),
          expectedGain: meanInterval(runs.map((r) => r.simExpected!.best - r.simExpected!.seed)),
        }
      : {}),
    valGain: meanInterval(runs.map((r) => num(r.best.valScore) - num(r.seedHarness.valScore))),
    calls: mean(runs.map((r) => r.spend.calls)),
    paidCalls: mean(runs.map((r) => r.spend.calls - r.spend.cachedCalls)),
    tokens: mean(runs.map((r) => r.spend.inputTokens + r.spend.outputTokens)),
    usd: mean(runs.map((r) => r.spend.usd)),
    maxCharged: {
      usd: Math.max(...runs.map((r) => r.budget.charged.usd)),
      tokens: Math.max(...runs.map((r) => r.budget.charged.tokens)),
      calls: Math.max(...runs.map((r) => r.budget.charged.calls)),
    },
    statuses,
    anytime,
  };
}

/** A beats B on the same seeds: the paired difference of val (and expected, for sims). */
export function pairedComparison(a: readonly RunSummary[], b: readonly RunSummary[]): { val: Interval; expected?: Interval } {
  const val = pairedDifference(
    a.map((r) => r.best.valScore ?? NaN),
    b.map((r) => r.best.valScore ?? NaN),
  );
  const sim = [...a, ...b].every((r) => r.simExpected);
  return sim ? { val, expected: pairedDifference(a.map((r) => r.simExpected!.best), b.map((r) => r.simExpected!.best)) } : { val };
}

/** Run summaries without wall-clock fields, so a benchmark's files are the same for the same seeds. */
export function stableSummary(s: RunSummary): Omit<RunSummary, "durationMs" | "finishedAt"> {
  const { durationMs: _d, finishedAt: _f, ...rest } = s;
  return rest;
}

/** The first budget level (on `axis`) where a run's curve (best by train so far: expected val when simulated, else train) reaches `target`; undefined if never. */
export function budgetToReach(s: Pick<RunSummary, "anytime">, target: number, axis: BudgetAxis): number | undefined {
  for (const p of s.anytime ?? []) {
    const v = curveValue(p);
    if (v !== null && v !== undefined && v >= target - 1e-12) return p[axis];
  }
  return undefined;
}

/**
 * How soon each run reached its reference's final score, paired by seed: per seed, the calls
 * at which `runs[i]`'s curve first reached the last value of `reference[i]`'s curve, as a
 * fraction of `reference[i]`'s paid calls. Median over the seeds that reached it, and how many did.
 */
export function callsToReach(runs: readonly RunSummary[], reference: readonly RunSummary[]): { median: number | null; reached: number; of: number; fractions: (number | null)[] } {
  if (runs.length !== reference.length) throw new RangeError(`paired runs differ in number: ${runs.length} vs ${reference.length}`);
  const fractions = runs.map((s, i) => {
    const ref = reference[i]!;
    const target = ref.anytime?.length ? curveValue(ref.anytime.at(-1)!) : null;
    const paid = ref.spend.calls - ref.spend.cachedCalls;
    const at = target === null || target === undefined ? undefined : budgetToReach(s, target, "calls");
    return at === undefined || !(paid > 0) ? null : at / paid;
  });
  const reached = fractions.filter((f): f is number => f !== null);
  return { median: median(reached), reached: reached.length, of: runs.length, fractions };
}

/** A paired difference (a minus b) over the seeds where both are known: the interval carries that n. */
export function pairedKnown(a: readonly (number | null | undefined)[], b: readonly (number | null | undefined)[]): Interval {
  const ok = a.map((x, i) => [x, b[i]] as const).filter((p): p is readonly [number, number] => typeof p[0] === "number" && Number.isFinite(p[0]) && typeof p[1] === "number" && Number.isFinite(p[1]));
  return pairedDifference(ok.map((p) => p[0]), ok.map((p) => p[1]));
}
