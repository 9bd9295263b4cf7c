#!/usr/bin/env node
/**
 * The CLI. Start-up stays cheap (`--help`, `--version`, a mistyped flag): this file loads only
 * commander and small local modules; each command's action imports what it runs when it runs.
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import type { RunResult } from "../campaign/run.js";
import type { RunEvent } from "../search/context.js";
import type { RunSummary } from "../campaign/summary.js";
import { nonAnswerParts } from "../report/replies.js";
import { oneLineMessage, UserError } from "../config/errors.js";
import type { Display } from "./display.js";
import type { BenchCliOptions } from "./bench.js";
import { registerModelsCommand } from "./models.js";
import { WORLD_PRESETS, worldKnobs, type WorldPresetName } from "../sim/presets.js";

/** package.json's version: two levels up from both src/cli/main.ts and dist/cli/main.js. */
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
}

const program = new Command();
program
  .name("harness-evolve")
  .description("Evolutionary search over harness text (system prompts, protocols, skills).")
  .version(packageVersion(), "-V, --version", "print the version")
  .showHelpAfterError();

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError("expected an integer");
  return n;
};
const collect = (v: string, prev: string[]) => [...prev, v];

program
  .command("run")
  .description("run an evolution campaign")
  .argument("<campaign>", "campaign file (YAML or JSON)")
  .option("--out <dir>", "run folder", "")
  .option("--seed <n>", "override the campaign seed", int)
  .option("--set <path=value>", "override a campaign field (repeatable), e.g. --set budget.calls=500", collect, [])
  .option("--json", "print summary.json on stdout, no progress")
  .option("--in-process", "run islands in this thread instead of worker threads")
  .option("--fork <run-dir>", "replay this earlier run up to --from-generation for free, then continue under this campaign")
  .option("--from-generation <k>", "the fork point: generations before it are replayed", int)
  .action(async (campaign: string, o: { out: string; seed?: number; set: string[]; json?: boolean; inProcess?: boolean; fork?: string; fromGeneration?: number }) => {
    const out = o.out || join("runs", `${new Date().toISOString().replace(/[:.]/g, "-")}`);
    if ((o.fork === undefined) !== (o.fromGeneration === undefined)) throw new UserError("--fork and --from-generation go together");
    const common = { out, seed: o.seed, sets: o.set, inProcessIslands: o.inProcess };
    const { evolve } = await import("../campaign/run.js");
    const { forkRun } = await import("../campaign/fork.js");
    await withDisplay(o.json, out, (onEvent, signal) =>
      o.fork !== undefined ? forkRun(campaign, { ...common, onEvent, signal, from: o.fork, until: o.fromGeneration! }) : evolve(campaign, { ...common, onEvent, signal }),
    );
  });

program
  .command("resume")
  .description("continue a run that was stopped in any way (Ctrl-C, SIGTERM, SIGKILL, power loss): calls already made are replayed from run.db for free")
  .argument("<run-dir>")
  .option("--json", "print summary.json on stdout, no progress")
  .option("--in-process", "run islands in this thread instead of worker threads")
  // For tests that check a replay reproduces the run: a completed run is otherwise left as it is.
  .addOption(new Option("--replay-completed", "replay a completed run from its cache").hideHelp())
  .action(async (dir: string, o: { json?: boolean; inProcess?: boolean; replayCompleted?: boolean }) => {
    const { resume } = await import("../campaign/resume.js");
    await withDisplay(o.json, dir, (onEvent, signal) => resume(dir, { onEvent, signal, inProcessIslands: o.inProcess, replayCompleted: o.replayCompleted }));
  });

program
  .command("best")
  .description("print the best harness of a run")
  .argument("<run-dir>")
  .action((dir: string) => {
    const file = join(dir, "summary.json");
    if (!existsSync(file)) throw new UserError(`${dir}: no summary.json (not a finished run folder)`);
    const summary = JSON.parse(readFileSync(file, "utf8")) as RunSummary;
    process.stdout.write(summary.best.text.endsWith("\n") ? summary.best.text : summary.best.text + "\n");
  });

