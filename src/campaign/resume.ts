import { existsSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../config/errors.js";
import type { TaskSuite } from "../fitness/types.js";
import { RUN_DB } from "../store/run-store.js";
import { LOCK_FILE } from "./lock.js";
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
  // A folder with neither is not a run folder: no lock is written there. With a lock only, its owner may be starting.
  if (!existsSync(join(dir, RUN_DB)) && !existsSync(join(dir, LOCK_FILE))) throw new UserError(`${dir}: no run.db here (not a run folder)`);
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
