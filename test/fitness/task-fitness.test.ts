import { describe, expect, it } from "vitest";
import { BudgetExhaustedError } from "../../src/budget/types.js";
import { UserError } from "../../src/config/errors.js";
import { TaskFitness } from "../../src/fitness/task-fitness.js";
import type { Task, TaskSuite } from "../../src/fitness/types.js";
import { LlmCallError, type CompletionRequest } from "../../src/llm/types.js";
import { fakeComplete, response, taskOf } from "./fake-complete.js";

const tasks: Task[] = [
  { id: "add", split: "train", input: "What is 2+2?", check: { type: "numeric", expected: 4 } },
  { id: "frac", split: "train", input: "What is three quarters as a decimal?", check: { type: "numeric", expected: "3/4" } },
  { id: "cap", split: "train", input: "Capital of France?", check: { type: "exact", expected: "Paris" } },
  { id: "v1", split: "val", input: "Capital of Italy?", check: { type: "exact", expected: "Rome" } },
];
const suite: TaskSuite = { tasks, source: "tasks.yaml" };

/** Answers right only when the harness says "show your work"; otherwise states what it neglected. */
const agent = fakeComplete((req) => {
  const harness = req.messages[0]!.content;
  const task = taskOf(req);
  const careful = harness.includes("show your work");
  if (task.includes("2+2")) return "2 plus 2.\nFinal answer: 4";
  if (task.includes("three quarters")) return careful ? "3 divided by 4.\nFinal answer: 0.75" : "I did not verify the arithmetic.\nFinal answer: 0.7";
  if (task.includes("France")) return careful ? "Final answer: Paris." : "I skipped restating the question.\nFinal answer: Lyon";
  return "Final answer: Rome";
});

