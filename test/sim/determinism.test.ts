import { describe, expect, it } from "vitest";
import { FINAL_ANSWER_PREFIX } from "../../src/protocol/tags.js";
import { createWorld, harnessFor, simRespond, simTaskSuite } from "../../src/sim/index.js";
import { userAnswer } from "../../src/sim/user.js";
import { simProfile } from "../../src/sim/models.js";
import { contentOf, evolverBody, SEED_HARNESS, userBody, verifierBody } from "./helpers.js";

const world = createWorld(1);
const suite = simTaskSuite(world, { train: 50, val: 35, test: 35 });
const rubricTask = suite.find((t) => t.check.type === "rubric")!;

describe("sim determinism", () => {
  it("gives identical bodies for identical requests of every kind", () => {
    const bodies = [
      userBody("sim:mid", SEED_HARNESS, suite[0]!.input, 5),
      evolverBody("sim:small", "mutate", [SEED_HARNESS], "Answer: I did not double-check the arithmetic.", { seed: 9 }),
      evolverBody("sim:large", "crossover", [SEED_HARNESS, harnessFor(world, [0, 6])], undefined, { seed: 3 }),
      evolverBody("sim:large", "refine-critic", [SEED_HARNESS], "I lost track of the units."),
      verifierBody("sim:judge", (rubricTask.check as { rubric: string }).rubric, rubricTask.input, "Final answer: hello", 300),
      { model: "sim:weak", messages: [{ role: "user", content: "hello there" }] },
    ];
    for (const b of bodies) {
      const a = simRespond(world, structuredClone(b));
      expect(a.status).toBe(200);
      expect(JSON.stringify(simRespond(createWorld(1), structuredClone(b)))).toBe(JSON.stringify(a));
    }
  });

  it("answers end with a Final answer line and stay short", () => {
    for (const t of suite) {
      const text = contentOf(world, userBody("sim:mid", SEED_HARNESS, t.input, 2));
      expect(text.length).toBeLessThanOrEqual(300);
      expect(text.split("\n").at(-1)!.startsWith(FINAL_ANSWER_PREFIX)).toBe(true);
    }
  });

  it("uses common random numbers: outcomes do not depend on harness text beyond its effect", () => {
    const mid = simProfile("sim:mid");
    // Two harnesses that instruct the same skills in different words and order have equal effect.
    const a = "Be careful.\n\n## Checks\n- Verify the arithmetic.\n- Check edge cases.\n";
    const b = "Work well.\n\n## Approach\n- Watch for off-by-one errors.\n- Double-check every calculation.\n";
    for (const t of suite) for (const seed of [1, 2, 3]) {
      expect(userAnswer(world, mid, a, t.input, seed)).toEqual(userAnswer(world, mid, b, t.input, seed));
    }
  });

  it("couples outcomes: a harness that helps every skill never turns a pass into a fail", () => {
    const mid = simProfile("sim:mid");
    const better = harnessFor(world, [0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    let gained = 0;
    for (const t of suite) for (const seed of [1, 2, 3, 4]) {
      const before = userAnswer(world, mid, "", t.input, seed).pass;
      const after = userAnswer(world, mid, better, t.input, seed).pass;
      if (before) expect(after).toBe(true);
      if (!before && after) gained++;
    }
    expect(gained).toBeGreaterThan(50);
  });

  it("shows the telltale of the missing skill in a failed answer", () => {
    const mid = simProfile("sim:mid");
    let checked = 0;
    for (const t of suite) {
      const o = userAnswer(world, mid, "", t.input, 1);
      if (o.pass || o.missing === undefined) continue;
      expect(o.text).toContain(world.skills[o.missing]!.telltale);
      checked++;
    }
    expect(checked).toBeGreaterThan(10);
  });
});
