import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bestPerTask, dominates, frontWeights, meanOn, paretoFront, paretoSample, type TaskScored } from "../../src/search/pareto.js";
import { stream } from "../../src/search/rng.js";

const TASKS = ["a", "b", "c", "d"];
const scored = fc.array(fc.option(fc.dictionary(fc.constantFrom(...TASKS), fc.constantFrom(-1, 0, 0.5, 1)), { nil: undefined }), { minLength: 1, maxLength: 12 }).map((xs) =>
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
          // Attained by a front member scored on that task: unscored counts as worst in dominance, so
          // {a:1} does not dominate {c:0} away (the counterexample that once made this check say "?? 0").
          expect(front.some((f) => f.taskScores?.[task] !== undefined && f.taskScores[task]! >= top - 1e-12)).toBe(true);
        }
        const picks = paretoSample(cands, k, stream(seed, "t"));
        expect(new Set(picks).size).toBe(picks.length);
        if (front.length) for (const p of picks) expect(front).toContain(p);
        expect(picks.map((p) => p.id)).toEqual(paretoSample(cands, k, stream(seed, "t")).map((p) => p.id));
        // Without scores a candidate is never chosen, unless nobody has any.
        if (cands.some((c) => c.taskScores && Object.keys(c.taskScores).length)) for (const p of picks) expect(Object.keys(p.taskScores ?? {}).length).toBeGreaterThan(0);
        else expect(picks).toEqual(cands.slice(0, k));
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

  it("never loses a task's best to a candidate that was not scored on it", () => {
    // Unscored counts as worst, not 0: e does not dominate d, whose 0 is the only score on b.
    const d = { id: "d", taskScores: { a: 1, b: 0 } };
    const e = { id: "e", taskScores: { a: 1, c: 1 } };
    expect(paretoFront([d, e]).map((c) => c.id)).toEqual(["d", "e"]);
    expect(dominates(e, d)).toBe(false);
    expect(paretoFront([{ id: "c0", taskScores: { c: 0 } }, { id: "a1", taskScores: { a: 1 } }]).map((c) => c.id)).toEqual(["c0", "a1"]);
    expect(dominates({ id: "x", taskScores: { a: 1, b: 1 } }, { id: "y", taskScores: { a: 1 } })).toBe(true);
  });

  it("weighs each front member by the tasks it is among the best on, ties in the order given, and samples in proportion", () => {
    const p = { id: "p", taskScores: { a: 1, b: 1, c: 1, d: 0 } };
    const q = { id: "q", taskScores: { a: 1, b: 0, c: 0, d: 1 } };
    const none = { id: "none" };
    const { front, weights } = frontWeights([none, p, q]);
    expect(front.map((c) => c.id)).toEqual(["p", "q"]);
    expect(weights).toEqual([3, 2]);
    expect(bestPerTask([none, p, q]).get("a")!.map((c) => c.id)).toEqual(["p", "q"]);
    const rng = stream(1, "freq");
    let ps = 0;
    const n = 5000;
    for (let i = 0; i < n; i++) if (paretoSample([none, p, q], 1, rng)[0] === p) ps++;
    expect(ps / n).toBeGreaterThan(0.57);
    expect(ps / n).toBeLessThan(0.63);
  });
});
