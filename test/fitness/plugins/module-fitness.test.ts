import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { BudgetExhaustedError } from "../../../src/budget/types.js";
import { defineFitness, fitnessFunctionOf, toTaskResults } from "../../../src/fitness/define.js";
import { ModuleFitness, type ModuleFitnessOptions } from "../../../src/fitness/module-fitness.js";
import type { FitnessContext, Task } from "../../../src/fitness/types.js";
import { LlmCallError, type Complete } from "../../../src/llm/types.js";
import { fakeComplete } from "../fake-complete.js";

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

const open: ModuleFitness[] = [];
function moduleFitness(name: string, over: Partial<ModuleFitnessOptions> = {}): ModuleFitness {
  const f = new ModuleFitness({ file: fixture(name), timeoutMs: 10_000, memoryMb: 256, seed: 7, ...over });
  open.push(f);
  return f;
}
afterAll(async () => {
  await Promise.all(open.map((f) => f.close()));
});

/** A model that echoes the last message, recording every request. */
const echo = () => fakeComplete((req) => `echo: ${req.messages[req.messages.length - 1]!.content}`);
const noModel: Complete = () => Promise.reject(new Error("no model calls expected"));
const ctxOf = (user: Complete = noModel, verifier?: Complete): FitnessContext => (verifier ? { user, verifier } : { user });

const TASKS: Task[] = [
  { id: "t1", split: "train", input: "2+2", check: { type: "numeric", expected: 4 } },
  { id: "t2", split: "train", input: "capital of France", check: { type: "exact", expected: "Paris" } },
  { id: "v1", split: "val", input: "3+3", check: { type: "numeric", expected: 6 } },
];

describe("defineFitness", () => {
  it("tags the function, and the worker accepts a definition or a plain function only", () => {
    const fn = () => ({ score: 1 });
    const def = defineFitness(fn);
    expect(def.kind).toBe("harness-evolve/fitness");
    expect(fitnessFunctionOf(def)).toBe(fn);
    expect(fitnessFunctionOf(fn)).toBe(fn);
    expect(fitnessFunctionOf({ score: 1 })).toBeUndefined();
    expect(fitnessFunctionOf(undefined)).toBeUndefined();
  });

  it("maps details to task results", () => {
    expect(toTaskResults([{ taskId: "a", score: 0.8, answer: "x" }, { id: 3, pass: false, reason: "wrong" }, "note"])).toEqual([
      { taskId: "a", pass: true, score: 0.8, answer: "x" },
      { taskId: "3", pass: false, score: 0, answer: "", reason: "wrong" },
      { taskId: "2", pass: false, score: 0, answer: "", reason: "note" },
    ]);
    expect(toTaskResults("nope")).toEqual([]);
  });
});

