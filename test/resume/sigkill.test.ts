import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import seedrandom from "seedrandom";
import { describe, expect, it } from "vitest";
import type { RunSummary } from "../../src/campaign/summary.js";
import { smallCampaign } from "../e2e/helpers.js";

const ROOT = resolve(import.meta.dirname, "../..");
const CLI = [process.execPath, "--import", "tsx", join(ROOT, "src/cli/main.ts")] as const;

/** Starts a CLI command and SIGKILLs it after `ms` (unless it ends first). */
function killedAfter(args: string[], ms: number): Promise<"killed" | "finished"> {
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
function started(dir: string): boolean {
  if (!existsSync(join(dir, "run.db"))) return false;
  const db = new Database(join(dir, "run.db"), { readonly: true, fileMustExist: true });
  try {
    const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
    return Boolean(hasMeta && db.prepare("SELECT 1 FROM meta WHERE key = 'campaign'").get());
  } finally {
    db.close();
  }
}

function summaryOf(dir: string): RunSummary {
  return JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as RunSummary;
}

/** What must be identical: everything but time and how many calls were served from the cache. */
function comparable(s: RunSummary) {
  return {
    status: s.status,
    best: s.best,
    seedHarness: s.seedHarness,
    generations: s.generations,
    candidates: s.candidates,
    paidCalls: s.spend.calls - s.spend.cachedCalls,
    usd: s.spend.usd,
    inputTokens: s.spend.inputTokens,
    outputTokens: s.spend.outputTokens,
    islands: s.islands,
    simExpected: s.simExpected,
    charged: s.budget.charged,
  };
}

describe("resume after SIGKILL", () => {
  it("killed at several random moments and resumed each time, the run ends exactly as an uninterrupted one, paying each call once", async () => {
    const { dir, file } = smallCampaign({ strategy: { name: "islands", islands: 2, generations: 5, conversations: 2, turns: 2, presets: ["explorer", "refiner"], finalists: 2 } });
    const whole = join(dir, "whole");
    const r = spawnSync(CLI[0], [...CLI.slice(1), "run", file, "--out", whole, "--json"], { cwd: ROOT, encoding: "utf8" });
    expect(r.status).toBe(0);
    const reference = summaryOf(whole);

    const pieces = join(dir, "pieces");
    const rng = seedrandom("sigkill");
    let kills = 0;
    let finished = false;
    for (let attempt = 0; attempt < 12 && !finished; attempt++) {
      const args = started(pieces) ? ["resume", pieces, "--json"] : ["run", file, "--out", pieces, "--json"];
      // The first kills land somewhere in the run; after three, let it finish.
      const outcome = kills < 3 ? await killedAfter(args, 1500 + rng() * 2500) : await killedAfter(args, 600_000);
      if (outcome === "killed") kills++;
      else finished = true;
    }
    expect(kills).toBeGreaterThanOrEqual(2);
    expect(finished).toBe(true);
    const resumed = summaryOf(pieces);
    expect(comparable(resumed)).toEqual(comparable(reference));
    // The pieces together paid for exactly the calls the uninterrupted run paid for.
    expect(resumed.spend.calls - resumed.spend.cachedCalls).toBe(reference.spend.calls - reference.spend.cachedCalls);
  }, 300_000);
});
