import { evaluate } from "mathjs";
import { describe, expect, it } from "vitest";
import { DISTRACTORS, HARMFUL, SKILLS } from "../../src/sim/catalog.js";
import { createWorld, lookupTask, simTaskSuite, TASK_POOL } from "../../src/sim/index.js";
import type { SimCheck } from "../../src/sim/templates.js";
import { norm } from "../../src/sim/util.js";

const world = createWorld(1);

/** The engine's check semantics as the brief states them (text after the last "Final answer:"). */
function passes(check: SimCheck, final: string): boolean {
  switch (check.type) {
    case "numeric":
      try {
        return Math.abs(Number(evaluate(final)) - Number(evaluate(String(check.expected)))) <= (check.tolerance ?? 1e-9);
      } catch {
        return false;
      }
    case "exact":
      return final.trim().toLowerCase() === check.expected.trim().toLowerCase();
    case "regex":
      return new RegExp(check.pattern).test(final);
    case "json":
      try {
        return JSON.stringify(JSON.parse(final)) === JSON.stringify(check.expected);
      } catch {
        return false;
      }
    case "rubric":
      return true;
  }
}

describe("sim world", () => {
  it("no directive phrase contains another, so recognition is unambiguous", () => {
    const phrases = [...SKILLS.flatMap((s) => s.phrasings), ...DISTRACTORS, ...HARMFUL.map((h) => h.phrase)].map(norm);
    for (const a of phrases) for (const b of phrases) if (a !== b) expect(a.includes(b), `${a} ⊃ ${b}`).toBe(false);
    expect(new Set(phrases).size).toBe(phrases.length);
  });

  it("labels and telltales are not directive phrasings", () => {
    const phrases = SKILLS.flatMap((s) => s.phrasings).map(norm);
    for (const s of SKILLS) for (const p of phrases) {
      expect(norm(s.label).includes(p)).toBe(false);
      expect(norm(s.telltale).includes(p)).toBe(false);
    }
  });

  it("is deterministic per seed and differs across seeds", () => {
    expect(createWorld(1).tasks.map((t) => t.input)).toEqual(world.tasks.map((t) => t.input));
    expect(createWorld(2).tasks.slice(0, 20).map((t) => t.input)).not.toEqual(world.tasks.slice(0, 20).map((t) => t.input));
  });

  it("has 16 skills and a pool of unique tasks needing 2..4 skills", () => {
    expect(world.skills).toHaveLength(16);
    expect(world.tasks).toHaveLength(TASK_POOL);
    expect(world.byText.size).toBe(TASK_POOL);
    for (const t of world.tasks) {
      expect(t.skills.length).toBeGreaterThanOrEqual(2);
      expect(t.skills.length).toBeLessThanOrEqual(4);
      expect(new Set(t.skills).size).toBe(t.skills.length);
      expect(t.difficulty).toBeGreaterThan(0);
      expect(t.difficulty).toBeLessThan(1);
    }
  });

  it("every task's answer passes its check and its wrong answer fails it", () => {
    for (const t of world.tasks) {
      if (t.check.type === "rubric") {
        for (const e of t.elements!) expect(norm(t.answer)).toContain(norm(e));
        expect(t.elements!.every((e) => norm(t.wrong).includes(norm(e)))).toBe(false);
        continue;
      }
      expect(passes(t.check, t.answer), `${t.input} -> ${t.answer}`).toBe(true);
      expect(passes(t.check, t.wrong), `${t.input} -> ${t.wrong}`).toBe(false);
    }
  });

  it("mixes check kinds: mostly numeric, about 15% rubric", () => {
    const counts: Record<string, number> = {};
    for (const t of world.tasks) counts[t.kind] = (counts[t.kind] ?? 0) + 1;
    expect(counts.numeric! / TASK_POOL).toBeGreaterThan(0.45);
    expect(counts.rubric! / TASK_POOL).toBeGreaterThan(0.08);
    expect(counts.rubric! / TASK_POOL).toBeLessThan(0.22);
    for (const k of ["exact", "regex", "json"]) expect(counts[k]).toBeGreaterThan(0);
  });

  it("falls back for unknown task text without crashing", () => {
    const t = lookupTask(world, "What is the airspeed of an unladen swallow?");
    expect(t.known).toBe(false);
    expect(t.skills.length).toBe(2);
    expect(lookupTask(world, "")).toBeDefined();
    expect(lookupTask(world, world.tasks[3]!.input.toUpperCase().replace(/ /g, "  \n"))).toBe(world.tasks[3]);
  });

  it("builds suites with the requested split sizes", () => {
    const s = simTaskSuite(world, { train: 50, val: 35, test: 35 });
    expect(s).toHaveLength(120);
    expect(s.filter((t) => t.split === "val")).toHaveLength(35);
    expect(new Set(s.map((t) => t.id)).size).toBe(120);
    expect(() => simTaskSuite(world, { train: TASK_POOL, val: 1, test: 0 })).toThrow(RangeError);
  });
});