describe("ModuleFitness: healthy modules", () => {
  it("runs a README-style module over the split's tasks through the user role", async () => {
    const user = fakeComplete((req) => (req.messages[1]!.content === "2+2" ? "it is 4" : "London"));
    const f = moduleFitness("readme-example.ts", { tasks: TASKS, options: { label: "demo" } });
    const ev = await f.evaluate("Answer briefly.", { split: "train" }, ctxOf(user));
    expect(ev.error).toBeUndefined();
    expect(ev).toMatchObject({ score: 0.5, split: "train", stage: "full", feedback: "failed: t2 (demo)" });
    expect(ev.results).toEqual([
      { taskId: "t1", pass: true, score: 1, answer: "it is 4" },
      { taskId: "t2", pass: false, score: 0, answer: "London", reason: "expected Paris" },
    ]);
    expect(user.calls.map((c) => c.sampleKey)).toEqual(["module/task=t1", "module/task=t2"]);
    expect(user.calls[0]).toMatchObject({
      role: "user",
      maxTokens: 64,
      messages: [
        { role: "system", content: "Answer briefly." },
        { role: "user", content: "2+2" },
      ],
    });
    expect(ev.cost.calls).toBe(2);
    expect(ev.cost.usd).toBeCloseTo(0.002);
    // taskIds restrict the tasks (a cascade minibatch).
    const one = await f.evaluate("Answer briefly.", { split: "train", taskIds: ["t1"] }, ctxOf(user));
    expect(one.score).toBe(1);
  });

  it("scores by keywords and length without model calls; loads plain JS functions", async () => {
    const f = moduleFitness("keywords.ts");
    const weak = await f.evaluate("Be nice.", { split: "train" }, ctxOf());
    const strong = await f.evaluate(`Verify each step and cite sources. ${"x".repeat(200)}`, { split: "train" }, ctxOf());
    expect(weak.score).toBeLessThan(strong.score);
    expect(strong.score).toBe(1);
    expect(weak.feedback).toBe("mention: verify, cite, step");
    expect(weak.cost).toEqual({ usd: 0, tokens: 0, calls: 0 });

    const js = moduleFitness("plain-function.mjs");
    const ev = await js.evaluate("h", { split: "val" }, ctxOf());
    expect(ev).toMatchObject({ score: 0.4, feedback: "split val", split: "val" });
    expect(ev.results.map((r) => r.taskId)).toEqual(["a", "1"]);
  });

  it("routes ctx.user / ctx.verifier to the caller's roles with stable keys; ctx.random is seeded by harness and split", async () => {
    const user = echo();
    const verifier = echo();
    const f = moduleFitness("calls.ts", { options: { verify: true } });
    const ev = await f.evaluate("HARNESS A", { split: "train" }, ctxOf(user, verifier));
    expect(ev.error).toBeUndefined();
    const fb = JSON.parse(ev.feedback) as { a: string; b: string; v: string; r: number[] };
    expect(fb.a).toBe("echo: What is your first rule?");
    expect(fb.v).toBe("echo: Is this good?");
    expect(user.calls.map((c) => [c.sampleKey, c.messages.length, c.maxTokens])).toEqual([
      ["module/0", 2, undefined],
      ["module/plain", 1, 32],
    ]);
    expect(user.calls[0]!.messages[0]).toEqual({ role: "system", content: "HARNESS A" });
    expect(verifier.calls.map((c) => [c.role, c.sampleKey, c.messages])).toEqual([["verifier", "module/2", [{ role: "user", content: "Is this good?" }]]]);
    expect(ev.cost.calls).toBe(3);
    expect(ev.score).toBe(fb.r[0]);

    // Same harness and split: the same stream, in this worker or a fresh one.
    const again = await f.evaluate("HARNESS A", { split: "train" }, ctxOf(echo(), echo()));
    const fresh = await moduleFitness("calls.ts", { options: { verify: true } }).evaluate("HARNESS A", { split: "train" }, ctxOf(echo(), echo()));
    expect(JSON.parse(again.feedback).r).toEqual(fb.r);
    expect(JSON.parse(fresh.feedback).r).toEqual(fb.r);
    const otherHarness = await f.evaluate("HARNESS B", { split: "train" }, ctxOf(echo(), echo()));
    const otherSplit = await f.evaluate("HARNESS A", { split: "val" }, ctxOf(echo(), echo()));
    const otherSeed = await moduleFitness("calls.ts", { options: { verify: true }, seed: 8 }).evaluate("HARNESS A", { split: "train" }, ctxOf(echo(), echo()));
    for (const other of [otherHarness, otherSplit, otherSeed]) expect(JSON.parse(other.feedback).r).not.toEqual(fb.r);
  });

  it("runs parallel evaluations on a small pool", async () => {
    const f = moduleFitness("keywords.ts", { poolSize: 2 });
    const harnesses = ["verify", "cite", "step", "verify cite", "nothing", "cite step verify"];
    const evs = await Promise.all(harnesses.map((h) => f.evaluate(h, { split: "train" }, ctxOf())));
    expect(evs.every((e) => e.error === undefined)).toBe(true);
    const serial = [];
    for (const h of harnesses) serial.push((await f.evaluate(h, { split: "train" }, ctxOf())).score);
    expect(evs.map((e) => e.score)).toEqual(serial);
  });

  it("probe reports a module that cannot serve, and nothing for one that can", async () => {
    expect(await moduleFitness("keywords.ts").probe()).toBeUndefined();
    const bad = await moduleFitness("not-a-fitness.ts").probe();
    expect(bad).toContain("not-a-fitness.ts");
    expect(bad).toContain("not a fitness");
  });
});

