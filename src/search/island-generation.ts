import type { Preset } from "../config/presets.js";
import type { IslandsStrategyConfig } from "../config/schema.js";
import { harnessHash } from "../harness/harness.js";
import { jaccard, shingles } from "../harness/similarity.js";
import { errorKind, type CompletionRequest, type CompletionResponse } from "../llm/types.js";
import { propose, type ProposalParent } from "../operators/index.js";
import { pickWeighted, randomInt, stream, type Rng } from "./rng.js";
import { boltzmannSelect, mean } from "./selection.js";
import { banditWeights, type Bandit } from "./bandit.js";
import { paretoSample } from "./pareto.js";
import type { Candidate, OperatorName, SpendPoint } from "./types.js";

/**
 * One island's generation, as a function of its inputs and of the answers its
 * port returns. No clock, no shared state: that is what makes a run replayable.
 */
export interface IslandGenerationInput {
  seed: number;
  island: number;
  generation: number;
  preset: Preset;
  strategy: Pick<IslandsStrategyConfig, "conversations" | "turns" | "selectionTemperature" | "maxParents" | "noParentProbability" | "nearDuplicate"> & {
    /** Boltzmann on score (default) or GEPA's per-task Pareto front. */
    parentSelection?: "boltzmann" | "pareto";
    /** What later turns refine: the conversation's best so far (children and first-turn parents) or its latest child. */
    refineFrom?: "best" | "latest";
  };
  population: Candidate[];
  /** Hashes evaluated anywhere before this generation started. */
  knownHashes: string[];
  /** Example task inputs shown to the evolver. */
  context?: string;
  /** The island's operator bandit (`operatorBandit`): weighs the first-turn operators instead of the preset alone. */
  bandit?: Bandit;
}

export type EvaluationOutcome =
  | { ok: true; minibatch: number; train?: number; feedback: string; taskScores?: Record<string, number>; at?: SpendPoint }
  | { ok: false; reason: string; budget?: boolean; fatal?: boolean };

/** Errors that cross the port keep their kind: a budget stop, a fatal endpoint error, or anything else. */
export class PortError extends Error {
  constructor(
    readonly kind: "budget" | "fatal" | "error",
    message: string,
  ) {
    super(message);
    this.name = "PortError";
  }
}

/** A child to evaluate, with its lineage (the main thread records it). */
export interface EvaluationRequest {
  id: string;
  harness: string;
  parentMinibatch?: number;
  operator: OperatorName;
  parents: string[];
  modelKey?: string;
}

export interface IslandPort {
  complete(conversation: number, req: CompletionRequest): Promise<CompletionResponse>;
  evaluate(conversation: number, req: EvaluationRequest): Promise<EvaluationOutcome>;
}

export interface ConversationStats {
  proposals: number;
  failedProposals: number;
  duplicates: number;
  nearDuplicates: number;
  failedEvaluations: number;
  calls: number;
}

export interface IslandGenerationResult {
  island: number;
  generation: number;
  children: Candidate[];
  stats: ConversationStats;
  /** Failed proposals and evaluations, with reasons (for the run database). */
  failures: { id: string; reason: string }[];
  budgetHit: boolean;
  fatal?: string;
}

/** A proposed harness as a candidate, with what its evaluation found (scores, feedback, per-task scores, spend). */
export function evaluatedChild(
  c: Pick<Candidate, "id" | "hash" | "text" | "island" | "generation" | "operator" | "parents" | "modelKey">,
  outcome: Extract<EvaluationOutcome, { ok: true }>,
): Candidate {
  return {
    ...c,
    minibatch: outcome.minibatch,
    train: outcome.train,
    score: outcome.train ?? outcome.minibatch,
    feedback: outcome.feedback,
    ...(outcome.taskScores ? { taskScores: outcome.taskScores } : {}),
    ...(outcome.at ? { at: outcome.at } : {}),
  };
}

const emptyStats = (): ConversationStats => ({ proposals: 0, failedProposals: 0, duplicates: 0, nearDuplicates: 0, failedEvaluations: 0, calls: 0 });

export async function runIslandGeneration(input: IslandGenerationInput, port: IslandPort): Promise<IslandGenerationResult> {
  const runs = Array.from({ length: input.strategy.conversations }, (_, c) => runConversation(input, c, port));
  const outcomes = await Promise.all(runs);
  const stats = emptyStats();
  const result: IslandGenerationResult = { island: input.island, generation: input.generation, children: [], stats, failures: [], budgetHit: false };
  for (const o of outcomes) {
    result.children.push(...o.children);
    result.failures.push(...o.failures);
    for (const k of Object.keys(stats) as (keyof ConversationStats)[]) stats[k] += o.stats[k];
    result.budgetHit ||= o.budgetHit;
    result.fatal ??= o.fatal;
  }
  return result;
}

interface FirstTurn {
  op: OperatorName;
  parents: Candidate[];
}

