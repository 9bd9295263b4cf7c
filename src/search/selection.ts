import type { Rng } from "./rng.js";

export interface Scored {
  id: string;
  score: number;
}

/** Stable best-first order: score descending, then the order given. */
export function rankByScore<T extends Scored>(items: readonly T[]): T[] {
  return items.map((item, i) => ({ item, i })).sort((a, b) => b.item.score - a.item.score || a.i - b.i).map((x) => x.item);
}

export function topK<T extends Scored>(items: readonly T[], k: number): T[] {
  return rankByScore(items).slice(0, Math.max(0, k));
}

/**
 * Boltzmann tournament: draws `k` distinct members, each draw with probability
 * proportional to exp(score / temperature) among those not yet drawn. A low
 * temperature is greedy, a high one is uniform.
 */
export function boltzmannSelect<T extends Scored>(population: readonly T[], k: number, temperature: number, rng: Rng): T[] {
  const pool = [...population];
  const chosen: T[] = [];
  const t = Math.max(temperature, 1e-6);
  while (chosen.length < k && pool.length > 0) {
    const max = Math.max(...pool.map((p) => p.score));
    const weights = pool.map((p) => Math.exp((p.score - max) / t));
    const total = weights.reduce((a, b) => a + b, 0);
    let r = rng() * total;
    let index = pool.length - 1;
    for (let i = 0; i < pool.length; i++) {
      r -= weights[i]!;
      if (r < 0) {
        index = i;
        break;
      }
    }
    chosen.push(pool.splice(index, 1)[0]!);
  }
  return chosen;
}

export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}
