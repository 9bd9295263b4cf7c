import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { Ledger } from "../../src/budget/ledger.js";
import { buildSummary } from "../../src/campaign/summary.js";
import { parseCampaign } from "../../src/config/load.js";
import { runCheck, type CheckResult, type ProgrammaticCheck } from "../../src/fitness/checks.js";
import { CommandFitness } from "../../src/fitness/command-fitness.js";
import { ModuleFitness } from "../../src/fitness/module-fitness.js";
import type { FitnessContext, VerdictCache } from "../../src/fitness/types.js";
import { RunGate, timeoutCounts, verdictKey } from "../../src/fitness/verdicts.js";
import { readRun, reportHtml } from "../../src/report/index.js";
import { RunStore } from "../../src/store/run-store.js";
import { fakeComplete } from "./fake-complete.js";

const PAUSE_FIXTURE = resolve(import.meta.dirname, "fixtures/js-check-pause.ts");

/** Runs the js-check child; with `pauseMs`, stops it that long once it says it is inside the check. */
function judgeInChild(pauseMs?: number): Promise<{ result: CheckResult; ms: number }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["--import", "tsx", PAUSE_FIXTURE, pauseMs === undefined ? "quiet" : "pause"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let paused = false;
    child.stderr.on("data", (d: Buffer) => (err += d));
    child.stdout.on("data", (d: Buffer) => {
      out += d;
      if (pauseMs !== undefined && !paused && out.includes("stopping\n")) {
        paused = true;
        setTimeout(() => child.kill("SIGCONT"), pauseMs);
      }
    });
    child.on("exit", (code) => {
      if (code !== 0) return fail(new Error(`fixture exited ${code}: ${err}`));
      done(JSON.parse(out.replace(/^stopping\n/, "")) as { result: CheckResult; ms: number });
    });
  });
}

const stores: RunStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});
function freshStore(): RunStore {
  const s = RunStore.open(mkdtempSync(join(tmpdir(), "he-verdicts-")));
  stores.push(s);
  return s;
}

/** A verdict cache that counts look-ups and writes. */
function countingCache(): VerdictCache & { gets: number; puts: number; map: Map<string, unknown> } {
  const map = new Map<string, unknown>();
  const c = {
    gets: 0,
    puts: 0,
    map,
    getVerdict: (k: string) => (c.gets++, map.get(k)),
    putVerdict: (k: string, v: unknown) => (c.puts++, void map.set(k, v)),
  };
  return c;
}

describe("js checks: a time-out is its own outcome", () => {
  it("a check paused with SIGSTOP for 300 ms in its middle gives the same verdict as unpaused", async () => {
    const quiet = await judgeInChild();
    const paused = await judgeInChild(300);
    expect(quiet.result).toEqual({ pass: true, score: 1 });
    // The pause fell inside the check (it took at least as long as the pause)...
    expect(paused.ms).toBeGreaterThanOrEqual(290);
    // ...and the first attempt's time-out was retried, not counted as a failed answer.
    expect(paused.result).toEqual(quiet.result);
  }, 300_000);

  it("a check that never finishes fails with timeout: true, and an `all` check carries the mark", () => {
    const loop: ProgrammaticCheck = { type: "js", code: "for (;;) {}" };
    const r = runCheck(loop, "Final answer: x");
    expect(r).toMatchObject({ pass: false, score: 0, timeout: true });
    expect(r.reason).toMatch(/timed out twice/);
    const all = runCheck({ type: "all", checks: [{ type: "contains", value: "x" }, loop] }, "Final answer: x");
    expect(all).toMatchObject({ pass: false, score: 0.5, timeout: true });
    // An ordinary wrong answer is not a time-out.
    expect(runCheck({ type: "js", code: "output === 'y'" }, "x").timeout).toBeUndefined();
  }, 300_000);
});

