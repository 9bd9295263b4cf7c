/**
 * Cascade evaluation: score a child on a few train tasks first and spend the full train set
 * only on children that do at least as well there as their parent did. Sample keys name task
 * positions only, so the full stage re-uses the minibatch answers from the response cache.
 */
import type { Evaluation, Fitness, FitnessContext } from "./types.js";

export interface CascadeOptions {
  /** Train task ids of the first stage. */
  minibatchIds: readonly string[];
  /** The parent's score on the same minibatch; absent (no parent) always promotes. */
  parentMinibatch?: number;
  /** Promote only a child that beats its parent there (GEPA's rule), not one that ties. */
  strict?: boolean;
}

export interface CascadeResult {
  minibatch: Evaluation;
  full?: Evaluation;
  promoted: boolean;
}

// Scores are means of a few numbers: treat differences below this as ties (ties promote).
const EPSILON = 1e-9;

export async function cascadeEvaluate(fitness: Fitness, harness: string, ctx: FitnessContext, opts: CascadeOptions): Promise<CascadeResult> {
  const first = await fitness.evaluate(harness, { split: "train", taskIds: opts.minibatchIds }, ctx);
  const minibatch: Evaluation = { ...first, stage: "minibatch" };
  const beats = (parent: number) => (opts.strict ? minibatch.score > parent + EPSILON : minibatch.score >= parent - EPSILON);
  const promoted = minibatch.error === undefined && (opts.parentMinibatch === undefined || beats(opts.parentMinibatch));
  if (!promoted) return { minibatch, promoted };
  const full = await fitness.evaluate(harness, { split: "train" }, ctx);
  return { minibatch, full: { ...full, stage: "full" }, promoted };
}

/**
 * `size` distinct train ids drawn with `rng` (uniform in [0,1)), returned in their original
 * order so feedback and logs list tasks stably. All ids when size ≥ their number.
 */
export function chooseMinibatch(trainIds: readonly string[], size: number, rng: () => number): string[] {
  if (size >= trainIds.length) return [...trainIds];
  if (size <= 0) return [];
  const idx = trainIds.map((_, i) => i);
  // Partial Fisher–Yates: the first `size` slots end up a uniform sample.
  for (let i = 0; i < size; i++) {
    const j = i + Math.min(idx.length - i - 1, Math.floor(rng() * (idx.length - i)));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx
    .slice(0, size)
    .sort((a, b) => a - b)
    .map((i) => trainIds[i]!);
}
