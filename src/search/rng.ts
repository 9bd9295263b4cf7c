import seedrandom from "seedrandom";

export type Rng = () => number;

/**
 * An independent random stream for one purpose at one place in the run, derived from
 * the campaign seed, so a decision never depends on how many draws another part made.
 */
export function stream(seed: number, ...parts: (string | number)[]): Rng {
  const rng = seedrandom(`${seed}/${parts.join("/")}`);
  return () => rng.quick();
}

export function pickWeighted<T>(items: readonly T[], weights: readonly number[], rng: Rng): T {
  const total = weights.reduce((a, b) => a + b, 0);
  if (items.length === 0 || !(total > 0)) throw new Error("pickWeighted: nothing to pick");
  let r = rng() * total;
  for (let i = 0; i < items.length; i++) {
    r -= weights[i]!;
    if (r < 0) return items[i]!;
  }
  return items[items.length - 1]!;
}

export function randomInt(min: number, max: number, rng: Rng): number {
  return min + Math.floor(rng() * (max - min + 1));
}
