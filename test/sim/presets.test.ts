import { describe, expect, it } from "vitest";
import { WORLD_PRESET_NAMES } from "../../src/config/schema.js";
import { DECEPTIVE, SKILLS } from "../../src/sim/catalog.js";
import { analyzeHarness, createWorld, expectedSuccess, harnessFor, simOptimum, simTaskSuite, SIM_PROFILES } from "../../src/sim/index.js";
import { SEPARABLE, WORLD_PRESETS, worldKnobs, type WorldKnobs } from "../../src/sim/presets.js";
import { userAnswer } from "../../src/sim/user.js";
import { norm, rngFor } from "../../src/sim/util.js";
import type { World } from "../../src/sim/world.js";
import { TAG, blocks } from "../../src/protocol/tags.js";
import { contentOf, evolverBody, SEED_HARNESS } from "./helpers.js";

const suiteOf = (world: World) => simTaskSuite(world, { train: 40, val: 50, test: 50 });
const idsOf = (world: World, split: string) => suiteOf(world).filter((t) => t.split === split).map((t) => t.id);
const idx = (world: World, id: string) => world.skills.findIndex((s) => s.id === id);

describe("world presets", () => {
  it("name the same presets as the config and leave skills and tasks alone", () => {
    expect(Object.keys(WORLD_PRESETS).sort()).toEqual([...WORLD_PRESET_NAMES].sort());
    const base = createWorld(2);
    for (const k of Object.values(WORLD_PRESETS)) {
      const w = createWorld(2, k);
      expect(w.tasks.map((t) => [t.input, t.skills])).toEqual(base.tasks.map((t) => [t.input, t.skills]));
      expect(w.skills.map((s) => s.hardness)).toEqual(base.skills.map((s) => s.hardness));
    }
    expect(worldKnobs("rugged", { userNoise: 0.25 })).toEqual({ ...WORLD_PRESETS.rugged, userNoise: 0.25 });
  });

  it("separable is the world as it was before the knobs: same expected successes and optimum, to the last bit", () => {
    // Figures computed by the code before the knobs existed (commit ae8467b), world 2, sim:mid, val.
    const w = createWorld(2, SEPARABLE);
    expect(w).toBe(createWorld(2));
    const val = idsOf(w, "val");
    expect(expectedSuccess(w, SEED_HARNESS, "sim:mid", val)).toBe(OLD.seed);
    expect(simOptimum(w, "sim:mid", val).score).toBe(OLD.optimum);
  });

  it("deceptive shortcut phrases are unambiguous beside every other phrase", () => {
    const phrases = [...SKILLS.flatMap((s) => s.phrasings), ...DECEPTIVE.map((d) => d.phrase)].map(norm);
    for (const a of phrases) for (const b of phrases) if (a !== b) expect(a.includes(b), `${a} ⊃ ${b}`).toBe(false);
    for (const s of SKILLS) for (const d of DECEPTIVE) expect(norm(s.label).includes(norm(d.phrase))).toBe(false);
  });
});

describe("rugged: epistatic pairs", () => {
  const world = createWorld(2, WORLD_PRESETS.rugged);
  const val = idsOf(world, "val");
  const opt = simOptimum(world, "sim:mid", val);
  const all = opt.skills.map((id) => idx(world, id));

  it("each half of a pair pays nothing alone and the pair pays together", () => {
    for (const d of world.deceptive) {
      const without = all.filter((i) => i !== d.helps && i !== d.blocks);
      const base = expectedSuccess(world, harnessFor(world, without), "sim:mid", val);
      // Short harnesses (under the length limit), so only the directives' effects differ.
      expect(expectedSuccess(world, harnessFor(world, [...without, d.helps]), "sim:mid", val)).toBeCloseTo(base, 12);
      expect(expectedSuccess(world, harnessFor(world, [...without, d.blocks]), "sim:mid", val)).toBeCloseTo(base, 12);
      expect(expectedSuccess(world, harnessFor(world, [...without, d.helps, d.blocks]), "sim:mid", val)).toBeGreaterThan(base + 0.01);
    }
  });

  it("in the separable world the same halves do pay alone", () => {
    const sep = createWorld(2);
    const d = sep.deceptive[0]!;
    const without = all.filter((i) => i !== d.helps && i !== d.blocks);
    const base = expectedSuccess(sep, harnessFor(sep, without), "sim:mid", val);
    expect(expectedSuccess(sep, harnessFor(sep, [...without, d.helps]), "sim:mid", val)).toBeGreaterThan(base + 0.01);
  });
});

