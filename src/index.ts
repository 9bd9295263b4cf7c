/**
 * The library API: the same capabilities as the CLI, typed. The CLI is a thin layer over it.
 *
 *   import { evolve, bench, defineFitness } from "harness-evolve";
 *   const { summary } = await evolve("campaign.yaml", { out: "runs/a", onEvent: (e) => console.log(e.type) });
 */
import { existsSync } from "node:fs";
import { benchStrategies, parseStrategies, type BenchOptions, type BenchResult } from "./bench/strategies.js";
import { runCampaign, type EvolveOptions, type RunResult } from "./campaign/run.js";
import { loadCampaign, loadCampaignObject } from "./config/load.js";
import { STRATEGIES, type CampaignInput, type StrategyName } from "./config/schema.js";

export type { EvolveOptions, RunResult } from "./campaign/run.js";
export type { RunSummary } from "./campaign/summary.js";
export type { RunEvent, RunStatus, IslandStats, ScoredHarness } from "./search/context.js";
export type { CampaignInput, CampaignConfig, StrategyName } from "./config/schema.js";
export type { BenchOptions, BenchResult } from "./bench/strategies.js";
export type { Evaluation, Fitness, FitnessContext, Task, TaskSuite, Check } from "./fitness/types.js";
export type { ChatMessage, Complete, CompletionRequest, CompletionResponse } from "./llm/types.js";
export { defineFitness, type FitnessDefinition, type FitnessModuleContext, type FitnessResult } from "./fitness/define.js";
export { UserError } from "./config/errors.js";
export { benchMap, type MapOptions, type MapResult, type MapRow } from "./bench/map.js";
export { benchTiers, type TiersOptions, type TiersResult } from "./bench/tiers.js";
export { benchAllocation, type AllocationOptions, type AllocationResult } from "./bench/allocation.js";
export { verifierStudy, type VerifierStudy } from "./bench/verifier-study.js";
export { startSimServer } from "./sim/server.js";
export { loadTaskSuite } from "./fitness/suite.js";
export { harnessHash, normalize as normalizeHarness, sections as harnessSections } from "./harness/harness.js";

/**
 * Runs a campaign: a campaign file, or a campaign object whose relative paths resolve
 * against `baseDir` (default: the working directory). Progress arrives as `onEvent`
 * calls; aborting `signal` stops the run: no new model call starts, calls in flight
 * finish, and the summary has status `stopped` (resume it later).
 */
export async function evolve(campaign: string | CampaignInput, opts: EvolveOptions & { baseDir?: string }): Promise<RunResult> {
  const loaded =
    typeof campaign === "string" ? loadCampaign(campaign, opts) : loadCampaignObject(campaign, opts.baseDir ?? process.cwd(), opts);
  return runCampaign(loaded, opts);
}

/** Compares strategies at equal budget (the `bench` command); `strategies` as names or variant labels, or "a,b,c"; default every strategy. */
export async function bench(campaignFile: string, opts: Omit<BenchOptions, "strategies"> & { strategies?: (StrategyName | string)[] | string }): Promise<BenchResult> {
  if (!existsSync(campaignFile)) loadCampaign(campaignFile); // the usual one-line error
  const strategies = typeof opts.strategies === "string" ? parseStrategies(opts.strategies) : (opts.strategies ?? [...STRATEGIES]);
  return benchStrategies(campaignFile, { ...opts, strategies });
}
