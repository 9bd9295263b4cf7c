/**
 * Small, pure summary statistics for benchmark reports: the mean and a
 * Student-t confidence interval of the mean, plus the paired-difference
 * interval used to ask "does A beat B on the same seeds?".
 */
import { createRequire } from "node:module";
import type tQuantileFn from "@stdlib/stats-base-dists-t-quantile";

/** @stdlib's t quantile (CommonJS, ~0.2 s of CPU to load), loaded by the first interval that needs it. */
let quantile: typeof tQuantileFn | undefined;
function tQuantile(p: number, df: number): number {
  quantile ??= createRequire(import.meta.url)("@stdlib/stats-base-dists-t-quantile") as typeof tQuantileFn;
  return quantile(p, df);
}

export interface Interval {
  mean: number;
  low: number;
  high: number;
  n: number;
  sd: number;
  level: number;
}

function assertFinite(xs: readonly number[], what: string): void {
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    if (typeof x !== "number" || !Number.isFinite(x)) {
      throw new RangeError(`${what}[${i}] is not a finite number: ${String(x)}`);
    }
  }
}

function assertLevel(level: number): void {
  if (typeof level !== "number" || !(level >= 0 && level < 1)) {
    throw new RangeError(`confidence level must be in [0, 1), got ${String(level)}`);
  }
}

/**
 * Arithmetic mean. Empty input → NaN. Non-finite inputs are a RangeError.
 * Exact for constant samples (the sum is taken relative to the first element).
 */
export function mean(xs: readonly number[]): number {
  assertFinite(xs, "xs");
  return meanOf(xs);
}

function meanOf(xs: readonly number[]): number {
  const n = xs.length;
  if (n === 0) return Number.NaN;
  const x0 = xs[0] as number;
  let s = 0;
  for (const x of xs) s += x - x0;
  const m = x0 + s / n;
  if (Number.isFinite(m)) return m;
  // The spread overflowed (values near ±Number.MAX_VALUE): use a running mean.
  let r = 0;
  for (let k = 0; k < n; k++) r += (xs[k] as number) / (k + 1) - r / (k + 1);
  return r;
}

/** Sample standard deviation (n-1 denominator), two-pass around the mean. */
function sampleSd(xs: readonly number[], m: number): number {
  let ss = 0;
  for (const x of xs) {
    const d = x - m;
    ss += d * d;
  }
  return Math.sqrt(ss / (xs.length - 1));
}

/**
 * Student-t confidence interval of the mean (sample sd, n-1 df).
 * n=1 → low=high=mean, sd=0; n=0 → mean/low/high/sd are NaN.
 * Non-finite inputs, or a level outside [0, 1), are a RangeError.
 */
export function meanInterval(xs: readonly number[], level = 0.95): Interval {
  assertLevel(level);
  assertFinite(xs, "xs");
  const n = xs.length;
  if (n === 0) {
    return { mean: Number.NaN, low: Number.NaN, high: Number.NaN, n: 0, sd: Number.NaN, level };
  }
  const m = meanOf(xs);
  if (n === 1) return { mean: m, low: m, high: m, n: 1, sd: 0, level };
  const sd = sampleSd(xs, m);
  if (sd === 0) return { mean: m, low: m, high: m, n, sd: 0, level };
  const t = tQuantile(1 - (1 - level) / 2, n - 1);
  const half = t === 0 ? 0 : (t * sd) / Math.sqrt(n); // level 0 → zero width, even if sd overflowed
  return { mean: m, low: m - half, high: m + half, n, sd, level };
}

/**
 * Confidence interval of the paired differences a[i] - b[i] (e.g. the same
 * seeds run under harness A and harness B). Lengths must match (RangeError).
 */
export function pairedDifference(a: readonly number[], b: readonly number[], level = 0.95): Interval {
  if (a.length !== b.length) {
    throw new RangeError(`paired samples differ in length: ${a.length} vs ${b.length}`);
  }
  assertLevel(level);
  assertFinite(a, "a");
  assertFinite(b, "b");
  const diffs = a.map((x, i) => x - (b[i] as number));
  assertFinite(diffs, "a-b");
  return meanInterval(diffs, level);
}

/** The median; null for no values. Non-finite inputs are a RangeError. */
export function median(xs: readonly number[]): number | null {
  assertFinite(xs, "xs");
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** An interval as shown: its bounds (and mean) kept within the metric's range [lo, hi]; n and sd unchanged. */
export function clampInterval(i: Interval, lo: number, hi: number): Interval {
  const c = (x: number) => (Number.isNaN(x) ? x : Math.min(hi, Math.max(lo, x)));
  return { ...i, mean: c(i.mean), low: c(i.low), high: c(i.high) };
}
