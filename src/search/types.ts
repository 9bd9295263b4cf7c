export type OperatorName = "mutate" | "crossover" | "refine" | "rewrite";

export type CandidateOperator = OperatorName | "seed" | "migrate" | "reset";

/** A harness with its lineage and its evaluation: the unit every strategy works on. */
export interface Candidate {
  id: string;
  hash: string;
  text: string;
  island: number;
  generation: number;
  operator: CandidateOperator;
  parents: string[];
  /** Model key that wrote it (undefined for the seed and for copies). */
  modelKey?: string;
  /** Score on the cascade's minibatch of train tasks. */
  minibatch: number;
  /** Score on the full train split; undefined when the child did not beat its parent on the minibatch. */
  train?: number;
  /** Selection fitness: train when known, else minibatch. */
  score: number;
  feedback: string;
  /** Per train task, the score of the full train evaluation (absent when there was none): what per-task Pareto selection reads. */
  taskScores?: Record<string, number>;
  /** What its conversation had been charged when its evaluation ended: places it on per-call anytime curves. */
  at?: SpendPoint;
}

/** A point on the budget axes. */
export interface SpendPoint {
  usd: number;
  tokens: number;
  calls: number;
}

export function fitnessOf(c: Pick<Candidate, "train" | "minibatch">): number {
  return c.train ?? c.minibatch;
}
