import type { CampaignConfig } from "../config/schema.js";
import type { TaskSuite } from "../fitness/types.js";
import type { StrategyResult } from "../search/context.js";
import { isSimModel } from "../sim/models.js";
import { expectedSuccess, simOptimum } from "../sim/optimum.js";
import { createWorld } from "../sim/world.js";
import { simKnobs } from "./sim-world.js";

/**
 * For simulated campaigns the landscape is known: the best achievable expected val
 * success for the user model, and the noise-free expected success of the seed and of
 * the winner. Undefined when the user role is not a single sim model.
 */
export function simFigures(config: CampaignConfig, suite: TaskSuite, result: StrategyResult) {
  const binding = config.roles.user;
  const key = typeof binding === "string" ? binding : binding.length === 1 ? binding[0]!.model : undefined;
  const model = key ? config.models[key]?.model : undefined;
  if (!model || !isSimModel(model)) return undefined;
  const world = createWorld(config.sim.world, simKnobs(config));
  const val = suite.tasks.filter((t) => t.split === "val").map((t) => t.id);
  const texts = new Map(result.candidates.map((c) => [c.id, c.text]));
  const expected = new Map<string, number>();
  const anytime = result.anytime.map((p) => {
    const text = p.bestId ? texts.get(p.bestId) : undefined;
    if (text !== undefined && !expected.has(text)) expected.set(text, expectedSuccess(world, text, model, val));
    return text !== undefined ? expected.get(text)! : null;
  });
  return {
    anytime,
    optimum: simOptimum(world, model, val).score,
    seed: expectedSuccess(world, result.seedHarness.text, model, val),
    best: expectedSuccess(world, result.best.text, model, val),
    model,
  };
}
