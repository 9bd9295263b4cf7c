import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";

export const ROOT = resolve(import.meta.dirname, "../..");
/**
 * The CLI as it ships: dist/, which test/global-setup.ts builds from src/ before the suite when it
 * is stale. Through tsx a CLI process (and each of its worker threads) pays the loader's start-up,
 * about 2 s of CPU per campaign; the suite spawns the CLI a few hundred times.
 */
export const CLI = [process.execPath, join(ROOT, "dist/cli/main.js")] as const;

/** The CLI from its TypeScript sources, for what is about the sources themselves. */
export const CLI_FROM_SOURCES = [process.execPath, "--import", "tsx", join(ROOT, "src/cli/main.ts")] as const;

/** Starts a CLI command and SIGKILLs it after `ms` unless it ends first; a non-zero exit rejects with its last stderr line. */
export function killedAfter(args: string[], ms: number): Promise<"killed" | "finished"> {
  return new Promise((done, fail) => {
    const child = spawn(CLI[0], [...CLI.slice(1), ...args], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), ms);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (signal === "SIGKILL") done("killed");
      else if (code === 0) done("finished");
      else fail(new Error(`${args.join(" ")} exited ${code}: ${stderr.trim().split("\n").pop()}`));
    });
  });
}

/** Whether a run folder holds a started run (its campaign is recorded), read through SQLite (the WAL included). */
export function started(dir: string): boolean {
  if (!existsSync(join(dir, "run.db"))) return false;
  const db = new Database(join(dir, "run.db"), { readonly: true, fileMustExist: true });
  try {
    const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
    return Boolean(hasMeta && db.prepare("SELECT 1 FROM meta WHERE key = 'campaign'").get());
  } finally {
    db.close();
  }
}

/** Responses stored in a run folder's run.db so far (0 before it holds any), read through SQLite (the WAL included). */
export function storedResponses(dir: string): number {
  if (!existsSync(join(dir, "run.db"))) return 0;
  try {
    const db = new Database(join(dir, "run.db"), { readonly: true, fileMustExist: true });
    try {
      return (db.prepare("SELECT COUNT(*) AS n FROM responses").get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return 0; // run.db made, its tables not yet
  }
}

/**
 * Starts a CLI command and SIGKILLs it once the run folder `dir` holds at least `atLeast`
 * responses (polled every 50 ms: the kill lands wherever the run is then, calls in flight and
 * all), unless it ends first. A moment defined by progress rather than by a clock: on a loaded
 * machine a kill a few seconds after the start may land before the run has done anything. A
 * non-zero exit rejects with its last stderr line.
 */
export function killedWhenStored(args: string[], dir: string, atLeast: number): Promise<"killed" | "finished"> {
  return new Promise((done, fail) => {
    const child = spawn(CLI[0], [...CLI.slice(1), ...args], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const poll = setInterval(() => {
      if (storedResponses(dir) >= atLeast) child.kill("SIGKILL");
    }, 50);
    child.on("exit", (code, signal) => {
      clearInterval(poll);
      if (signal === "SIGKILL") done("killed");
      else if (code === 0) done("finished");
      else fail(new Error(`${args.join(" ")} exited ${code}: ${stderr.trim().split("\n").pop()}`));
    });
  });
}

/** A CLI command to its end, without blocking this process (so runs can go side by side). */
export function cliRun(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(CLI[0], [...CLI.slice(1), ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}
