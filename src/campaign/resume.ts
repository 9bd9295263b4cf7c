import { existsSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../config/errors.js";
import type { TaskSuite } from "../fitness/types.js";
import { execute, inRunFolder, type EvolveOptions, type RunResult } from "./run.js";
import { storedCampaign, storedForkSource } from "./stored.js";

/**
 * Resume = replay. The run is re-run from the campaign, seed harness, task suite and
 * presets stored in its run.db when it started; every model call it already made is a
 * cache hit (free, same text), so the replay reaches exactly the state where the run
 * stopped and then goes on paying only for new calls. Changes to the campaign file
 * since do not apply (that is what a fork is for). The folder is locked meanwhile.
 */
export async function resume(dir: string, opts: Omit<EvolveOptions, "out" | "seed" | "sets"> = {}): Promise<RunResult> {
  if (!existsSync(join(dir, "run.db"))) throw new UserError(`${dir}: no run.db here (not a run folder)`);
  return inRunFolder(dir, { command: "harness-evolve resume", label: dir, create: false }, async ({ store }) => {
    const loaded = storedCampaign(store, dir);
    const suiteText = store.getMeta("suite");
    const suite = suiteText ? ((JSON.parse(suiteText) as TaskSuite | null) ?? undefined) : undefined;
    // What the replay rebuilds (events, candidates, evaluations) is dropped; responses and the call log stay.
    const fork = storedForkSource(store);
    store.clearReplayedState();
    return execute(loaded, suite, store, { ...opts, out: dir }, fork);
  });
}
