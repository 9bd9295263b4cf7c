import type { Cost } from "../budget/types.js";
import type { TaskFitnessConfig, Role } from "../config/schema.js";
import { buildVerifierMessages } from "../fitness/verifier.js";
import { taskPrompt } from "../fitness/task-fitness.js";
import type { Task } from "../fitness/types.js";
import type { ChatMessage } from "../llm/types.js";
import type { EvaluationBound } from "../search/evaluator.js";

export interface BoundDeps {
  fitness: TaskFitnessConfig;
  /** The gateway's worst case for one call of a role (max over the role's models). */
  worstCase: (role: Role, messages: ChatMessage[], maxTokens: number) => Cost;
  answerMaxTokens: number;
  verifierMaxTokens: number;
}

/**
 * An upper bound on what evaluating a harness on some tasks costs, per role: every
 * sample of every task at its worst case, and for rubric tasks every verifier sample
 * with one retry, judging the longest answer the user role may write.
 */
export function evaluationBound(deps: BoundDeps): EvaluationBound {
  // A token is rarely over 6 bytes of English; the verifier also cuts answers at 20k chars.
  const longestAnswer = "x".repeat(Math.min(20_000, deps.answerMaxTokens * 6));
  return (harness: string, tasks: readonly Task[]) => {
    const user: Cost = { usd: 0, tokens: 0, calls: 0 };
    const verifier: Cost = { usd: 0, tokens: 0, calls: 0 };
    const add = (into: Cost, c: Cost, times: number) => {
      into.usd += c.usd * times;
      into.tokens += c.tokens * times;
      into.calls += c.calls * times;
    };
    for (const t of tasks) {
      const messages: ChatMessage[] = [
        { role: "system", content: harness },
        { role: "user", content: taskPrompt(t.input) },
      ];
      add(user, deps.worstCase("user", messages, deps.answerMaxTokens), deps.fitness.samples);
      if (t.check.type === "rubric") {
        const judged = buildVerifierMessages(t.check.rubric, t.input, longestAnswer);
        add(verifier, deps.worstCase("verifier", judged, deps.verifierMaxTokens), deps.fitness.samples * deps.fitness.verifierSamples * 2);
      }
    }
    return verifier.calls > 0 ? { user, verifier } : { user };
  };
}
