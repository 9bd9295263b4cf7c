import { describe, expect, it } from "vitest";
import { BudgetExhaustedError } from "../../src/budget/types.js";
import { LlmCallError } from "../../src/llm/types.js";
import { propose, type ProposalParent } from "../../src/operators/propose.js";
import { blocks, firstBlock } from "../../src/protocol/tags.js";
import { fakeComplete } from "../fitness/fake-complete.js";

const parents: ProposalParent[] = [
  { text: "Show all work.", score: 0.5, feedback: "Score 0.50 on 4 train tasks (2 passed)." },
  { text: "Check units.", score: 0.25, feedback: "" },
];
const stepOf = (content: string) => firstBlock(content, "operator");

describe("propose", () => {
  it("mutate: one evolver call under <sampleKey>/op=mutate", async () => {
    const evolver = fakeComplete(() => "<harness>\nShow all work. Verify the arithmetic.\n</harness>");
    const r = await propose("mutate", parents, evolver, { sampleKey: "island=0/gen=1/conv=2/turn=1", temperature: 0.9, maxTokens: 800 });
    expect(r).toEqual({ ok: true, harness: "Show all work. Verify the arithmetic.", calls: 1, modelKey: "fake" });
    expect(evolver.calls).toHaveLength(1);
    const req = evolver.calls[0]!;
    expect(req).toMatchObject({ role: "evolver", sampleKey: "island=0/gen=1/conv=2/turn=1/op=mutate", temperature: 0.9, maxTokens: 800 });
    expect(blocks(req.messages[1]!.content, "harness")).toHaveLength(1); // only the first parent
  });

  it("crossover uses all parents; rewrite none", async () => {
    const evolver = fakeComplete(() => "<harness>new</harness>");
    await propose("crossover", parents, evolver, { sampleKey: "k" });
    await propose("rewrite", parents, evolver, { sampleKey: "k", context: "What is 2+2?" });
    expect(evolver.calls.map((c) => c.sampleKey)).toEqual(["k/op=crossover", "k/op=rewrite"]);
    expect(blocks(evolver.calls[0]!.messages[1]!.content, "harness")).toHaveLength(2);
    expect(blocks(evolver.calls[1]!.messages[1]!.content, "harness")).toHaveLength(0);
    expect(evolver.calls[1]!.messages[1]!.content).toContain("What is 2+2?");
  });

  it("retries unparsable replies under /try=<n>, then fails cleanly", async () => {
    const evolver = fakeComplete(() => "I would suggest being more careful.");
    const r = await propose("mutate", parents, evolver, { sampleKey: "k" });
    expect(r).toEqual({ ok: false, reason: "mutate: no <harness> block (3 attempts)", calls: 3 });
    expect(evolver.calls.map((c) => c.sampleKey)).toEqual(["k/op=mutate", "k/op=mutate/try=1", "k/op=mutate/try=2"]);
  });

  it("succeeds on a retry", async () => {
    const evolver = fakeComplete((req) => (req.sampleKey.endsWith("try=1") ? "<harness>fixed</harness>" : "<harness>oops"));
    const r = await propose("mutate", parents, evolver, { sampleKey: "k", maxAttempts: 5 });
    expect(r).toMatchObject({ ok: true, harness: "fixed", calls: 2 });
  });

  it("refine makes two calls: critic, then author with the critique", async () => {
    const evolver = fakeComplete((req) =>
      stepOf(req.messages[1]!.content) === "refine-critic" ? "<critique>The harness never asks to verify arithmetic.</critique>" : "<harness>Show all work. Verify arithmetic.</harness>",
    );
    const r = await propose("refine", parents, evolver, { sampleKey: "k" });
    expect(r).toEqual({ ok: true, harness: "Show all work. Verify arithmetic.", critique: "The harness never asks to verify arithmetic.", calls: 2, modelKey: "fake" });
    expect(evolver.calls.map((c) => c.sampleKey)).toEqual(["k/op=refine-critic", "k/op=refine-author"]);
    expect(firstBlock(evolver.calls[1]!.messages[1]!.content, "critique")).toBe("The harness never asks to verify arithmetic.");
  });

  it("refine stops when the critic never gives a critique", async () => {
    const evolver = fakeComplete(() => "no tags here");
    const r = await propose("refine", parents, evolver, { sampleKey: "k", maxAttempts: 2 });
    expect(r).toEqual({ ok: false, reason: "refine-critic: no <critique> block (2 attempts)", calls: 2 });
  });

  it("validates parent counts", async () => {
    const evolver = fakeComplete(() => "<harness>x</harness>");
    await expect(propose("crossover", parents.slice(0, 1), evolver, { sampleKey: "k" })).rejects.toThrow(RangeError);
    await expect(propose("mutate", [], evolver, { sampleKey: "k" })).rejects.toThrow(RangeError);
    await expect(propose("refine", [], evolver, { sampleKey: "k" })).rejects.toThrow(RangeError);
    await expect(propose("rewrite", [], evolver, { sampleKey: "k" })).resolves.toMatchObject({ ok: true });
    expect(evolver.calls).toHaveLength(1);
  });

  it("rethrows budget and call errors", async () => {
    const broke = async () => {
      throw new BudgetExhaustedError("evolver", "calls");
    };
    await expect(propose("mutate", parents, broke, { sampleKey: "k" })).rejects.toBeInstanceOf(BudgetExhaustedError);
    const down = async () => {
      throw new LlmCallError("401", "small", 401, true);
    };
    await expect(propose("rewrite", [], down, { sampleKey: "k" })).rejects.toBeInstanceOf(LlmCallError);
  });
});
