import type { Cost } from "../budget/types.js";
import type { CampaignConfig, TaskFitnessConfig, Role } from "../config/schema.js";
import { chooseMinibatch } from "../fitness/cascade.js";
import type { Split, TaskSuite } from "../fitness/types.js";
import { inputTokenBound } from "../llm/cost.js";
import { maxCost, planCall } from "../llm/plan.js";
import { resolvePrice } from "../llm/prices.js";
import { resolveRoles } from "../llm/roles.js";
import { stream } from "../search/rng.js";
import { buildVerifierMessages } from "../fitness/verifier.js";
import { taskPrompt } from "../fitness/task-fitness.js";
import type { Task } from "../fitness/types.js";
import type { ChatMessage } from "../llm/types.js";
import type { EvaluationBound } from "../search/evaluator.js";

export interface BoundDeps {
  fitness: TaskFitnessConfig;
  /** The gateway's worst case for one call of a role (max over the role's models); maxTokens as the fitness asks (unset: the models' own caps). */
  worstCase: (role: Role, messages: ChatMessage[], maxTokens: number | undefined) => Cost;
  /** The largest answer cap any user model gets: how long an answer the verifier may be shown. */
  longestAnswerTokens: number;
}

/**
 * An upper bound on what evaluating a harness on some tasks costs, per role: every
 * sample of every task at its worst case, and for rubric tasks every verifier sample
 * with one retry, judging the longest answer the user role may write.
 */
export function evaluationBound(deps: BoundDeps): EvaluationBound {
  // A token is rarely over 6 bytes of English; the verifier also cuts answers at 20k chars.
  const longestAnswer = "x".repeat(Math.min(20_000, deps.longestAnswerTokens * 6));
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
      add(user, deps.worstCase("user", messages, deps.fitness.answerMaxTokens), deps.fitness.samples);
      if (t.check.type === "rubric") {
        const judged = buildVerifierMessages(t.check.rubric, t.input, longestAnswer);
        add(verifier, deps.worstCase("verifier", judged, deps.fitness.verifierMaxTokens), deps.fitness.samples * deps.fitness.verifierSamples * 2);
      }
    }
    return verifier.calls > 0 ? { user, verifier } : { user };
  };
}

/** One call's worst case for a role (what `Gateway.worstCase` answers). */
export type WorstCall = BoundDeps["worstCase"];

/**
 * The carved worst case of evaluating a harness on some tasks under a task-suite fitness,
 * with the same output caps the calls will get (see effectiveParams).
 */
export function taskBound(fitness: TaskFitnessConfig, worstCall: WorstCall): EvaluationBound {
  // A worst case's tokens are an input bound per request plus the caps, so with no messages they give the caps.
  const w = worstCall("user", [], fitness.answerMaxTokens);
  const longestAnswerTokens = w.tokens - w.calls * inputTokenBound([]);
  return evaluationBound({ fitness, worstCase: worstCall, longestAnswerTokens });
}

/** The cascade's first stage: train tasks drawn from the campaign seed, so every piece of a resumed run draws the same. */
export function minibatchOf(config: CampaignConfig, fitness: TaskFitnessConfig, suite: TaskSuite): string[] {
  const trainIds = suite.tasks.filter((t) => t.split === "train").map((t) => t.id);
  return chooseMinibatch(trainIds, fitness.minibatch, stream(config.seed, "minibatch"));
}

/**
 * Gateway.worstCase computed from the campaign alone, for preflight (which runs before
 * there is a store, hence a gateway): the largest, per dimension, over the role's models.
 */
export function callBound(config: CampaignConfig): WorstCall {
  const roles = resolveRoles(config);
  return (role, messages, maxTokens) =>
    maxCost((roles[role] ?? []).map(({ key }) => {
      const m = config.models[key]!;
      return planCall(m, resolvePrice(m).price, { role, messages, maxTokens, sampleKey: "bound" }, config.seed).reserve;
    }));
}

export type RoleCosts = Partial<Record<Role, Cost>>;

/**
 * The worst case of scoring the seed harness, stage by stage, as evaluateSeed carves it:
 * the cascade (minibatch, then all of train), then val and test.
 */
export function seedScoringBound(bound: EvaluationBound, suite: TaskSuite, minibatchIds: readonly string[], seedHarness: string): [stage: string, cost: RoleCosts][] {
  const of = (split: Split) => suite.tasks.filter((t) => t.split === split);
  const minibatch = suite.tasks.filter((t) => minibatchIds.includes(t.id));
  const stages: [string, RoleCosts][] = minibatchIds.length ? [["minibatch", bound(seedHarness, minibatch)]] : [];
  for (const split of ["train", "val", "test"] as const) stages.push([split, bound(seedHarness, of(split))]);
  return stages;
}