describe("deceptive: shortcuts that help alone and block the better pair", () => {
  const world = createWorld(2, WORLD_PRESETS.deceptive);
  const val = idsOf(world, "val");
  const opt = simOptimum(world, "sim:mid", val);
  const all = opt.skills.map((id) => idx(world, id));

  it("a shortcut beats having neither half, the pair beats the shortcut, and the shortcut spoils the pair", () => {
    for (const [k, d] of world.deceptive.entries()) {
      const without = all.filter((i) => i !== d.helps && i !== d.blocks);
      const e = (skills: number[], tricks: number[] = []) => expectedSuccess(world, harnessFor(world, skills, tricks), "sim:mid", val);
      expect(e(without, [k])).toBeGreaterThan(e(without) + 0.005);
      expect(e(all)).toBeGreaterThan(e(without, [k]) + 0.005);
      expect(e(all, [k])).toBeLessThan(e(all) - 0.005);
      // From the shortcut, adding either half alone gains nothing: a local optimum for single edits.
      expect(e([...without, d.helps], [k])).toBeLessThanOrEqual(e(without, [k]) + 1e-12);
      expect(e([...without, d.blocks], [k])).toBeLessThanOrEqual(e(without, [k]) + 1e-12);
    }
  });

  it("the optimum holds no shortcut and stays exact: no sampled harness with shortcuts beats it", () => {
    expect(opt.deceptive).toEqual([]);
    expect(expectedSuccess(world, opt.harness, "sim:mid", val)).toBe(opt.score);
    const r = rngFor("deceptive-optimum-test");
    for (let k = 0; k < 300; k++) {
      const skills = world.skills.map((_, i) => i).filter(() => r() < 0.7);
      const tricks = world.deceptive.map((_, i) => i).filter(() => r() < 0.4);
      expect(expectedSuccess(world, harnessFor(world, skills, tricks), "sim:mid", val)).toBeLessThanOrEqual(opt.score + 1e-12);
    }
  });

  it("shortcuts are inert text when the knob is off", () => {
    const sep = createWorld(2);
    const h = harnessFor(sep, all, [0, 1, 2]);
    expect(expectedSuccess(sep, h, "sim:mid", val)).toBeCloseTo(expectedSuccess(sep, harnessFor(sep, all), "sim:mid", val) - 0, 1);
    expect(analyzeHarness(sep, h).deceptive).toEqual([0, 1, 2]);
  });
});

describe("noisy users", () => {
  const noisy = createWorld(2, worldKnobs("separable", { userNoise: 1 }));
  const quiet = createWorld(2);
  const val = idsOf(quiet, "val");
  const mid = SIM_PROFILES["sim:mid"]!;
  const tasks = quiet.tasks.filter((t) => val.includes(t.id));
  // Two texts with the same directives (a reworded intro): equally good harnesses.
  const a = harnessFor(quiet, [idx(quiet, "decompose"), idx(quiet, "verify"), idx(quiet, "units")]);
  const b = a.replace(/^.*\n/, "You are a careful problem solver.\n");

  it("keep expectations exact: sampled pass rates match expected success", () => {
    let pass = 0, n = 0;
    for (let seed = 0; seed < 120; seed++) for (const t of tasks) {
      pass += userAnswer(noisy, mid, a, t.input, seed).pass ? 1 : 0;
      n++;
    }
    expect(Math.abs(pass / n - expectedSuccess(noisy, a, "sim:mid", val))).toBeLessThan(0.02);
  });

  it("break common random numbers: equally good harnesses agree task by task only without noise", () => {
    expect(expectedSuccess(quiet, a, "sim:mid", val)).toBe(expectedSuccess(quiet, b, "sim:mid", val));
    const agree = (w: World) => tasks.filter((t) => userAnswer(w, mid, a, t.input, 7).pass === userAnswer(w, mid, b, t.input, 7).pass).length / tasks.length;
    expect(agree(quiet)).toBe(1);
    expect(agree(noisy)).toBeLessThan(0.95);
  });
});