describe("js checks: stored verdicts", () => {
  const check: ProgrammaticCheck = { type: "js", code: "output === 'yes'" };

  it("a stored verdict is returned without running the assertion", () => {
    const cache = countingCache();
    // Store, under the key of ("yes", check), a verdict the code itself would never give.
    cache.map.set(verdictKey("js", [check.code, null, null, "yes"]), { pass: false, score: 0.25, reason: "stored" });
    expect(runCheck(check, "Final answer: yes", cache)).toEqual({ pass: false, score: 0.25, reason: "stored" });
    expect(cache.puts).toBe(0);
  });

  it("a miss runs the check and stores its verdict under the judged text, the code, vars and threshold", () => {
    const cache = countingCache();
    expect(runCheck(check, "Final answer: yes", cache)).toEqual({ pass: true, score: 1 });
    expect(runCheck(check, "Final answer: no", cache).pass).toBe(false);
    expect(runCheck({ ...check, threshold: 0.9 }, "Final answer: yes", cache).pass).toBe(true);
    expect(cache.puts).toBe(3);
    // The same judged text (after `Final answer:`) is a hit, also inside an `all` check.
    expect(runCheck({ type: "all", checks: [check] }, "thinking...\nFinal answer: yes", cache).pass).toBe(true);
    expect(cache.puts).toBe(3);
    expect([...cache.map.keys()].every((k) => k.startsWith("js:"))).toBe(true);
  });

  it("checks with no user code are not stored", () => {
    const cache = countingCache();
    runCheck({ type: "contains", value: "a" }, "a", cache);
    expect(cache.gets + cache.puts).toBe(0);
  });

  it("a run store keeps verdicts, also across clearReplayedState, and counts time-outs by kind", () => {
    const store = freshStore();
    const loop: ProgrammaticCheck = { type: "js", code: "while (true) {}" };
    expect(runCheck(loop, "a", store).timeout).toBe(true);
    expect(runCheck(check, "yes", store).pass).toBe(true);
    store.putVerdict("module:abc", { score: 0, error: "x: timed out twice", timeout: true, calls: [] });
    store.putVerdict("command:def", { score: 0.5, feedback: "", results: [], calls: [] });
    store.clearReplayedState();
    expect(store.verdictTimeouts()).toEqual({ js: 1, module: 1 });
    expect(timeoutCounts(store.verdictTimeouts())).toEqual({ checks: 1, evaluations: 1 });
    // First write wins.
    store.putVerdict("module:abc", { score: 1 });
    expect(store.getVerdict("module:abc")).toMatchObject({ timeout: true });
  }, 300_000);

  it("a run.db written before the verdicts table opens and gets one; a fork copies verdicts", () => {
    const dir = mkdtempSync(join(tmpdir(), "he-old-db-"));
    const old = new Database(join(dir, "run.db"));
    old.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('schema_version', '1');");
    old.close();
    const store = RunStore.open(dir);
    stores.push(store);
    expect(store.getVerdict("js:x")).toBeUndefined();
    store.putVerdict("js:x", { pass: true, score: 1 });
    const fork = freshStore();
    expect(fork.importVerdicts(store.path)).toBe(1);
    expect(fork.getVerdict("js:x")).toEqual({ pass: true, score: 1 });
  });
});

describe("RunGate", () => {
  it("an `alone` run waits for shared runs to finish and holds off the ones that come after it", async () => {
    const gate = new RunGate();
    const log: string[] = [];
    const step = (name: string, ms: number) => async () => {
      log.push(`${name}+`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`${name}-`);
    };
    await Promise.all([gate.run("shared", undefined, step("a", 30)), gate.run("shared", undefined, step("b", 10)), gate.run("alone", undefined, step("R", 10)), gate.run("shared", undefined, step("c", 1))]);
    expect(log.indexOf("R+")).toBeGreaterThan(Math.max(log.indexOf("a-"), log.indexOf("b-")));
    expect(log.indexOf("c+")).toBeGreaterThan(log.indexOf("R-"));
  });

  it("a waiter whose signal aborts leaves the queue", async () => {
    const gate = new RunGate();
    let release!: () => void;
    const held = gate.run("alone", undefined, () => new Promise<void>((r) => (release = r)));
    const ac = new AbortController();
    const waiting = gate.run("shared", ac.signal, async () => "ran");
    ac.abort(new Error("stopped"));
    await expect(waiting).rejects.toThrow("stopped");
    release();
    await held;
    await expect(gate.run("shared", undefined, async () => "ok")).resolves.toBe("ok");
  });
});

