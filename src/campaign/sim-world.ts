import type { CampaignConfig } from "../config/schema.js";
import { worldKnobs, type WorldKnobs } from "../sim/presets.js";
import type { SimServerOptions } from "../sim/server.js";

/** The campaign's simulated world: its preset with any single knobs over it. */
export function simKnobs(config: CampaignConfig): WorldKnobs {
  return worldKnobs(config.sim.preset, config.sim.knobs);
}

export function simServerOptions(config: CampaignConfig): SimServerOptions {
  return { world: config.sim.world, latencyMs: config.sim.latencyMs, knobs: simKnobs(config) };
}
