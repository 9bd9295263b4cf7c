import { describe, expect, it } from "vitest";
import { createWorld, expectedSuccess, harnessFor, simOptimum, simTaskSuite, SIM_PROFILES } from "../../src/sim/index.js";
import { userAnswer } from "../../src/sim/user.js";
import { rngFor } from "../../src/sim/util.js";
import { SEED_HARNESS } from "./helpers.js";

const world = createWorld(1);
const suite = simTaskSuite(world, { train: 50, val: 35, test: 35 });
const val = suite.filter((t) => t.split === "val").map((t) => t.id);
const tiers = ["sim:weak", "sim:mid", "sim:strong"] as const;
const gains = Object.fromEntries(
  tiers.map((m) => {
    const seed = expectedSuccess(world, SEED_HARNESS, m, val);
    const opt = simOptimum(world, m, val);
    return [m, { seed, opt: opt.score, gain: opt.score - seed, harness: opt.harness }];
  }),
);

describe("sim calibration (arXiv 2605.30621 figures)", () => {
  it("tier defaults sit near the paper's activation and adherence", () => {
    const { "sim:weak": weak, "sim:mid": mid, "sim:strong": strong } = SIM_PROFILES;
    expect(weak!.user.activation).toBeCloseTo(0.25, 1);
    expect(strong!.user.activation).toBeCloseTo(0.96, 1);
    expect(weak!.user.adherence).toBeCloseTo(0.14, 1);
    expect(strong!.user.adherence).toBeCloseTo(0.76, 1);
    expect(mid!.user.activation).toBeGreaterThan(weak!.user.activation);
    expect(mid!.user.activation).toBeLessThan(strong!.user.activation);
    expect(mid!.user.adherence).toBeGreaterThan(weak!.user.adherence);
    expect(mid!.user.adherence).toBeLessThan(strong!.user.adherence);
  });

  it("the mid tier gains most from seed to optimum, the weak tier least", () => {
    expect(gains["sim:mid"]!.gain).toBeGreaterThan(gains["sim:strong"]!.gain);
    expect(gains["sim:strong"]!.gain).toBeGreaterThan(gains["sim:weak"]!.gain);
    expect(gains["sim:weak"]!.gain).toBeLessThan(0.06);
    expect(gains["sim:strong"]!.opt).toBeGreaterThan(0.85); // strong sits near its ceiling
  });

  it("leaves the quickstart room to gain: mid optimum at least 0.30 above the seed on val", () => {
    expect(gains["sim:mid"]!.gain).toBeGreaterThanOrEqual(0.3);
  });

  it("the optimum's score is its harness's expected success, and no sampled harness beats it", () => {
    for (const m of tiers) {
      expect(expectedSuccess(world, gains[m]!.harness, m, val)).toBeCloseTo(gains[m]!.opt, 12);
      const r = rngFor("calibration-test", m);
      for (let k = 0; k < 200; k++) {
        const skills = world.skills.map((_, i) => i).filter(() => r() < 0.6);
        expect(expectedSuccess(world, harnessFor(world, skills), m, val)).toBeLessThanOrEqual(gains[m]!.opt + 1e-12);
      }
    }
  });

  it("sampled user answers match the exact expectation", () => {
    const mid = SIM_PROFILES["sim:mid"]!;
    const ids = new Set(val);
    const tasks = world.tasks.filter((t) => ids.has(t.id));
    let pass = 0, n = 0;
    for (let seed = 0; seed < 120; seed++) for (const t of tasks) {
      pass += userAnswer(world, mid, SEED_HARNESS, t.input, seed).pass ? 1 : 0;
      n++;
    }
    expect(Math.abs(pass / n - gains["sim:mid"]!.seed)).toBeLessThan(0.02);
  });

  it("length dilutes uptake: padding an optimal harness lowers its expected success", () => {
    const padded = gains["sim:mid"]!.harness + `\n## Notes\n${"- Take pride in your work.\n".repeat(40)}`;
    expect(expectedSuccess(world, padded, "sim:mid", val)).toBeLessThan(gains["sim:mid"]!.opt - 0.05);
  });
});
