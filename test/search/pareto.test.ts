import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bestPerTask, dominates, meanOn, paretoFront, paretoSample, type TaskScored } from "../../src/search/pareto.js";
import { stream } from "../../src/search/rng.js";

const TASKS = ["a", "b", "c", "d"];
const scored = fc.array(fc.option(fc.dictionary(fc.constantFrom(...TASKS), fc.constantFrom(0, 0.5, 1)), { nil: undefined }), { minLength: 1, maxLength: 12 }).map((xs) =>
  xs.map((taskScores, i): TaskScored => ({ id: `c${i}`, ...(taskScores ? { taskScores } : {}) })),
);

describe("per-task Pareto front", () => {
  it("holds no dominated member, attains every task's best, and samples only its members, reproducibly", () => {
    fc.assert(
      fc.property(scored, fc.integer(), fc.integer({ min: 1, max: 4 }), (cands, seed, k) => {
        const front = paretoFront(cands);
        for (const f of front) for (const c of cands) expect(dominates(c, f)).toBe(false);
        for (const [task, who] of bestPerTask(cands)) {
          const top = who[0]!.taskScores![task]!;
          // A task a candidate was not scored on counts as 0, as in dominance.
          expect(front.some((f) => (f.taskScores?.[task] ?? 0) >= top - 1e-12)).toBe(true);
        }
        const picks = paretoSample(cands, k, stream(seed, "t"));
        expect(new Set(picks).size).toBe(picks.length);
        if (front.length) for (const p of picks) expect(front).toContain(p);
        expect(picks.map((p) => p.id)).toEqual(paretoSample(cands, k, stream(seed, "t")).map((p) => p.id));
        // Without scores a candidate is never chosen, unless nobody has any.
        if (cands.some((c) => c.taskScores && Object.keys(c.taskScores).length)) for (const p of picks) expect(Object.keys(p.taskScores ?? {}).length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });

  it("keeps a specialist that is best on one task although its mean is lower", () => {
    const all = { id: "all", taskScores: { a: 1, b: 1, c: 0.5, d: 0 } };
    const spec = { id: "spec", taskScores: { a: 0, b: 0, c: 0, d: 1 } };
    const weak = { id: "weak", taskScores: { a: 0.5, b: 0.5, c: 0.5, d: 0 } };
    expect(paretoFront([all, spec, weak]).map((c) => c.id)).toEqual(["all", "spec"]);
    expect(meanOn(spec, ["c", "d"])).toBe(0.5);
    expect(meanOn(spec, ["c", "e"])).toBeUndefined();
  });
});
