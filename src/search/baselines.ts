import type { Preset } from "../config/presets.js";
import type { BestOfNStrategyConfig, OnePassStrategyConfig, SequentialRevisionStrategyConfig } from "../config/schema.js";
import type { IslandGenerationInput, IslandGenerationResult } from "./island-generation.js";
import { IslandPool } from "./island-pool.js";
import type { RunStatus, SearchContext, StrategyResult } from "./context.js";
import { bestSoFar, evaluateSeed, finalize, reserveForFinal, type SeedResult } from "./finalize.js";
import { absorb, AnytimeCurve, carveConversations, RoundSpend, everyEvaluationFailed, handlers } from "./rounds.js";
import type { Candidate } from "./types.js";

/**
 * The baselines of Mind Evolution (section 4), on the same operators, fitness, gateway
 * and budget as the island search. Each is a sequence of rounds of conversations:
 *  - best-of-n: every conversation writes one independent variant of the seed (mutate
 *    with the seed's feedback), no feedback loop; rounds until n or the budget;
 *  - sequential-revision: k threads, each round revises every thread's latest harness
 *    with its own feedback (critic, then author);
 *  - one-pass: a single rewrite.
 */

interface Round {
  /** Population per thread (an "island" each) and conversations per thread this round. */
  populations: Candidate[][];
  conversations: number[];
}

interface Plan {
  preset: Preset;
  /** The next round given the state so far, or undefined when the strategy is done. */
  next(round: number, done: number, latest: Candidate[]): Round | undefined;
}

// The island search's defaults for what the baselines share with it (near-duplicates cost no evaluation there either).
const strategyBits = { selectionTemperature: 0.1, maxParents: 1, noParentProbability: 0, nearDuplicate: 0.92 } as const;

function plan(ctx: SearchContext, seed: Candidate): Plan {
  const s = ctx.config.strategy;
  switch (s.name) {
    case "best-of-n": {
      const b = s as BestOfNStrategyConfig;
      return {
        preset: { name: "best-of-n", description: "", temperature: b.temperature, operators: { mutate: 1, crossover: 0, refine: 0 }, noParentProbability: 0 },
        next: (_round, done) => (done >= b.n ? undefined : { populations: [[seed]], conversations: [Math.min(b.width, b.n - done)] }),
      };
    }
    case "sequential-revision": {
      const q = s as SequentialRevisionStrategyConfig;
      return {
        preset: { name: "sequential-revision", description: "", temperature: q.temperature, operators: { mutate: 0, crossover: 0, refine: 1 }, noParentProbability: 0 },
        next: (round, _done, latest) => (round >= q.turns ? undefined : { populations: latest.map((c) => [c]), conversations: latest.map(() => 1) }),
      };
    }
    case "one-pass": {
      const o = s as OnePassStrategyConfig;
      return {
        preset: { name: "one-pass", description: "", temperature: o.temperature, operators: { mutate: 1, crossover: 0, refine: 0 }, noParentProbability: 1 },
        next: (round) => (round >= 1 ? undefined : { populations: [[]], conversations: [1] }),
      };
    }
    default:
      throw new Error(`not a baseline: ${s.name}`);
  }
}

export async function runBaseline(ctx: SearchContext): Promise<StrategyResult> {
  const seed: SeedResult = await evaluateSeed(ctx);
  const reserve = reserveForFinal(ctx);
  const { preset, next } = plan(ctx, seed.candidate);
  const threads = ctx.config.strategy.name === "sequential-revision" ? ctx.config.strategy.threads : 1;
  // A thread's latest harness: what sequential revision revises next.
  const latest: Candidate[] = Array.from({ length: threads }, (_, i) => ({ ...seed.candidate, id: `seed>t${i}`, island: i, parents: ["seed"] }));
  const all: Candidate[] = [seed.candidate];
  const known = new Set<string>([seed.candidate.hash]);
  const curve = new AnytimeCurve(ctx);
  curve.record(-1, [seed.candidate]);
  const pool = new IslandPool(threads, { inProcess: true });
  let status: RunStatus = "completed";
  let reason: string | undefined;
  let round = 0;
  let written = 0;
  try {
    for (;; round++) {
      if (ctx.signal?.aborted) {
        status = "stopped";
        reason = "stopped on request; continue with: harness-evolve resume <run-dir>";
        break;
      }
      const r = next(round, written, latest);
      if (!r) break;
      const carved = carveConversations(ctx, r.conversations);
      if (!carved) {
        status = "budget-exhausted";
        reason = "the remaining budget cannot fund another round";
        break;
      }
      const inputs: IslandGenerationInput[] = r.populations.map((population, island) => ({
        seed: ctx.seed,
        island,
        generation: round,
        preset,
        strategy: { ...strategyBits, conversations: carved.counts[island]!, turns: 1, refineFrom: "latest" },
        population,
        knownHashes: [...known],
        context: ctx.taskContext,
      }));
      let results: IslandGenerationResult[];
      // Each conversation's spend, read as its account closes: where the round's children lie on the anytime curve.
      const spend = new RoundSpend(ctx.ledger, carved.accounts);
      try {
        results = await pool.runGeneration(inputs, handlers(ctx, carved.accounts, round, spend));
      } finally {
        spend.close();
      }
      const fatal = absorb(ctx, results, round);
      if (fatal) {
        status = "failed";
        reason = fatal;
        break;
      }
      written += carved.counts.reduce((a, b) => a + b, 0);
      const merged: Candidate[] = [];
      for (const res of results) {
        const child = res.children[res.children.length - 1];
        if (child) latest[res.island] = child;
        const fresh = res.children.filter((c) => !known.has(c.hash));
        fresh.forEach((c) => known.add(c.hash));
        all.push(...fresh);
        merged.push(...fresh);
      }
      // The children kept (a duplicate merged away has no place among the candidates).
      curve.record(round, merged, spend);
      const allFailed = everyEvaluationFailed(results, round);
      if (allFailed) {
        status = "failed";
        reason = allFailed;
        round++;
        break;
      }
    }
  } finally {
    await pool.close();
  }
  if (ctx.signal?.aborted && status !== "stopped") {
    status = "stopped";
    reason = "stopped on request; continue with: harness-evolve resume <run-dir>";
  }
  const { best, seedHarness } = status === "stopped" ? (reserve?.close(), bestSoFar(all, seed)) : await finalize(ctx, all, seed, reserve);
  ctx.emit({ type: "status", status, reason });
  return { status, reason, generations: round, candidates: all, best, seedHarness, islands: [], anytime: curve.points };
}
