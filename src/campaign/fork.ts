import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Preset } from "../config/presets.js";
import { UserError } from "../config/errors.js";
import { loadCampaign } from "../config/load.js";
import { loadTaskSuite } from "../fitness/suite.js";
import type { TaskSuite } from "../fitness/types.js";
import { RunStore } from "../store/run-store.js";
import { storedCampaign, type StoredFork } from "./stored.js";
import { checkSeedBudget, preflight } from "./preflight.js";
import { markRunning } from "./outcome.js";
import { execute, inRunFolder, type EvolveOptions, type ForkSource, type RunResult } from "./run.js";

/**
 * A fork: a new run that replays an earlier run up to generation `until` for free (its
 * responses are copied into the new run.db and it runs under its own stored campaign),
 * then continues under a new campaign file: another budget, more or fewer islands,
 * another evolver. Island strategies only.
 */
export async function forkRun(campaignFile: string, opts: EvolveOptions & { from: string; until: number }): Promise<RunResult> {
  const loaded = loadCampaign(campaignFile, opts);
  if (!existsSync(join(opts.from, "run.db"))) throw new UserError(`--fork ${opts.from}: no run.db here (not a run folder)`);
  if (!Number.isInteger(opts.until) || opts.until < 1) throw new UserError("--from-generation: expected a positive integer");
  const source = readSource(opts.from, opts.until);
  if (loaded.config.strategy.name !== "islands" || source.loaded.config.strategy.name !== "islands") {
    throw new UserError(`--fork: both the forked run and ${campaignFile} must use strategy.name: islands`);
  }
  const suite = loaded.tasksPath ? loadTaskSuite(loaded.tasksPath) : undefined;
  const env = opts.env ?? process.env;
  preflight(loaded, suite, env);
  // Up to the fork point the seed is scored, and calls made, under the earlier campaign, on this budget.
  preflight(source.loaded, source.suite, env);
  checkSeedBudget(source.loaded, source.suite, loaded.config.budget);
  return inRunFolder(opts.out, { command: "harness-evolve run", label: `--out ${opts.out}`, create: true }, async ({ store, fresh, begun }) => {
    if (!fresh) throw new UserError(`--out ${opts.out}: already holds a run (run.db); a fork needs a new folder`);
    store.importResponses(join(opts.from, "run.db"));
    store.importVerdicts(join(opts.from, "run.db"));
    const record = () => {
      const fork: StoredFork = {
        from: opts.from,
        until: opts.until,
        campaign: source.loaded.config,
        campaignFile: source.loaded.file,
        seedHarness: source.loaded.seedHarness,
        suite: source.suite ?? null,
        presets: source.presets,
      };
      store.transaction(() => {
        store.setMeta("campaign", JSON.stringify(loaded.config));
        store.setMeta("campaignFile", loaded.file);
        // The lineage goes on from the earlier run's seed harness.
        store.setMeta("seedHarness", source.loaded.seedHarness);
        store.setMeta("suite", JSON.stringify(suite ?? null));
        store.setMeta("fork", JSON.stringify(fork));
        markRunning(store);
      });
      begun();
    };
    return execute({ ...loaded, seedHarness: source.loaded.seedHarness }, suite, store, opts, source, record);
  });
}

function readSource(dir: string, until: number): ForkSource {
  const store = RunStore.open(dir);
  try {
    const loaded = storedCampaign(store, dir);
    const suiteText = store.getMeta("suite");
    const presetsText = store.getMeta("presets");
    const reached = store.events("generation").length;
    if (until > reached) throw new UserError(`--from-generation ${until}: ${dir} completed only ${reached} generation${reached === 1 ? "" : "s"}`);
    return {
      loaded,
      suite: suiteText ? ((JSON.parse(suiteText) as TaskSuite | null) ?? undefined) : undefined,
      presets: presetsText ? (JSON.parse(presetsText) as Preset[]) : [],
      until,
    };
  } finally {
    store.close();
  }
}
