import { fork, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pLimit from "p-limit";
import type { RunSummary } from "../campaign/summary.js";
import { UserError } from "../config/errors.js";
import type { RunReply, RunRequest } from "./run-worker.js";

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

/** The run process's entry next to this module, run with tsx when we run from TypeScript sources. */
function workerCommand(): { file: string; execArgv: string[] } {
  const ts = import.meta.url.endsWith(".ts");
  const file = fileURLToPath(new URL(ts ? "./run-worker.ts" : "./run-worker.js", import.meta.url));
  return { file, execArgv: ts ? ["--import", "tsx"] : [] };
}

/**
 * Runs every spec as `harness-evolve run --json` would, several at once, in a pool of child
 * processes (each run is single-threaded on its main thread, so processes use the cores).
 * A process runs one spec at a time and then takes the next, so start-up is paid once per
 * process rather than once per run. A run folder that already holds a finished summary for
 * the same spec is reused.
 */
export async function runAll(campaignFile: string, specs: readonly RunSpec[], opts: RunnerOptions = {}): Promise<RunOutcome[]> {
  const limit = pLimit(Math.max(1, opts.jobs ?? availableParallelism()));
  const pool = new RunPool();
  let finished = 0;
  try {
    return await Promise.all(
      specs.map((spec) =>
        limit(async () => {
          const summary = reuse(spec) ?? (await pool.run(campaignFile, spec));
          finished++;
          const outcome = { spec, summary };
          opts.onDone?.(outcome, finished, specs.length);
          return outcome;
        }),
      ),
    );
  } finally {
    pool.close();
  }
}

/** Idle run processes, started on demand (at most as many as runs at once). */
class RunPool {
  private readonly idle: RunProcess[] = [];
  private readonly command = workerCommand();
  private closed = false;

  async run(campaignFile: string, spec: RunSpec): Promise<RunSummary> {
    // Closed when a run failed: the runs still queued are not started.
    if (this.closed) throw new Error(`${spec.label} (seed ${spec.seed}): not run (an earlier run failed)`);
    const worker = this.idle.pop() ?? new RunProcess(this.command.file, this.command.execArgv);
    // A folder left by an interrupted run is started afresh.
    rmSync(spec.out, { recursive: true, force: true });
    try {
      const summary = await worker.run({ campaignFile, out: spec.out, seed: spec.seed, sets: spec.sets }, spec);
      writeSpec(spec);
      return summary;
    } finally {
      if (worker.alive) {
        if (this.closed) worker.stop();
        else this.idle.push(worker);
      }
    }
  }

  /** Idle processes exit now, busy ones when their run ends. */
  close(): void {
    this.closed = true;
    for (const w of this.idle.splice(0)) w.stop();
  }
}

/** One child process serving runs one after another over its IPC channel. */
class RunProcess {
  private readonly child: ChildProcess;
  private stderr = "";
  private exited = false;
  private waiting: { resolve: (r: RunReply) => void; reject: (e: Error) => void } | undefined;

  constructor(file: string, execArgv: string[]) {
    this.child = fork(file, [], { execArgv, stdio: ["ignore", "ignore", "pipe", "ipc"] });
    this.child.stderr!.on("data", (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-20_000); // enough for the last lines
    });
    this.child.on("message", (reply: RunReply) => {
      const w = this.waiting;
      this.waiting = undefined;
      w?.resolve(reply);
    });
    this.child.on("error", (e) => this.fail(e));
    this.child.on("exit", (code, signal) => {
      this.exited = true;
      this.fail(new Error(lastLine(this.stderr) ?? `exit ${signal ?? code}`));
    });
  }

  get alive(): boolean {
    return !this.exited && this.waiting === undefined;
  }

  async run(request: RunRequest, spec: RunSpec): Promise<RunSummary> {
    this.stderr = "";
    const reply = await new Promise<RunReply>((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.child.send(request);
    }).catch((e: Error) => ({ ok: false as const, kind: "error" as const, message: e.message }));
    if (reply.ok) return reply.summary;
    const what = `${spec.label} (seed ${spec.seed})`;
    if (reply.kind === "user") throw new UserError(`${what}: ${reply.message}`);
    throw new Error(`${what} failed: ${reply.message}`);
  }

  stop(): void {
    if (!this.exited) this.child.disconnect();
  }

  private fail(e: Error): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(e);
  }
}

function lastLine(stderr: string): string | undefined {
  return stderr.trim().split("\n").filter((l) => l && !l.includes("npm warn")).pop();
}

function reuse(spec: RunSpec): RunSummary | undefined {
  const file = join(spec.out, "summary.json");
  const marker = join(spec.out, "spec.json");
  if (!existsSync(file) || !existsSync(marker)) return undefined;
  if (readFileSync(marker, "utf8") !== JSON.stringify(spec)) return undefined;
  return JSON.parse(readFileSync(file, "utf8")) as RunSummary;
}

function writeSpec(spec: RunSpec): void {
  writeFileSync(join(spec.out, "spec.json"), JSON.stringify(spec));
}
