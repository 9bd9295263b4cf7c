/**
 * Fitness from any program: the shell runs `run` with the harness on stdin (and its path in
 * HARNESS_FILE, its split in HARNESS_SPLIT); the program prints `{"score": 0.8, "feedback": "..."}`
 * as the last JSON line of its stdout. A program that fails, hangs or prints something else fails
 * that candidate only (Evaluation.error), never the run.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Cost } from "../budget/types.js";
import { scoreProblem, toTaskResults } from "./define.js";
import type { EvaluateOptions, Evaluation, Fitness, FitnessContext, Split, TaskResult } from "./types.js";

export interface CommandFitnessOptions {
  /** The command line, run by the shell. */
  run: string;
  /** Working directory (default: this process's). */
  cwd?: string;
  /** Per evaluation; past it the process group is killed and the candidate fails. */
  timeoutMs: number;
  /** Stdout beyond this fails the evaluation (default 8 MB). */
  maxOutputBytes?: number;
}

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Why the process did not finish normally, already worded. */
  problem?: string;
}

const STDERR_KEEP = 64 * 1024;

export class CommandFitness implements Fitness {
  constructor(private readonly opts: CommandFitnessOptions) {
    if (!(Number.isFinite(opts.timeoutMs) && opts.timeoutMs > 0)) throw new RangeError("CommandFitness: timeoutMs must be a positive number");
  }

  async evaluate(harness: string, opts: EvaluateOptions, ctx: FitnessContext): Promise<Evaluation> {
    ctx.signal?.throwIfAborted();
    const cost: Cost = { usd: 0, tokens: 0, calls: 0 };
    const fail = (reason: string): Evaluation => ({
      score: 0,
      feedback: "",
      split: opts.split,
      stage: "full",
      results: [],
      cost,
      error: `command ${JSON.stringify(this.opts.run)}: ${reason}`,
    });
    const dir = await mkdtemp(join(tmpdir(), "harness-evolve-"));
    try {
      const file = join(dir, "harness.md");
      await writeFile(file, harness, "utf8");
      const done = await this.exec(harness, file, opts.split, opts.taskIds, ctx.signal);
      if (done.problem) return fail(done.problem);
      if (done.code !== 0) {
        const how = done.code === null ? `was killed by signal ${done.signal ?? "?"}` : `exited with code ${done.code}`;
        const last = lastLine(done.stderr);
        return fail(last ? `${how}: ${last}` : `${how} (nothing on stderr)`);
      }
      const parsed = parseOutput(done.stdout);
      if (typeof parsed === "string") return fail(parsed);
      return { score: parsed.score, feedback: parsed.feedback, split: opts.split, stage: "full", results: parsed.results, cost };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private exec(harness: string, file: string, split: Split, taskIds: readonly string[] | undefined, signal: AbortSignal | undefined): Promise<Finished> {
    const maxOut = this.opts.maxOutputBytes ?? 8 * 1024 * 1024;
    return new Promise<Finished>((resolve, reject) => {
      const env: NodeJS.ProcessEnv = { ...process.env, HARNESS_FILE: file, HARNESS_SPLIT: split };
      if (taskIds !== undefined) env.HARNESS_TASK_IDS = taskIds.join(",");
      else delete env.HARNESS_TASK_IDS;
      // Its own process group (POSIX), so a timeout kills the shell and everything it started.
      const child = spawn(this.opts.run, { shell: true, cwd: this.opts.cwd, env, detached: process.platform !== "win32", stdio: ["pipe", "pipe", "pipe"] });
      const out: Buffer[] = [];
      let outBytes = 0;
      let stderr = "";
      let settled = false;
      const killGroup = () => {
        try {
          if (process.platform !== "win32" && child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
          else child.kill("SIGKILL");
        } catch {
          // already gone
        }
      };
      const settle = (f: Finished | { error: unknown }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        if ("error" in f) reject(f.error);
        else resolve(f);
      };
      const stopWith = (problem: string) => {
        killGroup();
        settle({ code: null, signal: null, stdout: "", stderr, problem });
      };
      const onAbort = () => {
        killGroup();
        settle({ error: signal?.reason });
      };
      const timer = setTimeout(() => stopWith(`no result within ${this.opts.timeoutMs} ms`), this.opts.timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });

      child.stdout.on("data", (b: Buffer) => {
        outBytes += b.length;
        if (outBytes > maxOut) return stopWith(`wrote more than ${maxOut} bytes to stdout`);
        out.push(b);
      });
      child.stderr.setEncoding("utf8");
      child.stderr.on("data", (s: string) => {
        stderr = (stderr + s).slice(-STDERR_KEEP);
      });
      // A program that never reads stdin closes it early: that is not a failure.
      child.stdin.on("error", () => {});
      child.stdin.end(harness);
      child.on("error", (e) => stopWith(`could not be started: ${e.message}`));
      child.on("close", (code, sig) => settle({ code, signal: sig, stdout: Buffer.concat(out).toString("utf8"), stderr }));
    });
  }
}

function lastLine(text: string): string {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  const last = lines[lines.length - 1] ?? "";
  return last.length > 300 ? `${last.slice(0, 300)}…` : last;
}

function tryJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The program's verdict: the last stdout line that is a JSON object with a `score` (other
 * lines may be logs), else the whole stdout as one JSON object. A string says what is wrong.
 */
export function parseOutput(stdout: string): { score: number; feedback: string; results: TaskResult[] } | string {
  const lines = stdout.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  let found: Record<string, unknown> | undefined;
  for (let i = lines.length - 1; i >= 0 && !found; i--) {
    const line = lines[i]!;
    if (!line.startsWith("{")) continue;
    const o = tryJsonObject(line);
    if (o && "score" in o) found = o;
  }
  found ??= tryJsonObject(stdout.trim());
  if (!found || typeof found.score !== "number") {
    // Python's json.dumps writes NaN and Infinity, which are not JSON: say what the score was.
    const bare = /"score"\s*:\s*(NaN|-?Infinity)\b/.exec(stdout);
    if (bare) return scoreProblem(Number(bare[1])) ?? "score is not a number";
    const head = stdout.trim().slice(0, 200);
    return `stdout is not JSON with a numeric score: ${head.length > 0 ? head : "(empty)"}`;
  }
  const problem = scoreProblem(found.score);
  if (problem) return problem;
  return { score: found.score, feedback: typeof found.feedback === "string" ? found.feedback : "", results: toTaskResults(found.details) };
}
