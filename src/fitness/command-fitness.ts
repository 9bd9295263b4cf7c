/**
 * Fitness from any program: the shell runs `run` with the harness on stdin (and its path in
 * HARNESS_FILE, its split in HARNESS_SPLIT); the program prints `{"score": 0.8, "feedback": "..."}`
 * as the last JSON line of its stdout. A program that fails, hangs or prints something else fails
 * that candidate only (Evaluation.error), never the run.
 *
 * A program past `timeoutMs` is run once more, alone, with RETRY_LIMIT_FACTOR times the limit;
 * only a second time-out fails the candidate (Evaluation.timeout). With `verdicts`, the final
 * verdict is stored and a replay takes it instead of running the program again.
 *
 * The shell runs in its own process group, and the whole group is killed as soon as the shell
 * exits (or times out), so background jobs it left behind do not outlive the evaluation. A child
 * that calls `setsid` leaves the group: it escapes this and is the user's to reap.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Cost } from "../budget/types.js";
import { scoreProblem, toTaskResults } from "./define.js";
import type { EvaluateOptions, Evaluation, Fitness, FitnessContext, Split, TaskResult, VerdictCache } from "./types.js";
import { evaluationOf, isEvaluationVerdict, RETRY_LIMIT_FACTOR, RunGate, storedVerdict, timedOutTwice, verdictKey, type EvaluationVerdict } from "./verdicts.js";

export interface CommandFitnessOptions {
  /** The command line, run by the shell. */
  run: string;
  /** Working directory (default: this process's). */
  cwd?: string;
  /** Per evaluation; past it the process group is killed and the candidate fails. */
  timeoutMs: number;
  /** Stdout beyond this fails the evaluation (default 8 MB). */
  maxOutputBytes?: number;
  /** Campaign seed: part of the verdict key (the same harness under another seed is another run). */
  seed?: number;
  /** Where final verdicts are kept; a stored one is returned without running the program. */
  verdicts?: VerdictCache;
}

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Why the process did not finish normally, already worded. */
  problem?: string;
  /** It ran past its limit (and was killed). */
  timedOut?: boolean;
}

const STDERR_KEEP = 64 * 1024;

/** Every command evaluation in this process: ordinary ones overlap, a retry runs alone. */
const commandGate = new RunGate();

export class CommandFitness implements Fitness {
  constructor(private readonly opts: CommandFitnessOptions) {
    if (!(Number.isFinite(opts.timeoutMs) && opts.timeoutMs > 0)) throw new RangeError("CommandFitness: timeoutMs must be a positive number");
  }

  async evaluate(harness: string, opts: EvaluateOptions, ctx: FitnessContext): Promise<Evaluation> {
    ctx.signal?.throwIfAborted();
    const cost: Cost = { usd: 0, tokens: 0, calls: 0 };
    const key = this.verdictKey(harness, opts);
    const stored = storedVerdict(this.opts.verdicts, key, isEvaluationVerdict);
    if (stored) return evaluationOf(stored, opts.split, cost);
    const { timeoutMs } = this.opts;
    const retryMs = timeoutMs * RETRY_LIMIT_FACTOR;
    let verdict = await commandGate.run("shared", ctx.signal, () => this.attempt(harness, opts, timeoutMs, ctx.signal));
    if (verdict === "timeout") verdict = await commandGate.run("alone", ctx.signal, () => this.attempt(harness, opts, retryMs, ctx.signal));
    if (verdict === "timeout") verdict = { ...this.failed(timedOutTwice(`no result within ${timeoutMs} ms`, `within ${retryMs} ms`)), timeout: true };
    this.opts.verdicts?.putVerdict(key, verdict);
    return evaluationOf(verdict, opts.split, cost);
  }

  /** Everything the verdict depends on: the program, where it runs, its limits, and its input. */
  private verdictKey(harness: string, opts: EvaluateOptions): string {
    const { run, cwd, timeoutMs, maxOutputBytes, seed } = this.opts;
    return verdictKey("command", [run, cwd ?? process.cwd(), timeoutMs, maxOutputBytes ?? null, seed ?? null, opts.split, opts.taskIds ?? null, harness]);
  }

  private failed(reason: string): EvaluationVerdict {
    return { score: 0, feedback: "", results: [], error: `command ${JSON.stringify(this.opts.run)}: ${reason}` };
  }

  /** One run of the program within `limitMs`: its verdict, or "timeout". */
  private async attempt(harness: string, opts: EvaluateOptions, limitMs: number, signal: AbortSignal | undefined): Promise<EvaluationVerdict | "timeout"> {
    const dir = await mkdtemp(join(tmpdir(), "harness-evolve-"));
    try {
      const file = join(dir, "harness.md");
      await writeFile(file, harness, "utf8");
      const done = await this.exec(harness, file, opts.split, opts.taskIds, limitMs, signal);
      if (done.timedOut) return "timeout";
      if (done.problem) return this.failed(done.problem);
      if (done.code !== 0) {
        const how = done.code === null ? `was killed by signal ${done.signal ?? "?"}` : `exited with code ${done.code}`;
        const last = lastLine(done.stderr);
        return this.failed(last ? `${how}: ${last}` : `${how} (nothing on stderr)`);
      }
      const parsed = parseOutput(done.stdout);
      if (typeof parsed === "string") return this.failed(parsed);
      return { score: parsed.score, feedback: parsed.feedback, results: parsed.results };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private exec(harness: string, file: string, split: Split, taskIds: readonly string[] | undefined, limitMs: number, signal: AbortSignal | undefined): Promise<Finished> {
    const maxOut = this.opts.maxOutputBytes ?? 8 * 1024 * 1024;
    return new Promise<Finished>((resolve, reject) => {
      const env: NodeJS.ProcessEnv = { ...process.env, HARNESS_FILE: file, HARNESS_SPLIT: split };
      if (taskIds !== undefined) env.HARNESS_TASK_IDS = taskIds.join(",");
      else delete env.HARNESS_TASK_IDS;
      // Its own process group (POSIX), so a kill reaches the shell and everything it started.
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
      const stopWith = (problem: string, timedOut = false) => {
        killGroup();
        settle({ code: null, signal: null, stdout: "", stderr, problem, ...(timedOut ? { timedOut } : {}) });
      };
      const onAbort = () => {
        killGroup();
        settle({ error: signal?.reason });
      };
      const timer = setTimeout(() => stopWith(`no result within ${limitMs} ms`, true), limitMs);
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
      // When the shell exits, what it left running in its group goes too (and lets its pipes close).
      child.on("exit", killGroup);
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
