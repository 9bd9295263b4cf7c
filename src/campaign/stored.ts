import { join } from "node:path";
import type { Preset } from "../config/presets.js";
import { UserError } from "../config/errors.js";
import { parseCampaign, type LoadedCampaign } from "../config/load.js";
import type { TaskSuite } from "../fitness/types.js";
import type { RunStore } from "../store/run-store.js";
import type { ForkSource } from "./run.js";

/** What a run recorded when it started, read back for a resume or a fork. */

/** What a forked run records so that it can itself be resumed. */
export interface StoredFork {
  from: string;
  until: number;
  campaign: unknown;
  campaignFile: string;
  seedHarness: string;
  suite: TaskSuite | null;
  presets: Preset[];
}

export function storedCampaign(store: RunStore, dir: string): LoadedCampaign {
  const campaign = store.getMeta("campaign");
  const seedHarness = store.getMeta("seedHarness");
  const file = store.getMeta("campaignFile");
  if (!campaign || seedHarness === undefined || !file) {
    throw new UserError(`${dir}: run.db does not hold the campaign it ran (written by an older harness-evolve?); it cannot be resumed`);
  }
  let config;
  try {
    config = parseCampaign(JSON.parse(campaign), join(dir, "run.db"));
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`${e.message} (this run was written by another version of harness-evolve)`);
    throw e;
  }
  return { config, file, harnessPath: "", seedHarness };
}

/** The fork source of a forked run being resumed, from what it recorded. */
export function storedForkSource(store: RunStore): ForkSource | undefined {
  const text = store.getMeta("fork");
  if (!text) return undefined;
  const f = JSON.parse(text) as StoredFork;
  const config = parseCampaign(f.campaign, "fork");
  return { loaded: { config, file: f.campaignFile, harnessPath: "", seedHarness: f.seedHarness }, suite: f.suite ?? undefined, presets: f.presets, until: f.until };
}
