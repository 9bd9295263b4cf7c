import { jaccard, shingles } from "../harness/similarity.js";
import type { Candidate } from "./types.js";
import { mean, rankByScore, topK } from "./selection.js";

/** Island populations as plain data: index = island id. */
export type Populations = Candidate[][];

/** A copy of `c` living on another island, with its own id and `c` as its parent. */
export function cloneTo(c: Candidate, island: number, generation: number, operator: "migrate" | "reset"): Candidate {
  return {
    ...c,
    // Ids stay short: a copy of a copy is named after the original.
    id: `${c.id.split(">")[0]}>${operator === "migrate" ? "m" : "r"}${island}g${generation}`,
    island,
    generation,
    operator,
    parents: [c.id],
    modelKey: undefined,
  };
}

/** Keeps the best `size` members with distinct hashes (first occurrence wins). */
export function truncate(population: readonly Candidate[], size: number): Candidate[] {
  const seen = new Set<string>();
  const out: Candidate[] = [];
  for (const c of rankByScore(population)) {
    if (out.length >= size) break;
    if (seen.has(c.hash)) continue;
    seen.add(c.hash);
    out.push(c);
  }
  return out;
}

/** After a generation: the island keeps the best of its old members and its new children. */
export function nextPopulation(old: readonly Candidate[], children: readonly Candidate[], size: number): Candidate[] {
  return truncate([...old, ...children], size);
}

/**
 * Ring migration: the top `count` of every island are copied into the next island.
 * Computed from the populations as they were before any copy lands, so island order
 * does not matter; the originals stay where they were.
 */
export function migrate(pops: Populations, count: number, generation: number, size: number): Populations {
  const n = pops.length;
  if (n < 2 || count <= 0) return pops.map((p) => [...p]);
  const emigrants = pops.map((p) => topK(p, count));
  return pops.map((pop, to) => {
    const from = (to - 1 + n) % n;
    const present = new Set(pop.map((c) => c.hash));
    const arrivals = emigrants[from]!.filter((c) => !present.has(c.hash)).map((c) => cloneTo(c, to, generation, "migrate"));
    return truncate([...pop, ...arrivals], size);
  });
}

/**
 * A diverse elite: from the best `from` distinct harnesses, greedily pick `size`,
 * starting from the best and then always the one least similar to those chosen
 * (ties to the higher score).
 */
export function diverseElite(pops: Populations, size: number, from: number): Candidate[] {
  const pool = truncate(pops.flat(), from);
  if (pool.length === 0 || size <= 0) return [];
  // Shingle each text once: the greedy loop compares every pair several times.
  const sets = new Map(pool.map((c) => [c, shingles(c.text)]));
  const chosen: Candidate[] = [pool[0]!];
  const rest = pool.slice(1);
  while (chosen.length < size && rest.length > 0) {
    let best = 0;
    let bestDistance = -1;
    rest.forEach((c, i) => {
      const d = Math.min(...chosen.map((e) => 1 - jaccard(sets.get(e)!, sets.get(c)!)));
      if (d > bestDistance + 1e-12) {
        bestDistance = d;
        best = i;
      }
    });
    chosen.push(rest.splice(best, 1)[0]!);
  }
  return chosen;
}

/** The `count` islands with the lowest mean score (ties: the higher island id goes first). */
export function worstIslands(pops: Populations, count: number): number[] {
  return pops
    .map((p, i) => ({ i, m: p.length ? mean(p.map((c) => c.score)) : -Infinity }))
    .sort((a, b) => a.m - b.m || b.i - a.i)
    .slice(0, Math.min(count, Math.max(0, pops.length - 1)))
    .map((x) => x.i)
    .sort((a, b) => a - b);
}

/** Replaces the worst islands' populations with copies of a diverse global elite. */
export function resetIslands(
  pops: Populations,
  opts: { islands: number; eliteSize: number; eliteFrom: number; generation: number },
): { populations: Populations; reset: number[] } {
  const targets = worstIslands(pops, opts.islands);
  if (targets.length === 0) return { populations: pops.map((p) => [...p]), reset: [] };
  const elite = diverseElite(pops, opts.eliteSize, opts.eliteFrom);
  const populations = pops.map((p, i) => (targets.includes(i) ? elite.map((c) => cloneTo(c, i, opts.generation, "reset")) : [...p]));
  return { populations, reset: targets };
}

/** Mean pairwise distance (1 − shingle Jaccard) inside an island: its diversity. */
export function diversity(pop: readonly Candidate[]): number {
  if (pop.length < 2) return 0;
  const sets = pop.map((c) => shingles(c.text));
  let sum = 0;
  let n = 0;
  for (let i = 0; i < pop.length; i++)
    for (let j = i + 1; j < pop.length; j++) {
      sum += 1 - jaccard(sets[i]!, sets[j]!);
      n++;
    }
  return sum / n;
}
