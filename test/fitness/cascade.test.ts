import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cascadeEvaluate, chooseMinibatch } from "../../src/fitness/cascade.js";
import { TaskFitness } from "../../src/fitness/task-fitness.js";
import type { Task } from "../../src/fitness/types.js";
import { fakeComplete, taskOf } from "./fake-complete.js";

const tasks: Task[] = ["a", "b", "c", "d"].map((id) => ({ id, split: "train", input: `task ${id}`, check: { type: "exact", expected: "ok" } }));
tasks.push({ id: "v", split: "val", input: "task v", check: { type: "exact", expected: "ok" } });
const fitness = new TaskFitness({ tasks, source: "t.yaml" });
// Right on tasks a and b only.
const user = fakeComplete((req) => (/task [ab]/.test(taskOf(req)) ? "Final answer: ok" : "Final answer: no"));

describe("cascadeEvaluate", () => {
  it("promotes without a parent score and evaluates the full train split", async () => {
    const r = await cascadeEvaluate(fitness, "h", { user }, { minibatchIds: ["a", "c"] });
    expect(r.minibatch.stage).toBe("minibatch");
    expect(r.minibatch.score).toBe(0.5);
    expect(r.promoted).toBe(true);
    expect(r.full?.stage).toBe("full");
    expect(r.full?.results).toHaveLength(4);
    expect(r.full?.score).toBe(0.5);
  });
  it("promotes on a tie and when better, not when worse", async () => {
    expect((await cascadeEvaluate(fitness, "h", { user }, { minibatchIds: ["a", "c"], parentMinibatch: 0.5 })).promoted).toBe(true);
    expect((await cascadeEvaluate(fitness, "h", { user }, { minibatchIds: ["a", "b"], parentMinibatch: 0.9 })).promoted).toBe(true);
    const worse = await cascadeEvaluate(fitness, "h", { user }, { minibatchIds: ["a", "c"], parentMinibatch: 0.75 });
    expect(worse.promoted).toBe(false);
    expect(worse.full).toBeUndefined();
  });
  it("does not spend the full evaluation when the minibatch is not promoted", async () => {
    user.calls.length = 0;
    await cascadeEvaluate(fitness, "h", { user }, { minibatchIds: ["c"], parentMinibatch: 0.1 });
    expect(user.calls).toHaveLength(1);
  });
});

describe("chooseMinibatch", () => {
  const ids = ["t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7"];
  it("draws distinct ids in their original order, deterministically for a given rng", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 0.999999, noNaN: true }), { minLength: 8, maxLength: 8 }), fc.integer({ min: 0, max: 10 }), (draws, size) => {
        const rng = () => draws.shift() ?? 0;
        const copy = [...draws];
        const picked = chooseMinibatch(ids, size, rng);
        expect(picked).toHaveLength(Math.min(size, ids.length));
        expect(new Set(picked).size).toBe(picked.length);
        expect([...picked].sort((x, y) => ids.indexOf(x) - ids.indexOf(y))).toEqual(picked);
        let i = 0;
        expect(chooseMinibatch(ids, size, () => copy[i++] ?? 0)).toEqual(picked);
      }),
    );
  });
  it("returns every id when size covers them, and is pure", () => {
    const input = [...ids];
    expect(chooseMinibatch(input, 20, Math.random)).toEqual(ids);
    chooseMinibatch(input, 3, Math.random);
    expect(input).toEqual(ids);
  });
  it("tolerates an rng that returns 1", () => {
    expect(chooseMinibatch(ids, 3, () => 1)).toHaveLength(3);
  });
});
