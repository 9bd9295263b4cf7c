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

/**
 * Nano-dollars rounded up (a charge, a reservation) or down (a cap), so the ledger never holds
 * less than a call really cost: rounding to nearest could undercharge by up to half a nano per
 * call, and a run of such calls could pass a cap. Float noise from the scaling itself (0.1 * 1e9
 * is not exactly 1e8) is not rounded away from the nearest integer: a few ulps of tolerance.
 */
export function toNanosUp(usd: number): number {
  return directed(usd, Math.ceil);
}

export function toNanosDown(usd: number): number {
  return directed(usd, Math.floor);
}

function directed(usd: number, round: (n: number) => number): number {
  if (!Number.isFinite(usd)) return usd;
  const n = usd * NANOS_PER_USD;
  const nearest = Math.round(n);
  return Math.abs(n - nearest) <= 4 * Number.EPSILON * Math.max(1, Math.abs(n)) ? nearest : round(n);
}

/** `a + b` in dollars, exact whatever the order of a run of additions (both rounded to nano-dollars). */
export function addUsd(a: number, b: number): number {
  return fromNanos(toNanos(a) + toNanos(b));
}
