/**
 * The verifier study's result and its pure parts: the Wilson interval and the markdown section.
 * (The study itself, which calls the models, is in verifier-study.ts.)
 */
import { formatCount, markdownTable } from "./table.js";

export interface VerifierStudyRow {
  reasoningTokens: number;
  samples: number;
  /** Fraction of answers whose verdict equals ground truth. */
  agreement: number;
  /** 95% Wilson interval of the agreement. */
  low: number;
  high: number;
  /** Mean over answers of what one verdict (all its samples, retries included) costs fresh. */
  usdPerJudgement: number;
  tokensPerJudgement: number;
  /** Answers that pass by ground truth and were judged to pass (of `positives`). */
  agreedOnPass: number;
  /** Answers that fail by ground truth and were judged to fail (of `answers - positives`). */
  agreedOnFail: number;
}

export interface VerifierStudy {
  /** The verifier's model name (e.g. `sim:judge`). */
  model: string;
  /** Answers judged at every (reasoning, samples) point. */
  answers: number;
  /** Of those, how many pass by ground truth. */
  positives: number;
  rows: VerifierStudyRow[];
}

/** Wilson score interval for a proportion `successes / n`; [0, 1] when n is 0. */
export function wilsonInterval(successes: number, n: number, z = 1.96): [number, number] {
  if (!(n >= 0) || !(successes >= 0) || successes > n || !(z > 0)) {
    throw new RangeError(`wilsonInterval: need 0 <= successes <= n and z > 0 (got ${successes}/${n}, z=${z})`);
  }
  if (n === 0) return [0, 1];
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return [Math.max(0, center - half), Math.min(1, center + half)];
}

/** Dollars with 3 significant figures: a judgement costs fractions of a cent. */
function usd(x: number): string {
  return x === 0 ? "$0" : `$${x.toPrecision(3)}`;
}

/** The study as a markdown section: what was measured, on simulated models, and the table. */
export function verifierStudyMarkdown(study: VerifierStudy): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const negatives = study.answers - study.positives;
  const majority = study.positives > negatives ? "pass" : "fail";
  const baseRate = study.answers === 0 ? 0 : Math.max(study.positives, negatives) / study.answers;
  const rows = study.rows.map((r) => [
    String(r.reasoningTokens),
    String(r.samples),
    `${pct(r.agreement)} [${pct(r.low)}, ${pct(r.high)}]`,
    usd(r.usdPerJudgement),
    formatCount(r.tokensPerJudgement),
  ]);
  return [
    "## The reasoning verifier, measured",
    "",
    "These figures come from **simulated models** (`sim:*`): a synthetic landscape calibrated to published figures, " +
      "where ground truth is known. They show what the engine's verification costs and buys in that landscape; they are not evidence about real models.",
    "",
    `The verifier \`${study.model}\` judged ${study.answers} answers to the campaign's rubric tasks ` +
      `(${study.positives} correct by ground truth, ${negatives} not) at each reasoning budget; ` +
      "a verdict is the mean score of its samples, passing at 5/10. Agreement is the fraction of verdicts that match ground truth, " +
      "with its 95% Wilson interval; cost is per verdict, all samples included. " +
      `A verifier that said "${majority}" to every answer would agree ${pct(baseRate)} of the time; ` +
      "the JSON rows split agreement into passing answers judged to pass (`agreedOnPass`) and failing answers judged to fail (`agreedOnFail`).",
    "",
    markdownTable(
      ["reasoning tokens", "samples", "agreement [95% interval]", "$ per judgement", "tokens per judgement"],
      rows,
      ["r", "r", "r", "r", "r"],
    ),
    "",
  ].join("\n");
}
