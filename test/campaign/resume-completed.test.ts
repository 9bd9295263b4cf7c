import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import type { RunSummary } from "../../src/campaign/summary.js";
import { CLI, ROOT } from "../helpers/cli-run.js";
import { smallCampaign } from "../e2e/helpers.js";

function cli(args: string[]) {
  const r = spawnSync(CLI[0], [...CLI.slice(1), ...args], { cwd: ROOT, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The lines a finished run ends with: from its `status` line on. */
function finalLines(stderr: string): string[] {
  const lines = stderr.trimEnd().split("\n");
  return lines.slice(lines.findIndex((l) => l.startsWith("status ")));
}

/** Every file of the run folder, byte for byte. */
function files(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f)).toString("base64")]));
}

function rowCounts(dir: string): Record<string, number> {
  const db = new Database(join(dir, "run.db"), { readonly: true, fileMustExist: true });
  try {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
    return Object.fromEntries(tables.map((t) => [t, (db.prepare(`SELECT COUNT(*) AS n FROM "${t}"`).get() as { n: number }).n]));
  } finally {
    db.close();
  }
}

/** One completed run (by the CLI) for both tests: the first leaves it byte-identical, the second only replays it. */
let completed: { out: string; ran: ReturnType<typeof cli> } | undefined;
function completedRun() {
  if (!completed) {
    const { dir, file } = smallCampaign({ strategy: { name: "islands", islands: 2, generations: 1, conversations: 1, turns: 1, presets: ["explorer", "refiner"], finalists: 1 } }, { short: true });
    const out = join(dir, "run");
    completed = { out, ran: cli(["run", file, "--out", out]) };
  }
  return completed;
}

describe("resume on a completed run", () => {
  it("prints its summary, exits 0 and changes nothing: run.db, summary.json and report.html stay byte-identical", () => {
    const { out, ran } = completedRun();
    expect(ran.code).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as RunSummary;
    expect(summary.status).toBe("completed");
    const before = files(out);
    expect(Object.keys(before)).toEqual(["report.html", "run.db", "summary.json"]);
    const counts = rowCounts(out);

    const again = cli(["resume", out]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`${out} completed already; nothing to resume, nothing changed`);
    expect(finalLines(again.stderr)).toEqual(finalLines(ran.stderr));
    expect(files(out)).toEqual(before);
    expect(rowCounts(out)).toEqual(counts);

    const json = cli(["resume", out, "--json"]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(summary);
    expect(files(out)).toEqual(before);

    // run.db is the truth: without summary.json the run is still known completed, and its summary is put back as it was.
    rmSync(join(out, "summary.json"));
    const restored = cli(["resume", out, "--json"]);
    expect(restored.code).toBe(0);
    expect(JSON.parse(restored.stdout)).toEqual(summary);
    expect(files(out)).toEqual(before);
    expect(rowCounts(out)).toEqual(counts);
  }, 300_000);

  it("--replay-completed (for tests) still replays it from the cache: the same result, nothing new paid", () => {
    const { out, ran } = completedRun();
    expect(ran.code).toBe(0);
    const a = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as RunSummary;
    const replay = cli(["resume", out, "--json", "--replay-completed"]);
    expect(replay.code).toBe(0);
    const b = JSON.parse(replay.stdout) as RunSummary;
    expect(b.best).toEqual(a.best);
    expect(b.candidates).toBe(a.candidates);
    expect(b.spend.calls - b.spend.cachedCalls).toBe(a.spend.calls - a.spend.cachedCalls);
    expect(b.spend.cachedCalls).toBeGreaterThan(a.spend.cachedCalls);
  }, 300_000);
});