program
  .command("bench")
  .description("compare strategies at equal budget; or run an experiment: bench tiers | allocation | verifier <campaign>")
  .argument("<campaign-or-experiment>", "a campaign file, or tiers | allocation | verifier")
  .argument("[campaign]", "the campaign file, after an experiment name")
  .option("--strategies <list>", "strategies (or the campaign's bench.variants labels) to compare; default: every strategy")
  .option("--presets <list>", "simulated world presets to compare on, each in its own folder, with a map across them (separable,rugged,deceptive)")
  .option("--seeds <n>", "seeds per strategy (campaign seed, +1, ...)", int, 5)
  .option("--out <dir>", "output folder", "")
  .option("--set <path=value>", "override a campaign field (repeatable)", collect, [])
  .option("--jobs <n>", "runs at once (separate processes); default: the machine's cores", int)
  .option("--total <amount>", "allocation: the total budget to split (in the campaign's budget unit)", Number)
  .option("--evolvers <list>", "tiers: evolver models to compare (model keys or model names)", "sim:small,sim:mid,sim:large")
  .option("--users <list>", "tiers: user models to compare (model keys or model names)", "sim:weak,sim:mid,sim:strong")
  .option("--reasoning <list>", "verifier: reasoning budgets", "0,50,100,200,400,800,1600")
  .option("--samples <list>", "verifier: judgements per answer", "1,3,5")
  .option("--json", "print the result as JSON on stdout")
  .action(async (first: string, second: string | undefined, o: BenchCliOptions) => {
    const { runBench } = await import("./bench.js");
    await runBench(first, second, o);
  });

program
  .command("report")
  .description("write report.html (self-contained, works offline) for a run folder")
  .argument("<run-dir>")
  .action(async (dir: string) => {
    if (!existsSync(join(dir, "run.db"))) throw new UserError(`${dir}: no run.db (not a run folder)`);
    const { writeReport } = await import("../report/index.js");
    process.stderr.write(`wrote ${await writeReport(dir)}\n`);
  });

registerModelsCommand(program);

const sim = program.command("sim").description("the built-in simulated models");
sim
  .command("serve")
  .description("serve the simulated models over an OpenAI-compatible HTTP API on loopback")
  .option("--port <n>", "port (0 = any free port)", int, 8787)
  .option("--host <host>", "interface to listen on", "127.0.0.1")
  .option("--world <n>", "world seed", int, 1)
  .option("--latency <ms>", "added latency per response", int, 0)
  .addOption(new Option("--preset <name>", "how rugged the world is (docs/SIM-WORLD.md)").choices(Object.keys(WORLD_PRESETS)).default("separable"))
  .action(async (o: { port: number; host: string; world: number; latency: number; preset: WorldPresetName }) => {
    const { startSimServer } = await import("../sim/server.js");
    const server = await startSimServer({ port: o.port, host: o.host, world: o.world, latencyMs: o.latency, knobs: worldKnobs(o.preset) });
    process.stderr.write(`simulated models (a synthetic landscape, not real models) at ${server.baseURL}  — Ctrl-C to stop\n`);
    const stop = () => void server.close().then(() => process.exit(0));
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });

/**
 * Runs with the progress display and graceful stops: the first Ctrl-C or SIGTERM lets the
 * calls in flight finish (at most STOP_GRACE_MS), writes the summary with status `stopped`
 * and says how to resume; a second one exits at once (the run stays resumable).
 */