// Side by side: each test has its own module and workers, and the time-out and out-of-memory ones mostly wait.
describe.concurrent("ModuleFitness: a module's faults fail that candidate only", () => {
  const healthy = async (f: ModuleFitness, score: number) => {
    const ev = await f.evaluate("a good harness", { split: "train" }, ctxOf());
    expect(ev.error).toBeUndefined();
    expect(ev.score).toBe(score);
  };
  const failure = async (f: ModuleFitness, harness: string, reason: string, ctx = ctxOf()) => {
    const ev = await f.evaluate(harness, { split: "train" }, ctx);
    expect(ev).toMatchObject({ score: 0, feedback: "", stage: "full", results: [], split: "train" });
    expect(ev.error).toContain(reason);
    expect(ev.error).toContain(f.file);
    return ev;
  };

  it("the module throws", async () => {
    const f = moduleFitness("throws.ts");
    await failure(f, "BAD harness", "the module threw: the rubric file is missing");
    await healthy(f, 0.25);
  });

  it("the score is NaN or outside [0,1]", async () => {
    const nan = moduleFitness("nan.ts");
    await failure(nan, "BAD", "score is NaN");
    await healthy(nan, 0.5);
    const high = moduleFitness("too-high.ts");
    await failure(high, "BAD", "score 1.7 is outside [0,1]");
    await healthy(high, 0.9);
  });

  it("the module never answers, or blocks its thread: timed out twice (the retry has 4x the limit), and a fresh worker", async () => {
    const f = moduleFitness("hangs.ts", { timeoutMs: 400 });
    await healthy(f, 0.75); // warm: the timeout then counts from the call
    const t0 = Date.now();
    for (const h of ["BAD", "SPIN"]) {
      const ev = await failure(f, h, "timed out twice (no result within 400 ms, then no result within 1600 ms alone)");
      expect(ev.timeout).toBe(true);
    }
    expect(Date.now() - t0).toBeLessThan(120_000); // bounded, not forever: a guard, not a benchmark
    await healthy(f, 0.75);
  }, 300_000);

  it("the module runs out of memory", async () => {
    const f = moduleFitness("oom.ts", { memoryMb: 32, timeoutMs: 8000 });
    await healthy(f, 0.6);
    const ev = await failure(f, "BAD", "the fitness worker crashed");
    expect(ev.error).toContain("memoryMb: 32");
    await healthy(f, 0.6);
  });

  it("the default export is not a fitness; the file does not exist", async () => {
    const f = moduleFitness("not-a-fitness.ts");
    const ev = await failure(f, "h", "the default export is an object, not a fitness");
    expect(ev.error).toContain("defineFitness");
    const missing = moduleFitness("no-such-file.ts");
    await failure(missing, "h", "cannot load the module");
  });

  it("ctx.verifier without a verifier role; a failed (not permanent) model call", async () => {
    const f = moduleFitness("calls.ts", { options: { verify: true } });
    await failure(f, "h", "binds no verifier model", ctxOf(echo()));
    const flaky: Complete = () => Promise.reject(new LlmCallError("503 after 5 attempts", "mid", 503, false));
    const b = moduleFitness("budget.ts");
    const ev = await b.evaluate("h", { split: "train" }, ctxOf(flaky));
    expect(ev.error).toContain("the module threw: LlmCallError: 503 after 5 attempts");
  });
});

describe("ModuleFitness: run-level errors propagate", () => {
  it("BudgetExhaustedError from a module's call is rethrown, even when the module swallows it", async () => {
    const broke: Complete = () => Promise.reject(new BudgetExhaustedError("user", "calls"));
    const f = moduleFitness("budget.ts");
    await expect(f.evaluate("h", { split: "train" }, ctxOf(broke))).rejects.toBeInstanceOf(BudgetExhaustedError);
    const swallow = moduleFitness("budget.ts", { options: { swallow: true } });
    await expect(swallow.evaluate("h", { split: "train" }, ctxOf(broke))).rejects.toMatchObject({ name: "BudgetExhaustedError" });
    // The worker is still usable.
    const ok = await swallow.evaluate("h", { split: "train" }, ctxOf(echo()));
    expect(ok).toMatchObject({ score: 0.5 });
  });

  it("a permanent LlmCallError is rethrown", async () => {
    const denied: Complete = () => Promise.reject(new LlmCallError("401 bad key", "gpt", 401, true));
    const f = moduleFitness("budget.ts");
    await expect(f.evaluate("h", { split: "train" }, ctxOf(denied))).rejects.toMatchObject({ name: "LlmCallError", permanent: true });
  });

  it("the caller's abort signal stops a running or a queued evaluation", async () => {
    const f = moduleFitness("hangs.ts", { timeoutMs: 5000, poolSize: 1 });
    const running = new AbortController();
    const queued = new AbortController();
    setTimeout(() => queued.abort(new Error("queued one stopped")), 200);
    setTimeout(() => running.abort(new Error("stopped by the caller")), 400);
    const first = f.evaluate("BAD", { split: "train" }, { user: noModel, signal: running.signal });
    const second = f.evaluate("fine", { split: "train" }, { user: noModel, signal: queued.signal });
    await expect(second).rejects.toThrow("queued one stopped");
    await expect(first).rejects.toThrow("stopped by the caller");
    const ev = await f.evaluate("fine", { split: "train" }, ctxOf());
    expect(ev.score).toBe(0.75);
  });
});