describe("TaskFitness", () => {
  it("scores the split and sends the harness as the system message", async () => {
    agent.calls.length = 0;
    const ev = await new TaskFitness(suite).evaluate("Be careful; show your work.", { split: "train" }, { user: agent });
    expect(ev.score).toBe(1);
    expect(ev.stage).toBe("full");
    expect(ev.split).toBe("train");
    expect(ev.results.map((r) => r.taskId)).toEqual(["add", "frac", "cap"]);
    expect(ev.cost).toEqual({ usd: expect.closeTo(0.003, 9), tokens: expect.any(Number), calls: 3 });
    const req = agent.calls.find((c) => c.sampleKey === "eval/task=frac/s=0")!;
    expect(req.role).toBe("user");
    // No cap of its own: the gateway applies the campaign's precedence (model params, else the role default).
    expect(req.maxTokens).toBeUndefined();
    expect(req.messages[0]).toEqual({ role: "system", content: "Be careful; show your work." });
    expect(req.messages[1]!.content).toBe("<task>\nWhat is three quarters as a decimal?\n</task>\n\nEnd your reply with a line `Final answer: <your answer>`.");
  });

  it("asks for fitness.answerMaxTokens when the campaign sets it", async () => {
    const user = fakeComplete(() => "Final answer: 7");
    await new TaskFitness(suite, { answerMaxTokens: 3000 }).evaluate("h", { split: "train" }, { user });
    expect(user.calls.every((c) => c.maxTokens === 3000)).toBe(true);
  });

  it("fails a task whose reply is not an answer, with the reason, without checking it", async () => {
    const cut = async () => response("", { kind: "truncated", finishReason: "length", maxTokens: 512 });
    const ev = await new TaskFitness(suite).evaluate("h", { split: "train" }, { user: cut });
    expect(ev.score).toBe(0);
    expect(ev.results.every((r) => !r.pass && r.reply === "truncated")).toBe(true);
    expect(ev.results[0]!.reason).toMatch(/cut at the output cap of 512 tokens before any text/);
    const empty = async () => response("  ", { kind: "empty" });
    expect((await new TaskFitness(suite).evaluate("h", { split: "train" }, { user: empty })).results[0]!.reason).toBe("no answer: the model replied with empty text");
    // Cut mid-way with the answer line present: still checked, and it passes.
    const longButDone = async (req: CompletionRequest) => response(`${"Work. ".repeat(20)}\nFinal answer: ${req.messages[1]!.content.includes("three quarters") ? "0.75" : "x"}`, { kind: "truncated", finishReason: "length" });
    const ev2 = await new TaskFitness(suite).evaluate("h", { split: "train" }, { user: longButDone });
    const frac = ev2.results.find((r) => r.taskId === "frac")!;
    expect(frac).toMatchObject({ pass: true, reply: "truncated" });
    expect(ev2.results.find((r) => r.taskId === "cap")!.reason).toMatch(/^the reply was cut at the output cap of 512 tokens; /);
  });

  it("uses sample keys that do not depend on the harness", async () => {
    agent.calls.length = 0;
    const f = new TaskFitness(suite, { samples: 2 });
    await f.evaluate("A", { split: "train" }, { user: agent });
    const first = agent.calls.map((c) => c.sampleKey).sort();
    agent.calls.length = 0;
    await f.evaluate("B, quite different", { split: "train" }, { user: agent });
    expect(agent.calls.map((c) => c.sampleKey).sort()).toEqual(first);
    expect(first).toContain("eval/task=add/s=1");
  });

  it("writes feedback with the score line and the failed tasks, quoting the answer", async () => {
    const ev = await new TaskFitness(suite).evaluate("Be brief.", { split: "train" }, { user: agent });
    expect(ev.score).toBeCloseTo(1 / 3, 9);
    const lines = ev.feedback.split("\n");
    expect(lines[0]).toBe("Score 0.33 on 3 train tasks (1 passed).");
    expect(lines[1]).toBe('- [frac] What is three quarters as a decimal? | expected: 3/4 | got: 0.7 | answer: "I did not verify the arithmetic. Final answer: 0.7"');
    expect(lines[2]).toContain("- [cap] Capital of France? | expected: Paris | got: Lyon | answer: \"I skipped restating the question.");
    expect(ev.results.find((r) => r.taskId === "cap")!.reason).toBe('expected "Paris", got "Lyon"');
  });

  it("caps the feedback items and cuts long inputs", async () => {
    const many: Task[] = Array.from({ length: 8 }, (_, i) => ({ id: `t${i}`, split: "train", input: `${"long question ".repeat(20)}${i}`, check: { type: "exact", expected: "yes" } }));
    const f = new TaskFitness({ tasks: [...many, tasks[3]!], source: "s" }, { feedbackItems: 2 });
    const ev = await f.evaluate("h", { split: "train" }, { user: fakeComplete(() => "Final answer: no") });
    const lines = ev.feedback.split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe("(6 more failed tasks not shown)");
    expect(lines[1]!.split(" | ")[0]!.length).toBeLessThanOrEqual("- [t0] ".length + 160);
  });

  it("restricts to taskIds and rejects ids outside the split", async () => {
    const f = new TaskFitness(suite);
    const ev = await f.evaluate("show your work", { split: "train", taskIds: ["cap"] }, { user: agent });
    expect(ev.results.map((r) => r.taskId)).toEqual(["cap"]);
    await expect(f.evaluate("x", { split: "train", taskIds: ["v1"] }, { user: agent })).rejects.toThrow(/no train task with id "v1"/);
  });

  it("averages samples: a task right in 1 of 2 samples scores 0.5", async () => {
    const flaky = fakeComplete((req) => (req.sampleKey.endsWith("s=0") ? "Final answer: Rome" : "Final answer: Milan"));
    const ev = await new TaskFitness(suite, { samples: 2 }).evaluate("h", { split: "val" }, { user: flaky });
    expect(ev.score).toBe(0.5);
    expect(ev.results[0]!.answer).toBe("Final answer: Milan"); // the failing sample is the one quoted
  });

  it("does not count cached responses as calls or tokens", async () => {
    const cached = async () => response("Final answer: Rome", { cached: true, costUsd: 0 });
    const ev = await new TaskFitness(suite).evaluate("h", { split: "val" }, { user: cached });
    expect(ev.cost).toEqual({ usd: 0, tokens: 0, calls: 0 });
  });

  it("rethrows budget and call errors", async () => {
    const f = new TaskFitness(suite);
    const broke = async () => {
      throw new BudgetExhaustedError("user", "usd");
    };
    await expect(f.evaluate("h", { split: "train" }, { user: broke })).rejects.toBeInstanceOf(BudgetExhaustedError);
    const down = async () => {
      throw new LlmCallError("HTTP 500", "mid", 500);
    };
    await expect(f.evaluate("h", { split: "train" }, { user: down })).rejects.toBeInstanceOf(LlmCallError);
  });

  it("stops before any call when a rubric task has no verifier", async () => {
    const user = fakeComplete(() => "Final answer: x");
    const f = new TaskFitness({ tasks: [{ id: "r", split: "val", input: "q", check: { type: "rubric", rubric: "good" } }], source: "tasks.yaml" });
    await expect(f.evaluate("h", { split: "val" }, { user })).rejects.toThrow(UserError);
    expect(user.calls).toHaveLength(0);
  });

  it("returns an error evaluation for an empty selection", async () => {
    const ev = await new TaskFitness(suite).evaluate("h", { split: "test" }, { user: agent });
    expect(ev.error).toMatch(/no test tasks/);
    expect(ev.score).toBe(0);
  });
});
