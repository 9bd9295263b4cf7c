/**
 * A campaign whose every role is a tiny random-weight GGUF model run in-process by llama.cpp
 * (node-llama-cpp), through the CLI in child processes: `models check`, a whole run, and a run
 * SIGKILLed mid-way then resumed. The model's replies are garbage, so the run must end with a
 * status and reasons (parse failures counted), with usage counted by the engine's tokenizer.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { beforeAll, describe, expect, it } from "vitest";
import type { RunSummary } from "../../src/campaign/summary.js";
import { CLI, ROOT, killedWhenStored } from "../helpers/cli-run.js";
import { ggufCampaign } from "../helpers/gguf-campaign.js";

function cli(args: string[]) {
  return spawnSync(CLI[0], [...CLI.slice(1), ...args], { cwd: ROOT, encoding: "utf8", timeout: 240_000 });
}

function summaryOf(dir: string): RunSummary {
  return JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as RunSummary;
}

/** Rows of run.db, read-only (the WAL included). */
function query<T>(dir: string, sql: string): T[] {
  const db = new Database(join(dir, "run.db"), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}



/** What a resumed run must share with the uninterrupted one: all but time and cache counts. */
function comparable(s: RunSummary) {
  return {
    status: s.status,
    best: s.best,
    seedHarness: s.seedHarness,
    generations: s.generations,
    candidates: s.candidates,
    paidCalls: s.spend.calls - s.spend.cachedCalls,
    inputTokens: s.spend.inputTokens,
    outputTokens: s.spend.outputTokens,
    usd: s.spend.usd,
    islands: s.islands,
    charged: s.budget.charged,
  };
}

describe("a campaign on a tiny random-weight GGUF model, in-process", () => {
  const { dir, file } = ggufCampaign();
  const whole = join(dir, "whole");
  let reference: RunSummary;

  beforeAll(() => {
    const r = cli(["run", file, "--out", whole, "--json"]);
    expect(r.status, r.stderr).toBe(0);
    reference = summaryOf(whole);
  }, 240_000);

  it("ends with a clear status: proposals fail on unparsable replies, each with its reason, and nothing crashes or hangs", () => {
    expect(reference.status).toBe("completed");
    // The seed is the best: no garbage reply parsed into a harness.
    expect(reference.best.id).toBe("seed");
    const failures = query<{ payload: string }>(whole, "SELECT payload FROM events WHERE type = 'failure'").map((e) => JSON.parse(e.payload) as { reason: string });
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures) expect(f.reason).toMatch(/^proposal failed: .*no <(harness|critique)> block \(\d+ attempts?\)/);
    // summary.json counts them where a script can read them.
    expect(reference.failures).toEqual({ proposals: failures.length, evaluations: 0, other: 0 });
    // Every failed step asked three times: the evolver's unparsable replies are all in run.db.
    const evolver = query<{ n: number }>(whole, "SELECT COUNT(*) AS n FROM responses WHERE role = 'evolver'")[0]!.n;
    expect(evolver).toBeGreaterThanOrEqual(failures.length * 3);
  });

  it("counts usage with the engine's tokenizer (never estimated), at price 0", () => {
    const s = reference.spend;
    expect(s.inputTokens).toBeGreaterThan(0);
    expect(s.outputTokens).toBeGreaterThan(0);
    expect(s.usd).toBe(0);
    expect(reference.usageSuspect).toBe(0);
    const rows = query<{ role: string; input_tokens: number; output_tokens: number; usage_estimated: number; finish_reason: string }>(whole, "SELECT role, input_tokens, output_tokens, usage_estimated, finish_reason FROM responses");
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(r.usage_estimated).toBe(0);
      expect(r.input_tokens).toBeGreaterThan(0);
      expect(["stop", "length"]).toContain(r.finish_reason);
    }
    // All three roles were served by the one model.
    expect(new Set(rows.map((r) => r.role))).toEqual(new Set(["evolver", "user", "verifier"]));
  });

  it("models check: the engine answers every role's request with counted tokens; the only failures are unparsable replies", () => {
    const r = cli(["models", "check", file, "--json"]);
    const results = JSON.parse(r.stdout) as { key: string; ok: boolean; usage?: unknown; priceSource: string; parsed?: boolean; error?: string; finishReason?: string | null }[];
    expect(results.length).toBeGreaterThan(0);
    for (const c of results) {
      expect(c.key).toBe("tiny");
      expect(c.priceSource).toBe("local");
      expect(c.usage).toMatchObject({ inputTokens: expect.any(Number), outputTokens: expect.any(Number) });
      if (c.finishReason !== undefined) expect(["stop", "length"]).toContain(c.finishReason);
      // A garbage reply may fail to parse (that is the check's verdict on this model); the engine itself must not fail.
      if (!c.ok) expect(c.parsed, c.error).toBe(false);
    }
    expect(r.status).toBe(results.every((c) => c.ok) ? 0 : 1);
  }, 240_000);

  it("SIGKILLed mid-way and resumed, the run ends as the uninterrupted one", async () => {
    const pieces = join(dir, "pieces");
    // Killed once the seed is scored and some evolver replies are stored (the whole run stores more).
    const total = query<{ n: number }>(whole, "SELECT COUNT(*) AS n FROM responses")[0]!.n;
    const outcome = await killedWhenStored(["run", file, "--out", pieces, "--json"], pieces, Math.floor(total / 2));
    expect(outcome).toBe("killed");
    expect(existsSync(join(pieces, "summary.json"))).toBe(false);
    const r = cli(["resume", pieces, "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const resumed = summaryOf(pieces);
    expect(comparable(resumed)).toEqual(comparable(reference));
    expect(resumed.spend.cachedCalls).toBeGreaterThan(0);
  }, 240_000);
});