function harnessOf(reply: string): string | undefined {
  const b = blocks(reply, TAG.harness);
  return b.length === 1 ? b[0]!.body : undefined;
}

function critiqueOf(reply: string): string {
  return blocks(reply, TAG.critique)[0]?.body ?? "";
}

describe("misdiagnosing critics", () => {
  // A failing answer's telltale names `units`; a correct critique names units, a misdiagnosis a confusable skill.
  const telltale = (w: World, id: string) => w.skills[idx(w, id)]!.telltale;
  const feedbackFor = (w: World) => [1, 2, 3].map((i) => `Task ${i} failed.\nAnswer: I went with my first pass. ${telltale(w, "units")}\nFinal answer: 12`).join("\n\n");
  const rate = (knobs: WorldKnobs, model: string) => {
    const w = createWorld(2, knobs);
    const base = harnessFor(w, [idx(w, "decompose")]);
    let wrong = 0, named = 0;
    for (let seed = 0; seed < 600; seed++) {
      const c = critiqueOf(contentOf(w, evolverBody(model, "refine-critic", [base], feedbackFor(w), { seed })));
      const right = c.includes(`Missing: ${w.skills[idx(w, "units")]!.label}`);
      const other = c.includes(`Missing: ${w.skills[idx(w, "precision")]!.label}`);
      if (right || other) named++;
      if (other && !right) wrong++;
    }
    return wrong / named;
  };

  it("never happen in the separable world and happen more for smaller evolvers", () => {
    expect(rate(SEPARABLE, "sim:small")).toBe(0);
    const small = rate(WORLD_PRESETS.rugged, "sim:small"), large = rate(WORLD_PRESETS.rugged, "sim:large");
    if (process.env.HARNESS_EVOLVE_PRINT) console.log("misdiagnosis", { small, large });
    expect(small).toBeGreaterThan(0.4);
    expect(small).toBeLessThan(0.6);
    expect(large).toBeGreaterThan(0.2);
    expect(large).toBeLessThan(small - 0.1);
  });

  it("name the missing partner of an instructed half when they read right, a shortcut when they misread", () => {
    const w = createWorld(2, WORLD_PRESETS.deceptive);
    const base = harnessFor(w, [idx(w, "decompose"), idx(w, "verify")]);
    const fb = [1, 2, 3].map((i) => `Task ${i} failed.\nAnswer: I went with my first pass. ${telltale(w, "verify")}\nFinal answer: 12`).join("\n\n");
    let partner = 0, trick = 0;
    for (let seed = 0; seed < 400; seed++) {
      const c = critiqueOf(contentOf(w, evolverBody("sim:small", "refine-critic", [base], fb, { seed })));
      if (c.includes(w.skills[idx(w, "show-work")]!.label)) partner++;
      if (c.includes(w.deceptive[0]!.phrase)) trick++;
    }
    expect(partner / 400).toBeGreaterThan(0.35);
    expect(trick / 400).toBeGreaterThan(0.35);
  });
});

describe("context collapse", () => {
  const long = SEED_HARNESS + "\n## Notes\n" + SKILLS.slice(0, 12).map((s) => `- ${s.phrasings[1]}.`).join("\n") + "\n";
  const lost = (w: World) => {
    let sum = 0;
    for (let seed = 0; seed < 200; seed++) {
      const h = harnessOf(contentOf(w, evolverBody("sim:large", "mutate", [long], undefined, { seed })));
      if (h === undefined) continue;
      const before = analyzeHarness(w, long).instructed.filter(Boolean).length;
      sum += Math.max(0, before - analyzeHarness(w, h).instructed.filter(Boolean).length);
    }
    return sum / 200;
  };

  it("loses directives when a long harness is re-emitted, and none in the separable world", () => {
    expect(lost(createWorld(2, worldKnobs("separable", { collapse: 0.1 })))).toBeGreaterThan(0.5);
    expect(lost(createWorld(2))).toBeLessThan(0.3); // only the edits' own removals
  });
});