/** How many times user code counted its runs in `file`. */
const runsIn = (file: string): number => readFileSync(file, "utf8").trim().split("\n").length;
const noModel: FitnessContext = { user: () => Promise.reject(new Error("no model calls expected")) };

describe("command fitness: a time-out is retried once, alone", () => {
  /** A command that counts its runs in a file and sleeps 30 s on the runs listed in `slowRuns`. */
  function counting(slowRuns: string, timeoutMs = 400, verdicts?: VerdictCache): { f: CommandFitness; runs: string } {
    const runs = join(mkdtempSync(join(tmpdir(), "he-cmd-")), "runs");
    const run = `echo run >> "${runs}"; n=$(wc -l < "${runs}" | tr -d ' '); case " ${slowRuns} " in *" $n "*) sleep 30;; esac; echo '{"score": 0.7}'`;
    return { f: new CommandFitness({ run, timeoutMs, seed: 1, ...(verdicts ? { verdicts } : {}) }), runs };
  }

  it("a command past its limit the first time only scores normally", async () => {
    const { f, runs } = counting("1");
    const ev = await f.evaluate("h", { split: "train" }, noModel);
    expect(ev).toMatchObject({ score: 0.7 });
    expect(ev.error).toBeUndefined();
    expect(ev.timeout).toBeUndefined();
    expect(runsIn(runs)).toBe(2);
  }, 300_000);

  it("a command past its limit twice is a time-out, stored, and a replay does not run it again", async () => {
    const store = freshStore();
    const { f, runs } = counting("1 2", 300, store);
    const ev = await f.evaluate("h", { split: "train" }, noModel);
    expect(ev).toMatchObject({ score: 0, timeout: true });
    expect(ev.error).toMatch(/timed out twice \(no result within 300 ms, then within 1200 ms alone\)/);
    expect(runsIn(runs)).toBe(2);
    // The same evaluation again (a resume's replay): the stored time-out, without running the command.
    expect(await f.evaluate("h", { split: "train" }, noModel)).toEqual(ev);
    expect(runsIn(runs)).toBe(2);
    expect(store.verdictTimeouts()).toEqual({ command: 1 });
  }, 300_000);

  it("a stored score is a hit too; another harness, split or task list is not", async () => {
    const store = freshStore();
    const { f, runs } = counting("", 10_000, store);
    const first = await f.evaluate("h", { split: "train" }, noModel);
    expect(first.score).toBe(0.7);
    expect(await f.evaluate("h", { split: "train" }, noModel)).toEqual(first);
    expect(runsIn(runs)).toBe(1);
    await f.evaluate("h2", { split: "train" }, noModel);
    await f.evaluate("h", { split: "val" }, noModel);
    await f.evaluate("h", { split: "train", taskIds: ["a"] }, noModel);
    expect(runsIn(runs)).toBe(4);
  }, 300_000);
});

