import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";

export const ROOT = resolve(import.meta.dirname, "../..");
/** The CLI from its TypeScript sources. */
export const CLI = [process.execPath, "--import", "tsx", join(ROOT, "src/cli/main.ts")] as const;

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
