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
}

export function fitnessOf(c: Pick<Candidate, "train" | "minibatch">): number {
  return c.train ?? c.minibatch;
}
