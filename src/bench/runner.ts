import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pLimit from "p-limit";
import type { RunSummary } from "../campaign/summary.js";
import { UserError } from "../config/errors.js";

/** One campaign run of a benchmark: the campaign file plus overrides, in its own folder. */
export interface RunSpec {
  /** Groups runs in the tables (a strategy, an evolver, a split...). */
  label: string;
  seed: number;
  /** `--set` overrides on top of the campaign file. */
  sets: string[];
  out: string;
}

export interface RunOutcome {
  spec: RunSpec;
  summary: RunSummary;
}

export interface RunnerOptions {
  /** Runs at once (separate processes); default: the machine's cores. */
  jobs?: number;
  onDone?: (done: RunOutcome, finished: number, total: number) => void;
}

/** The CLI entry next to this module, run with tsx when we run from TypeScript sources. */
function cliCommand(): { file: string; execArgv: string[] } {
  const ts = import.meta.url.endsWith(".ts");
  const file = fileURLToPath(new URL(ts ? "../cli/main.ts" : "../cli/main.js", import.meta.url));
  return { file, execArgv: ts ? ["--import", "tsx"] : [] };
}

/**
 * Runs every spec as `harness-evolve run --json` in a child process, several at once
 * (each run is single-threaded on its main thread, so processes use the cores).
 * A run folder that already holds a finished summary for the same spec is reused.
 */
export async function runAll(campaignFile: string, specs: readonly RunSpec[], opts: RunnerOptions = {}): Promise<RunOutcome[]> {
  const limit = pLimit(Math.max(1, opts.jobs ?? availableParallelism()));
  const { file, execArgv } = cliCommand();
  let finished = 0;
  return Promise.all(
    specs.map((spec) =>
      limit(async () => {
        const summary = reuse(spec) ?? (await runOne(file, execArgv, campaignFile, spec));
        finished++;
        const outcome = { spec, summary };
        opts.onDone?.(outcome, finished, specs.length);
        return outcome;
      }),
    ),
  );
}

function reuse(spec: RunSpec): RunSummary | undefined {
  const file = join(spec.out, "summary.json");
  const marker = join(spec.out, "spec.json");
  if (!existsSync(file) || !existsSync(marker)) return undefined;
  if (readFileSync(marker, "utf8") !== JSON.stringify(spec)) return undefined;
  return JSON.parse(readFileSync(file, "utf8")) as RunSummary;
}

function runOne(cli: string, execArgv: string[], campaignFile: string, spec: RunSpec): Promise<RunSummary> {
  // A folder left by an interrupted run is started afresh.
  rmSync(spec.out, { recursive: true, force: true });
  const args = [...execArgv, cli, "run", campaignFile, "--out", spec.out, "--seed", String(spec.seed), "--json", ...spec.sets.flatMap((s) => ["--set", s])];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) {
        const line = stderr.trim().split("\n").filter((l) => !l.includes("npm warn")).pop() ?? `exit ${code}`;
        const err = code === 2 ? new UserError(`${spec.label} (seed ${spec.seed}): ${line.replace(/^error: /, "")}`) : new Error(`${spec.label} (seed ${spec.seed}) failed: ${line}`);
        reject(err);
        return;
      }
      try {
        const summary = JSON.parse(stdout) as RunSummary;
        writeSpec(spec);
        resolve(summary);
      } catch {
        reject(new Error(`${spec.label} (seed ${spec.seed}): the run printed no summary`));
      }
    });
  });
}

function writeSpec(spec: RunSpec): void {
  writeFileSync(join(spec.out, "spec.json"), JSON.stringify(spec));
}
