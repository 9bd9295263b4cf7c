import type { Rng } from "./rng.js";

/**
 * Per-task Pareto selection (GEPA, arXiv 2507.19457): a candidate is worth refining if it is
 * the best on at least one task, even when its mean is not the best, so the search keeps
 * every distinct way of solving some tasks instead of one greedy line. Plain functions over
 * data; ties are kept in the order given.
 */
export interface TaskScored {
  id: string;
  taskScores?: Record<string, number>;
}

const TIE = 1e-12;

/** For every task any candidate was scored on: the candidates (in the order given) that reach its best score. */
export function bestPerTask<T extends TaskScored>(candidates: readonly T[]): Map<string, T[]> {
  const best = new Map<string, { score: number; who: T[] }>();
  for (const c of candidates) {
    for (const [task, score] of Object.entries(c.taskScores ?? {})) {
      const b = best.get(task);
      if (!b || score > b.score + TIE) best.set(task, { score, who: [c] });
      else if (score >= b.score - TIE) b.who.push(c);
    }
  }
  return new Map([...best].map(([task, b]) => [task, b.who]));
}

/**
 * A dominates B: at least as good on every task either was scored on, better on one. A task a
 * candidate was not scored on counts as its worst (not as 0): otherwise a candidate scored 0 on
 * a task nobody else was scored on could be dominated away, and that task's best lost.
 */
export function dominates(a: TaskScored, b: TaskScored): boolean {
  const tasks = new Set([...Object.keys(a.taskScores ?? {}), ...Object.keys(b.taskScores ?? {})]);
  let better = false;
  for (const t of tasks) {
    const x = a.taskScores?.[t] ?? -Infinity, y = b.taskScores?.[t] ?? -Infinity;
    if (x < y - TIE) return false;
    if (x > y + TIE) better = true;
  }
  return better;
}

/** The candidates best on at least one task, without those another such candidate dominates; the order given. */
export function paretoFront<T extends TaskScored>(candidates: readonly T[]): T[] {
  const winners = new Set<T>();
  for (const who of bestPerTask(candidates).values()) who.forEach((c) => winners.add(c));
  const front = candidates.filter((c) => winners.has(c));
  return front.filter((c) => !front.some((d) => d !== c && dominates(d, c)));
}

/** Each front member's weight: on how many tasks it is among the best. */
export function frontWeights<T extends TaskScored>(candidates: readonly T[]): { front: T[]; weights: number[] } {
  const front = paretoFront(candidates);
  const best = bestPerTask(candidates);
  const weights = front.map((c) => [...best.values()].filter((who) => who.includes(c)).length);
  return { front, weights };
}

/**
 * `k` distinct candidates from the front, each draw in proportion to its weight among those
 * not drawn yet. Without any per-task scores, the first candidates given (a seed) stand in.
 */
export function paretoSample<T extends TaskScored>(candidates: readonly T[], k: number, rng: Rng): T[] {
  const { front, weights } = frontWeights(candidates);
  if (front.length === 0) return candidates.slice(0, k);
  const pool = front.map((c, i) => ({ c, w: weights[i]! }));
  const out: T[] = [];
  while (out.length < k && pool.length > 0) {
    const total = pool.reduce((s, p) => s + p.w, 0);
    let r = rng() * total;
    let at = pool.length - 1;
    for (let i = 0; i < pool.length; i++) {
      r -= pool[i]!.w;
      if (r < 0) {
        at = i;
        break;
      }
    }
    out.push(pool.splice(at, 1)[0]!.c);
  }
  return out;
}

/** A candidate's mean score on some of the tasks it was scored on (undefined when it has none of them). */
export function meanOn(c: TaskScored, taskIds: readonly string[]): number | undefined {
  const xs = taskIds.map((t) => c.taskScores?.[t]).filter((x): x is number => x !== undefined);
  return xs.length === taskIds.length && xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined;
}