const STOP_GRACE_MS = 120_000;
async function withDisplay(json: boolean | undefined, out: string, go: (onEvent: (e: RunEvent) => void, signal: AbortSignal) => Promise<RunResult>): Promise<void> {
  const { failedRunFolder } = await import("../campaign/run.js");
  const { liveDisplay, plainDisplay } = await import("./display.js");
  const display: Display | undefined = json ? undefined : process.stderr.isTTY ? liveDisplay() : plainDisplay();
  const controller = new AbortController();
  let forced: NodeJS.Timeout | undefined;
  const onSignal = (name: string) => {
    if (controller.signal.aborted) {
      display?.stop();
      process.stderr.write(`\n${name} again: stopping now. Continue later with: harness-evolve resume ${out}\n`);
      process.exit(130);
    }
    controller.abort();
    display?.stop();
    process.stderr.write(`\n${name}: stopping after the calls in flight (${name} again to stop at once)...\n`);
    forced = setTimeout(() => {
      process.stderr.write(`calls still in flight after ${STOP_GRACE_MS / 1000} s; stopping now. Continue with: harness-evolve resume ${out}\n`);
      process.exit(130);
    }, STOP_GRACE_MS);
    forced.unref();
  };
  const sigint = () => onSignal("Ctrl-C");
  const sigterm = () => onSignal("SIGTERM");
  process.on("SIGINT", sigint);
  process.on("SIGTERM", sigterm);
  try {
    let result: RunResult;
    try {
      result = await go((e) => display?.onEvent(e), controller.signal);
    } catch (e) {
      // Still one line: where the failed run waits, then the cause (last, as in every error line).
      const dir = failedRunFolder(e);
      if (dir !== undefined) (e as Error).message = `${dir} failed (summary.json written; once the cause is fixed: harness-evolve resume ${dir}): ${(e as Error).message}`;
      throw e;
    }
    const { summary } = result;
    display?.stop();
    if (json) process.stdout.write(JSON.stringify(summary, null, 2) + "\n");
    else {
      if (result.alreadyCompleted) process.stderr.write(`${out} completed already; nothing to resume, nothing changed\n`);
      printSummary(summary, out);
    }
    if (summary.status === "stopped") process.stderr.write(`stopped. Continue with: harness-evolve resume ${out}\n`);
    if (summary.status === "failed") process.exitCode = 1;
  } finally {
    display?.stop();
    if (forced) clearTimeout(forced);
    process.off("SIGINT", sigint);
    process.off("SIGTERM", sigterm);
  }
}

function printSummary(s: RunSummary, dir: string): void {
  const pct = (x: number | null | undefined) => (x === null || x === undefined ? "n/a" : `${(x * 100).toFixed(1)}%`);
  const lines = [
    "",
    `status      ${s.status}${s.reason ? ` (${s.reason})` : ""}`,
    `seed        val ${pct(s.seedHarness.valScore)}  test ${pct(s.seedHarness.testScore)}`,
    `best        val ${pct(s.best.valScore)}  test ${pct(s.best.testScore)}  (${s.best.id}, ${s.best.hash})`,
    ...(s.simOptimum !== undefined ? [`sim optimum ${pct(s.simOptimum)} expected val success (simulated models, not real ones)`] : []),
    `spend       $${s.spend.usd.toFixed(4)}  ${s.spend.calls} calls (${s.spend.cachedCalls} cached)  ${s.spend.inputTokens + s.spend.outputTokens} tokens  ${(s.durationMs / 1000).toFixed(1)} s`,
    ...nonAnswerLine(s),
    `run folder  ${dir}   (best harness: harness-evolve best ${dir}; report: ${join(dir, "report.html")})`,
  ];
  process.stderr.write(lines.join("\n") + "\n");
}

/** Replies that were not answers, when there were any: they fail their tasks, so a low score may be them, not the harness. */
function nonAnswerLine(s: RunSummary): string[] {
  const parts = nonAnswerParts(s.spend);
  return parts.length ? [`replies     ${parts.join(", ")} (not answers: see summary.json spend and the report)`] : [];
}

program.parseAsync(process.argv).catch((e: unknown) => {
  if (e instanceof UserError) {
    process.stderr.write(`error: ${e.message}\n`);
    process.exit(2);
  }
  const err = e as Error;
  process.stderr.write(`error: ${oneLineMessage(err?.message ?? String(e))}\n`);
  if (process.env.HARNESS_EVOLVE_DEBUG) process.stderr.write(`${err?.stack ?? ""}\n`);
  process.exit(1);
});