describe("module fitness: a time-out is retried once, alone", () => {
  const modules: ModuleFitness[] = [];
  afterAll(async () => {
    await Promise.all(modules.map((m) => m.close()));
  });
  /** The slow-runs fixture, counting its runs in a fresh file. */
  function slowRuns(slow: number[], over: { timeoutMs?: number; call?: boolean; verdicts?: VerdictCache } = {}): { f: ModuleFitness; runs: string } {
    const runs = join(mkdtempSync(join(tmpdir(), "he-mod-")), "runs");
    const file = resolve(import.meta.dirname, "fixtures/slow-runs.ts");
    const f = new ModuleFitness({ file, timeoutMs: over.timeoutMs ?? 500, memoryMb: 256, seed: 3, options: { runs, slow, call: over.call ?? false }, ...(over.verdicts ? { verdicts: over.verdicts } : {}) });
    modules.push(f);
    return { f, runs };
  }

  it("a module past its limit the first time only is retried and scores normally; its model call is not asked twice", async () => {
    const model = fakeComplete(() => "hi back");
    const { f, runs } = slowRuns([1], { call: true });
    const ev = await f.evaluate("h", { split: "train" }, { user: model });
    expect(ev).toMatchObject({ score: 0.6, feedback: "hi back" });
    expect(ev.error).toBeUndefined();
    expect(ev.timeout).toBeUndefined();
    expect(runsIn(runs)).toBe(2);
    // The retry's call was answered from the first attempt's: asked (and charged) once.
    expect(model.calls).toHaveLength(1);
    expect(ev.cost.calls).toBe(1);
  }, 300_000);

  it("a module past its limit twice is a time-out, counted in summary.json and shown in the report", async () => {
    const store = freshStore();
    const { f, runs } = slowRuns([1, 2], { timeoutMs: 300, verdicts: store });
    const ev = await f.evaluate("h", { split: "train" }, noModel);
    expect(ev).toMatchObject({ score: 0, results: [], timeout: true });
    expect(ev.error).toContain(`${f.file}: timed out twice (no result within 300 ms, then no result within 1200 ms alone)`);
    expect(runsIn(runs)).toBe(2);
    // An ordinary failure of the same module is not a time-out.
    const bad = new ModuleFitness({ file: f.file, timeoutMs: 300, memoryMb: 256, seed: 3, options: { runs: "/nonexistent/dir/runs", slow: [] }, verdicts: store });
    modules.push(bad);
    const crashed = await bad.evaluate("h", { split: "train" }, noModel);
    expect(crashed.error).toMatch(/the module threw/);
    expect(crashed.timeout).toBeUndefined();

    const config = parseCampaign({ harness: "seed.md", models: { m: { model: "sim:small" } }, roles: { evolver: "m", user: "m" }, fitness: { type: "module", path: "f.ts" }, strategy: { name: "islands" }, budget: { calls: 10 } }, "test");
    const seed = { id: "seed", hash: "h", text: "h", trainScore: null, valScore: null, testScore: null };
    const summary = buildSummary({ config, status: "completed", generations: 0, candidates: 1, best: seed, seedHarness: seed, islands: [], anytime: [], store, ledger: new Ledger({ total: {} }), durationMs: 0 });
    expect(summary.timeouts).toEqual({ checks: 0, evaluations: 1 });
    const dir = resolve(store.path, "..");
    expect(readRun(dir).timeouts).toEqual({ checks: 0, evaluations: 1 });
    expect(await reportHtml(readRun(dir))).toContain("Time-outs (past the limit, then again on a retry alone): 0 checks, 1 evaluation.");
  }, 300_000);

  it("a stored verdict is returned without running the module; its model calls are made again (cache hits, charged as before)", async () => {
    const store = freshStore();
    const model = fakeComplete(() => "hi back");
    const { f, runs } = slowRuns([], { call: true, verdicts: store });
    const first = await f.evaluate("h", { split: "train" }, { user: model });
    expect(first).toMatchObject({ score: 0.6, feedback: "hi back" });
    const again = await f.evaluate("h", { split: "train" }, { user: model });
    expect(again).toEqual(first);
    expect(runsIn(runs)).toBe(1);
    // The replay asked for the same response once more, which the gateway serves from its cache.
    expect(model.calls).toHaveLength(2);
    expect(model.calls[1]).toEqual(model.calls[0]);
    // Another harness is another verdict.
    await f.evaluate("h2", { split: "train" }, { user: model });
    expect(runsIn(runs)).toBe(2);
  }, 300_000);
});