function chooseFirstTurn(input: IslandGenerationInput, rng: Rng): FirstTurn {
  const pop = input.population;
  const noParent = input.preset.noParentProbability ?? input.strategy.noParentProbability;
  if (pop.length === 0 || rng() < noParent) return { op: "rewrite", parents: [] };
  const w = input.preset.operators;
  const ops: OperatorName[] = ["mutate", "crossover", "refine"];
  const weights: number[] = [w.mutate, pop.length >= 2 ? w.crossover : 0, w.refine];
  if (weights.reduce((a, b) => a + b, 0) === 0) weights[0] = 1;
  const op = pickWeighted(ops, input.bandit ? banditWeights(input.bandit, ops, weights) : weights, rng);
  const k = op === "crossover" ? randomInt(2, Math.min(input.strategy.maxParents, pop.length), rng) : 1;
  if (input.strategy.parentSelection === "pareto") {
    const front = paretoSample(pop, k, rng);
    // A front smaller than k is topped up by the tournament from the rest.
    const rest = front.length < k ? boltzmannSelect(pop.filter((c) => !front.includes(c)), k - front.length, input.strategy.selectionTemperature, rng) : [];
    return { op, parents: [...front, ...rest] };
  }
  return { op, parents: boltzmannSelect(pop, k, input.strategy.selectionTemperature, rng) };
}

function view(c: Candidate): ProposalParent {
  return { text: c.text, score: c.score, feedback: c.feedback };
}

async function runConversation(input: IslandGenerationInput, conv: number, port: IslandPort) {
  const { island, generation } = input;
  const rng = stream(input.seed, "island", island, "gen", generation, "conv", conv);
  const stats = emptyStats();
  const children: Candidate[] = [];
  const failures: { id: string; reason: string }[] = [];
  const seen = new Set([...input.knownHashes, ...input.population.map((c) => c.hash)]);
  // Shingled once: every proposal of the conversation is compared with all of them.
  const neighbours = input.population.map((c) => shingles(c.text));
  // What the next turn refines: the latest child, or the best of the conversation so far.
  let latest: Candidate | undefined;
  const keepBest = (input.strategy.refineFrom ?? "latest") === "best";
  let budgetHit = false;
  let fatal: string | undefined;
  const complete = (req: CompletionRequest) => port.complete(conv, { ...req, ...(input.preset.evolver ? { model: input.preset.evolver } : {}) });

  for (let turn = 1; turn <= input.strategy.turns; turn++) {
    const id = `i${island}-g${generation}-c${conv}-t${turn}`;
    // Later turns refine this conversation's latest child (critic, then author); until one exists, start afresh.
    const step: FirstTurn = latest ? { op: "refine", parents: [latest] } : chooseFirstTurn(input, rng);
    let evaluating = false;
    try {
      stats.proposals++;
      const proposal = await propose(step.op, step.parents.map(view), complete, {
        sampleKey: `island=${island}/gen=${generation}/conv=${conv}/turn=${turn}`,
        temperature: input.preset.temperature,
        context: input.context,
      });
      stats.calls += proposal.calls;
      if (!proposal.ok) {
        stats.failedProposals++;
        failures.push({ id, reason: `proposal failed: ${proposal.reason}` });
        continue;
      }
      const hash = harnessHash(proposal.harness);
      if (seen.has(hash)) {
        stats.duplicates++;
        continue;
      }
      seen.add(hash);
      const proposed = shingles(proposal.harness);
      const closest = Math.max(0, ...neighbours.map((t) => jaccard(t, proposed)));
      if (closest >= input.strategy.nearDuplicate) {
        stats.nearDuplicates++;
        continue;
      }
      const parentMinibatch =
        step.parents.length > 0 ? Math.max(...step.parents.map((p) => p.minibatch)) : input.population.length ? mean(input.population.map((p) => p.minibatch)) : undefined;
      evaluating = true;
      const outcome = await port.evaluate(conv, {
        id,
        harness: proposal.harness,
        parentMinibatch,
        operator: step.op,
        parents: step.parents.map((p) => p.id),
        modelKey: proposal.modelKey,
      });
      if (!outcome.ok) {
        if (outcome.budget) throw new PortError("budget", outcome.reason);
        if (outcome.fatal) throw new PortError("fatal", outcome.reason);
        stats.failedEvaluations++;
        failures.push({ id, reason: `evaluation failed: ${outcome.reason}` });
        continue;
      }
      neighbours.push(proposed);
      const child = evaluatedChild({ id, hash, text: proposal.harness, island, generation, operator: step.op, parents: step.parents.map((p) => p.id), modelKey: proposal.modelKey }, outcome);
      children.push(child);
      if (!keepBest) latest = child;
      else {
        // A child that lost to its parent on the minibatch never got a full score: refine the parent again instead.
        const rival = latest ?? (step.parents.length ? step.parents.reduce((a, b) => (b.score > a.score ? b : a)) : undefined);
        latest = rival && (child.train === undefined || rival.score > child.score) ? rival : child;
      }
    } catch (e) {
      const kind = e instanceof PortError ? e.kind : errorKind(e);
      if (kind === "budget") {
        budgetHit = true;
        break;
      }
      if (kind === "fatal") {
        fatal = (e as Error).message;
        break;
      }
      if (evaluating) stats.failedEvaluations++;
      else stats.failedProposals++;
      failures.push({ id, reason: (e as Error).message });
    }
  }
  return { children, failures, stats, budgetHit, fatal };
}
