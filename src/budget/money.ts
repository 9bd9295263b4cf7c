/**
 * Dollar sums that do not depend on the order they are added in. Float addition is not
 * associative, so totals summed as calls settle (in completion order) could differ in the
 * last bit between two runs of the same seed, and a budget edge compared against them could
 * move. Amounts are kept as whole nano-dollars (exact integers up to about $9 million).
 */
export const NANOS_PER_USD = 1e9;

export function toNanos(usd: number): number {
  return Number.isFinite(usd) ? Math.round(usd * NANOS_PER_USD) : usd;
}

export function fromNanos(nanos: number): number {
  return Number.isFinite(nanos) ? nanos / NANOS_PER_USD : nanos;
}

/** `a + b` in dollars, exact whatever the order of a run of additions (both rounded to nano-dollars). */
export function addUsd(a: number, b: number): number {
  return fromNanos(toNanos(a) + toNanos(b));
}
