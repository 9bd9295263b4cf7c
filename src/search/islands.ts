import type { IslandsStrategyConfig } from "../config/schema.js";
import type { IslandGenerationInput, IslandGenerationResult } from "./island-generation.js";
import { IslandPool } from "./island-pool.js";
import { spendPlan } from "../budget/policy.js";
import { absorb, AnytimeCurve, carveConversations, RoundSpend, everyEvaluationFailed, handlers, spendSoFar } from "./rounds.js";
import type { IslandStats, RunStatus, SearchContext, StrategyResult } from "./context.js";
import { bestSoFar, evaluateSeed, finalize, reserveForFinal } from "./finalize.js";
import { cloneTo, diverseElite, diversity, migrate, nextPopulation, resetIslands, type Populations } from "./migration.js";
import { mean } from "./selection.js";
import { pullsOf, updateBandit, type Bandit } from "./bandit.js";
import type { Candidate } from "./types.js";

/**
 * The island strategy (Mind Evolution's search): islands evolve in parallel, one
 * generation at a time; between generations the best migrate around the ring and
 * the weakest islands are periodically reset from a diverse global elite.
 */
export async function runIslands(ctx: SearchContext): Promise<StrategyResult> {
  // The context in force at a generation: a fork's earlier run before its fork point, this one after.
  const at = (g: number): SearchContext => (ctx.fork && g < ctx.fork.until ? ctx.fork.ctx : ctx);
  const first = at(0);
  const seed = await evaluateSeed(first);
  const reserve = reserveForFinal(ctx);
  const all: Candidate[] = [seed.candidate];
  const known = new Set<string>([seed.candidate.hash]);
  // Every island starts from the seed harness (its copy keeps the seed's scores).
  const firstIslands = (first.config.strategy as IslandsStrategyConfig).islands;
  let pops: Populations = Array.from({ length: firstIslands }, (_, i) => [{ ...seed.candidate, id: `seed>i${i}`, island: i, parents: ["seed"] }]);
  let pool = new IslandPool(firstIslands, { inProcess: ctx.inProcessIslands });
  // One operator bandit per island (`operatorBandit`), updated between generations only.
  const bandits: Bandit[] = pops.map(() => ({}));
  const curve = new AnytimeCurve(ctx);
  curve.record(-1, [seed.candidate]);
  // Whether the best train score rose in the last generation: the adaptive policy reads it.
  let climbing = true;
  let bestTrain = seed.candidate.score;
  let status: RunStatus = "completed";
  let reason: string | undefined;
  let generation = 0;
  try {
    for (; generation < (ctx.config.strategy as IslandsStrategyConfig).generations; generation++) {
      const c = at(generation);
      const s = c.config.strategy as IslandsStrategyConfig;
      if (s.islands !== pops.length) {
        // The fork point changed the number of islands: new ones start from the diverse elite, surplus ones retire.
        pops = resizeIslands(pops, s, generation);
        await pool.close();
        pool = new IslandPool(s.islands, { inProcess: ctx.inProcessIslands });
      }
      if (ctx.signal?.aborted) {
        status = "stopped";
        reason = "stopped on request; continue with: harness-evolve resume <run-dir>";
        break;
      }
      const plan = spendPlan(c.config.budget.policy, climbing, c.roles);
      c.evaluator.setEffort(plan.effort);
      const wanted = Math.max(1, Math.round(s.conversations * plan.conversationFactor));
      const carved = carveConversations(c, pops.map(() => wanted), plan.weights);
      if (!carved) {
        status = "budget-exhausted";
        reason = "the remaining budget cannot fund another generation";
        break;
      }
      const inputs: IslandGenerationInput[] = pops.map((population, island) => ({
        seed: ctx.seed,
        island,
        generation,
        preset: c.presets[island]!,
        strategy: { ...s, conversations: carved.counts[island]! },
        population,
        knownHashes: [...known],
        context: c.taskContext,
        ...(s.operatorBandit ? { bandit: bandits[island] ?? {} } : {}),
      }));
      let results: IslandGenerationResult[];
      // Each conversation's spend, read as its account closes: where the round's children lie on the anytime curve.
      const spend = new RoundSpend(ctx.ledger, carved.accounts);
      try {
        results = await pool.runGeneration(inputs, handlers(c, carved.accounts, generation, spend));
      } finally {
        spend.close();
      }
      const fatal = absorb(ctx, results, generation);
      if (fatal) {
        status = "failed";
        reason = fatal;
        break;
      }
      // Merge in island order so the state after a generation does not depend on timing.
      const merged: Candidate[] = [];
      if (s.operatorBandit) {
        const scores = new Map([...all, ...pops.flat()].map((x) => [x.id, x.score]));
        for (const r of results) {
          const baseline = Math.max(0, ...pops[r.island]!.map((x) => x.score));
          const scoreOf = (id: string) => scores.get(id) ?? r.children.find((x) => x.id === id)?.score;
          bandits[r.island] = updateBandit(bandits[r.island] ?? {}, pullsOf(r.children, scoreOf, baseline));
        }
      }
      for (const r of results) {
        const fresh = r.children.filter((c) => !known.has(c.hash));
        fresh.forEach((c) => known.add(c.hash));
        all.push(...fresh);
        merged.push(...fresh);
        pops[r.island] = nextPopulation(pops[r.island]!, fresh, s.populationSize);
      }
      const children = results.reduce((n, r) => n + r.children.length, 0);
      const top = Math.max(bestTrain, ...results.flatMap((r) => r.children.map((c) => c.train ?? -1)));
      climbing = top > bestTrain + 1e-9;
      bestTrain = top;
      // The children kept (a duplicate merged away has no place among the candidates).
      curve.record(generation, merged, spend);
      if ((generation + 1) % s.migrate.every === 0 && s.migrate.count > 0 && s.islands > 1) {
        pops = migrate(pops, s.migrate.count, generation, s.populationSize);
        ctx.emit({ type: "migration", generation, copies: s.migrate.count * s.islands });
      }
      if ((generation + 1) % s.reset.every === 0 && s.reset.islands > 0 && s.islands > 1 && generation + 1 < s.generations) {
        const r = resetIslands(pops, { ...s.reset, generation });
        pops = r.populations;
        ctx.emit({ type: "reset", generation, islands: r.reset });
      }
      // A conversation that reached its share just stops; the next generation runs on what is left.
      const budgetHit = results.some((r) => r.budgetHit);
      ctx.emit({
        type: "generation",
        generation,
        generations: s.generations,
        islands: islandStats(c, pops),
        children,
        failed: results.reduce((n, r) => n + r.stats.failedProposals + r.stats.failedEvaluations, 0),
        rejected: results.reduce((n, r) => n + r.stats.duplicates + r.stats.nearDuplicates, 0),
        budgetHit,
        spend: spendSoFar(ctx),
      });
      const allFailed = everyEvaluationFailed(results, generation);
      if (allFailed) {
        status = "failed";
        reason = allFailed;
        generation++;
        break;
      }
    }
  } finally {
    await pool.close();
    // Finalists are judged alike whatever the policy did during the search.
    ctx.evaluator.setEffort("normal");
    ctx.fork?.ctx.evaluator.setEffort("normal");
  }
  if (ctx.signal?.aborted && status !== "stopped") {
    status = "stopped";
    reason = "stopped on request; continue with: harness-evolve resume <run-dir>";
  }
  const { best, seedHarness } = status === "stopped" ? (reserve?.close(), bestSoFar(all, seed)) : await finalize(ctx, all, seed, reserve);
  ctx.emit({ type: "status", status, reason });
  return { status, reason, generations: generation, candidates: all, best, seedHarness, islands: islandStats(ctx, pops), anytime: curve.points };
}

function resizeIslands(pops: Populations, s: IslandsStrategyConfig, generation: number): Populations {
  if (s.islands <= pops.length) return pops.slice(0, s.islands);
  const elite = diverseElite(pops, s.reset.eliteSize, s.reset.eliteFrom);
  return [...pops, ...Array.from({ length: s.islands - pops.length }, (_, k) => elite.map((e) => cloneTo(e, pops.length + k, generation, "reset")))];
}

function islandStats(ctx: SearchContext, pops: Populations): IslandStats[] {
  return pops.map((p, i) => ({
    id: i,
    preset: ctx.presets[i]?.name ?? "",
    size: p.length,
    bestScore: p.length ? Math.max(...p.map((c) => c.score)) : 0,
    meanScore: mean(p.map((c) => c.score)),
    diversity: diversity(p),
  }));
}