/**
 * Tier calibration on every preset (arXiv 2605.30621): the benefit of a better harness peaks
 * at the mid user tier and the update gain is about flat across evolvers. The update gain is
 * measured on a short greedy climb with exact fitness: critic then author, kept if better.
 */
describe.each(Object.keys(WORLD_PRESETS))("tier calibration on %s", (preset) => {
  const world = createWorld(2, WORLD_PRESETS[preset as keyof typeof WORLD_PRESETS]);
  const train = idsOf(world, "train");
  const val = idsOf(world, "val");

  it("benefit: mid gains most from seed to optimum, weak least, strong near its ceiling", () => {
    const gain = (m: string) => simOptimum(world, m, val).score - expectedSuccess(world, SEED_HARNESS, m, val);
    expect(gain("sim:mid")).toBeGreaterThan(gain("sim:strong"));
    expect(gain("sim:strong")).toBeGreaterThan(gain("sim:weak"));
    expect(gain("sim:weak")).toBeLessThan(0.06);
    expect(simOptimum(world, "sim:strong", val).score).toBeGreaterThan(0.85);
  });

  it("update gain is about flat across evolver tiers", () => {
    const climb = (model: string) => {
      const tasks = world.tasks.filter((t) => train.includes(t.id)).slice(0, 12);
      let total = 0;
      for (let run = 0; run < 24; run++) {
        let h = SEED_HARNESS;
        let score = expectedSuccess(world, h, "sim:mid", train);
        for (let step = 0; step < 8; step++) {
          const seed = run * 100 + step;
          const fails = tasks.map((t) => userAnswer(world, SIM_PROFILES["sim:mid"]!, h, t.input, seed)).filter((o) => !o.pass);
          const fb = fails.map((o, i) => `Task ${i + 1} failed.\nAnswer: ${o.text}`).join("\n\n");
          const critique = critiqueOf(contentOf(world, evolverBody(model, "refine-critic", [h], fb, { seed })));
          const child = harnessOf(contentOf(world, evolverBody(model, "refine-author", [h], fb, { seed, critique })));
          if (child === undefined) continue;
          const s = expectedSuccess(world, child, "sim:mid", train);
          if (s > score) [h, score] = [child, s];
        }
        total += expectedSuccess(world, h, "sim:mid", val) - expectedSuccess(world, SEED_HARNESS, "sim:mid", val);
      }
      return total / 24;
    };
    const small = climb("sim:small"), large = climb("sim:large");
    if (process.env.HARNESS_EVOLVE_PRINT) console.log(preset, { small, large });
    expect(small).toBeGreaterThan(0.02);
    expect(large).toBeGreaterThan(0.02);
    expect(Math.max(small, large) / Math.min(small, large)).toBeLessThan(1.5);
  });
});

const OLD = { seed: 0.16520943740011376, optimum: 0.4887779430147936 };

describe("sim.preset in a campaign", () => {
  it("a wrong preset or knob names the field and what was expected", async () => {
    const { CampaignSchema } = await import("../../src/config/schema.js");
    const { formatIssue } = await import("../../src/config/format.js");
    const base = { harness: "h.md", tasks: "t.yaml", models: { m: { model: "sim:mid" } }, roles: { evolver: "m", user: "m" }, strategy: { name: "islands" } };
    const bad = (sim: unknown) => {
      const raw = { ...base, sim };
      const r = CampaignSchema.safeParse(raw);
      expect(r.success).toBe(false);
      return formatIssue(r.error!.issues[0]!, raw);
    };
    expect(bad({ preset: "bumpy" })).toMatch(/sim\.preset.*separable.*rugged.*deceptive/);
    expect(bad({ knobs: { userNoise: 2 } })).toMatch(/sim\.knobs\.userNoise/);
    expect(bad({ knobs: { ruggedness: 1 } })).toMatch(/ruggedness/);
    const ok = CampaignSchema.parse({ ...base, sim: { preset: "rugged", knobs: { collapse: 0 } } });
    expect(ok.sim).toMatchObject({ world: 1, preset: "rugged", knobs: { collapse: 0 } });
  });
});
