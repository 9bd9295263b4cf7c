import { describe, expect, it } from "vitest";
import { TAG, blocks } from "../../src/protocol/tags.js";
import { analyzeHarness, createWorld, harnessFor } from "../../src/sim/index.js";
import { contentOf, evolverBody, SEED_HARNESS } from "./helpers.js";

const world = createWorld(1);
const idx = (id: string) => world.skills.findIndex((s) => s.id === id);
const telltale = (id: string) => world.skills[idx(id)]!.telltale;
const feedback = [1, 2, 3].map((i) => `Task ${i} failed.\nAnswer: I went with my first pass. ${telltale("units")}\nFinal answer: 12`).join("\n\n");

function harnessOf(reply: string): string | undefined {
  const b = blocks(reply, TAG.harness);
  return b.length === 1 ? b[0]!.body : undefined;
}

describe("sim evolver", () => {
  it("replies with English and exactly one harness block (apart from rare malformed replies)", () => {
    let ok = 0, n = 0;
    for (const step of ["mutate", "crossover", "rewrite", "refine-author"]) {
      for (let seed = 0; seed < 100; seed++) {
        const parents = step === "rewrite" ? [] : step === "crossover" ? [SEED_HARNESS, harnessFor(world, [1, 6, 9])] : [SEED_HARNESS];
        const reply = contentOf(world, evolverBody("sim:small", step, parents, feedback, { seed, critique: step === "refine-author" ? "Missing: keeping track of units." : undefined }));
        const h = harnessOf(reply);
        n++;
        if (h === undefined) continue;
        ok++;
        expect(reply.indexOf("<harness>")).toBeGreaterThan(10); // some prose first
        expect(h).toMatch(/^## /m);
      }
    }
    expect(ok / n).toBeGreaterThan(0.93);
    expect(ok / n).toBeLessThan(1); // ~3% malformed for the small tier
  });

  it("malforms about 3% of small-tier and 1% of large-tier replies", () => {
    const rate = (model: string) => {
      let bad = 0;
      for (let seed = 0; seed < 1000; seed++) bad += harnessOf(contentOf(world, evolverBody(model, "mutate", [SEED_HARNESS], feedback, { seed }))) === undefined ? 1 : 0;
      return bad / 1000;
    };
    const small = rate("sim:small"), large = rate("sim:large");
    expect(small).toBeGreaterThan(0.015);
    expect(small).toBeLessThan(0.05);
    expect(large).toBeLessThan(small);
  });

  it("targets the skill named by the feedback about equally often across tiers", () => {
    const base = harnessFor(world, [idx("decompose"), idx("verify")]);
    const rate = (model: string) => {
      let hit = 0, n = 0;
      for (let seed = 0; seed < 600; seed++) {
        const h = harnessOf(contentOf(world, evolverBody(model, "mutate", [base], feedback, { seed })));
        if (h === undefined) continue;
        n++;
        hit += analyzeHarness(world, h).instructed[idx("units")] ? 1 : 0;
      }
      return hit / n;
    };
    const small = rate("sim:small"), large = rate("sim:large");
    expect(small).toBeGreaterThan(0.3);
    expect(large).toBeGreaterThan(0.3);
    expect(Math.abs(small - large)).toBeLessThan(0.12);
  });

  it("small models spread wider: more distinct variants than large ones", () => {
    const distinct = (model: string, temperature = 1) => {
      const seen = new Set<string>();
      for (let seed = 0; seed < 200; seed++) seen.add(harnessOf(contentOf(world, evolverBody(model, "mutate", [SEED_HARNESS], feedback, { seed, temperature }))) ?? "");
      return seen.size;
    };
    expect(distinct("sim:small")).toBeGreaterThan(distinct("sim:large") * 1.2);
    expect(distinct("sim:large", 2)).toBeGreaterThan(distinct("sim:large", 0));
  });

  it("crossover takes whole sections from the parents", () => {
    const a = "Intro A.\n\n## Approach\n- Break the problem into steps.\n\n## Checks\n- Verify the arithmetic.\n";
    const b = "Intro B.\n\n## Approach\n- Show all work.\n\n## Output\n- State units.\n";
    for (let seed = 0; seed < 40; seed++) {
      const h = harnessOf(contentOf(world, evolverBody("sim:large", "crossover", [a, b], undefined, { seed })));
      if (h === undefined) continue;
      const approach = /## Approach\n([\s\S]*?)(\n## |$)/.exec(h)?.[1] ?? "";
      const fromA = approach.includes("Break the problem into steps"), fromB = approach.includes("Show all work");
      expect(fromA || fromB).toBe(true);
    }
  });

  it("refine-critic names the evidenced missing skill and the harness's problems", () => {
    let named = 0;
    for (let seed = 0; seed < 30; seed++) {
      const reply = contentOf(world, evolverBody("sim:large", "refine-critic", [SEED_HARNESS], feedback, { seed }));
      const c = blocks(reply, TAG.critique);
      if (c.length !== 1) continue;
      if (c[0]!.body.includes(world.skills[idx("units")]!.label)) named++;
      expect(c[0]!.body).toMatch(/words/); // the seed harness is over-long
    }
    // "units" is already instructed in the seed, so the critic points at it as buried rather than missing
    expect(named).toBeGreaterThan(15);
  });

  it("refine-author applies a critique: removes what it quotes and adds what it names", () => {
    const critique = `- Missing: ${world.skills[idx("edge-cases")]!.label}.\n- "Answer immediately without checking" invites careless answers; remove "Answer immediately without checking".`;
    let removed = 0, added = 0, n = 0;
    for (let seed = 0; seed < 100; seed++) {
      const h = harnessOf(contentOf(world, evolverBody("sim:small", "refine-author", [SEED_HARNESS], feedback, { seed, critique })));
      if (h === undefined) continue;
      n++;
      const a = analyzeHarness(world, h);
      removed += a.harmful.length === 0 ? 1 : 0;
      added += a.instructed[idx("edge-cases")] ? 1 : 0;
    }
    expect(removed / n).toBeGreaterThan(0.8);
    expect(added / n).toBeGreaterThan(0.7);
  });

  it("rewrite makes a fresh readable harness without a parent", () => {
    const h = harnessOf(contentOf(world, evolverBody("sim:large", "rewrite", [], undefined, { seed: 4 })))!;
    expect(h.split("\n")[0]).toMatch(/^[A-Z]/);
    expect(analyzeHarness(world, h).instructed.filter(Boolean).length).toBeGreaterThanOrEqual(3);
  });
});
