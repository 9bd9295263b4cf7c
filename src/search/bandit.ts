import type { Candidate, OperatorName } from "./types.js";

/**
 * A UCB1 bandit over an island's first-turn operators (after ShinkaEvolve's bandit over
 * models), rewarded by improvement per dollar. Plain data, updated only between
 * generations from children in island order, so every conversation of a generation reads
 * the same state and the run stays a function of seed and responses.
 */
export interface Arm {
  pulls: number;
  /** Sum of rewards, each in [0,1]. */
  reward: number;
}

export type Bandit = Partial<Record<OperatorName, Arm>>;

/** One pull: the operator a conversation opened with and what its children earned. */
export interface Pull {
  op: OperatorName;
  /** Best score gain of the pull's children over the best of their first-turn parents (≥ 0). */
  gain: number;
  /** Dollars the pull cost (its conversation's spend). */
  usd: number;
}

/** Rewards in [0,1]: gain per dollar, scaled by the best gain per dollar among these pulls. */
export function rewards(pulls: readonly Pull[]): number[] {
  // A dollar floor of a nano-dollar (the ledger's unit) keeps free pulls finite.
  const rate = pulls.map((p) => (p.gain > 0 ? p.gain / Math.max(p.usd, 1e-9) : 0));
  const top = Math.max(0, ...rate);
  return rate.map((r) => (top > 0 ? r / top : 0));
}

export function updateBandit(bandit: Bandit, pulls: readonly Pull[]): Bandit {
  const next: Bandit = structuredClone(bandit);
  const r = rewards(pulls);
  pulls.forEach((p, i) => {
    const arm = (next[p.op] ??= { pulls: 0, reward: 0 });
    arm.pulls++;
    arm.reward += r[i]!;
  });
  return next;
}

/**
 * Selection weights for `ops`: UCB1 scores (mean + c·sqrt(ln N / n)); an arm never pulled
 * gets the largest score plus one, so each is tried. Zero-weight ops (the preset's) stay zero.
 */
export function banditWeights(bandit: Bandit, ops: readonly OperatorName[], base: readonly number[], c = Math.SQRT2): number[] {
  const live = ops.filter((_, i) => base[i]! > 0);
  const total = live.reduce((n, op) => n + (bandit[op]?.pulls ?? 0), 0);
  const ucb = ops.map((op, i) => {
    const arm = bandit[op];
    if (!(base[i]! > 0) || !arm || arm.pulls === 0) return NaN;
    return arm.reward / arm.pulls + c * Math.sqrt(Math.log(Math.max(total, 1)) / arm.pulls);
  });
  const known = ucb.filter((u) => Number.isFinite(u));
  const fresh = (known.length ? Math.max(...known) : 0) + 1;
  return ops.map((_, i) => (!(base[i]! > 0) ? 0 : Number.isFinite(ucb[i]) ? ucb[i]! : fresh));
}

/**
 * A generation's pulls from its children: each child pulls its own operator; its gain is
 * over the best of its parents, its cost what its conversation spent since the previous
 * child (failed proposals included). Children come in island, conversation, turn order.
 */
export function pullsOf(
  children: readonly Pick<Candidate, "id" | "operator" | "parents" | "score" | "at">[],
  scoreOf: (id: string) => number | undefined,
  /** What a child without parents (a rewrite) must beat: its island's best at the generation's start. */
  baseline: number,
): Pull[] {
  const spentBefore = new Map<string, number>();
  const out: Pull[] = [];
  for (const c of children) {
    const conv = c.id.replace(/-t\d+$/, "");
    const at = c.at?.usd ?? 0;
    const usd = at - (spentBefore.get(conv) ?? 0);
    spentBefore.set(conv, at);
    if (c.operator !== "mutate" && c.operator !== "crossover" && c.operator !== "refine" && c.operator !== "rewrite") continue;
    const known = c.parents.map(scoreOf).filter((x): x is number => x !== undefined);
    const gain = Math.max(0, c.score - (known.length ? Math.max(...known) : baseline));
    out.push({ op: c.operator, gain, usd });
  }
  return out;
}
