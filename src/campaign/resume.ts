import { existsSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../config/errors.js";
import type { TaskSuite } from "../fitness/types.js";
import { RUN_DB } from "../store/run-store.js";
import { LOCK_FILE } from "./lock.js";
import { completedSummary, markRunning } from "./outcome.js";
import { execute, inRunFolder, type EvolveOptions, type RunResult } from "./run.js";
import { storedCampaign, storedForkSource } from "./stored.js";
import { SUMMARY_FILE, writeSummary } from "./summary.js";

export interface ResumeOptions extends Omit<EvolveOptions, "out" | "seed" | "sets"> {
  /**
   * Replay a completed run too (from its cache: nothing new is paid, the call log grows by
   * one cached call per call). For tests that check that a replay reproduces the run.
   */
  replayCompleted?: boolean;
}

/**
 * Resume = replay. The run is re-run from the campaign, seed harness, task suite and
 * presets stored in its run.db when it started; every model call it already made is a
 * cache hit (free, same text), so the replay reaches exactly the state where the run
 * stopped and then goes on paying only for new calls. Changes to the campaign file
 * since do not apply (that is what a fork is for). The folder is locked meanwhile.
 * A completed run has nothing to continue: its summary is returned and nothing changes.
 */
export async function resume(dir: string, opts: ResumeOptions = {}): Promise<RunResult> {
  // A folder with neither is not a run folder: no lock is written there. With a lock only, its owner may be starting.
  if (!existsSync(join(dir, RUN_DB)) && !existsSync(join(dir, LOCK_FILE))) throw new UserError(`${dir}: no run.db here (not a run folder)`);
  const { replayCompleted, ...rest } = opts;
  return inRunFolder(dir, { command: "harness-evolve resume", label: dir, create: false }, async ({ store }) => {
    const done = replayCompleted ? undefined : completedSummary(store, dir);
    if (done) {
      // summary.json is a view of run.db: put back if deleted, never rewritten.
      if (!existsSync(join(dir, SUMMARY_FILE))) writeSummary(dir, done);
      return { dir, summary: done, alreadyCompleted: true };
    }
    const loaded = storedCampaign(store, dir);
    const suiteText = store.getMeta("suite");
    const suite = suiteText ? ((JSON.parse(suiteText) as TaskSuite | null) ?? undefined) : undefined;
    const fork = storedForkSource(store);
    // Once the replay can start: what it rebuilds (events, candidates, evaluations) is dropped; responses and the call log stay.
    const begin = () =>
      store.transaction(() => {
        store.clearReplayedState();
        markRunning(store);
      });
    return execute(loaded, suite, store, { ...rest, out: dir }, fork, begin);
  });
}
