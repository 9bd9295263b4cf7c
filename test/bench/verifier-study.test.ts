import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse, stringify } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { STUDY_FILE, verifierStudy, verifierStudyMarkdown, wilsonInterval, type VerifierStudy } from "../../src/bench/verifier-study.js";
import { UserError } from "../../src/config/errors.js";

const QUICKSTART = resolve(import.meta.dirname, "../../examples/quickstart");

/** The quickstart campaign in a fresh temp dir, with `edit` applied to its parsed YAML. */
function quickstart(edit: (c: Record<string, any>) => void = () => {}): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "he-vstudy-"));
  for (const f of ["tasks.yaml", "seed-harness.md"]) copyFileSync(join(QUICKSTART, f), join(dir, f));
  const campaign = parse(readFileSync(join(QUICKSTART, "campaign.yaml"), "utf8")) as Record<string, any>;
  edit(campaign);
  const file = join(dir, "campaign.yaml");
  writeFileSync(file, stringify(campaign));
  return { dir, file };
}

const REASONING = [0, 200, 800];
const SAMPLES = [1, 3];
// 60 answers: with 20 the sampling noise of one point (±0.1) hides the effect of samples.
const PER_TASK = 3;

function row(study: VerifierStudy, r: number, s: number) {
  const found = study.rows.find((x) => x.reasoningTokens === r && x.samples === s);
  if (!found) throw new Error(`no row r=${r} s=${s}`);
  return found;
}

describe("wilsonInterval", () => {
  it("matches hand-computed intervals", () => {
    const [lo, hi] = wilsonInterval(8, 10);
    expect(lo).toBeCloseTo(0.49, 3);
    expect(hi).toBeCloseTo(0.943, 3);
    expect(wilsonInterval(0, 0)).toEqual([0, 1]);
    const [l0, h0] = wilsonInterval(0, 10);
    expect(l0).toBe(0);
    expect(h0).toBeCloseTo(0.2775, 3);
    const [l5, h5] = wilsonInterval(5, 10);
    expect(l5).toBeCloseTo(0.2366, 3);
    expect(h5).toBeCloseTo(0.7634, 3);
    expect(wilsonInterval(10, 10)[1]).toBe(1);
  });

  it("narrows with n and refuses impossible counts", () => {
    const [a, b] = wilsonInterval(80, 100);
    expect(b - a).toBeLessThan(0.943 - 0.49);
    expect(() => wilsonInterval(3, 2)).toThrow(RangeError);
    expect(() => wilsonInterval(-1, 2)).toThrow(RangeError);
  });
});

describe("verifierStudy on the quickstart (simulated models)", () => {
  let study: VerifierStudy;
  let out: string;

  beforeAll(async () => {
    const { dir, file } = quickstart();
    out = join(dir, "study");
    study = await verifierStudy(file, { out, reasoning: REASONING, samples: SAMPLES, answersPerTask: PER_TASK });
    // The measured figures, for the record.
    console.log(verifierStudyMarkdown(study));
  }, 300_000);

  it("judges every rubric answer at every point and writes the study", () => {
    expect(study.model).toBe("sim:judge");
    expect(study.answers).toBe(20 * PER_TASK); // the quickstart has 20 rubric tasks
    expect(study.positives).toBeGreaterThan(0);
    expect(study.positives).toBeLessThan(study.answers);
    expect(study.rows.map((r) => [r.reasoningTokens, r.samples])).toEqual(REASONING.flatMap((r) => SAMPLES.map((s) => [r, s])));
    for (const r of study.rows) {
      expect(r.agreedOnPass).toBeLessThanOrEqual(study.positives);
      expect(r.agreedOnFail).toBeLessThanOrEqual(study.answers - study.positives);
      expect((r.agreedOnPass + r.agreedOnFail) / study.answers).toBeCloseTo(r.agreement, 12);
      expect(r.low).toBeLessThanOrEqual(r.agreement);
      expect(r.high).toBeGreaterThanOrEqual(r.agreement);
    }
    expect(existsSync(join(out, "run.db"))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, STUDY_FILE), "utf8"))).toEqual(study);
  });

  it("agreement is near chance without reasoning and rises with the budget", () => {
    expect(row(study, 0, 1).agreement).toBeGreaterThanOrEqual(0.25);
    expect(row(study, 0, 1).agreement).toBeLessThanOrEqual(0.75);
    for (const s of SAMPLES) expect(row(study, 800, s).agreement).toBeGreaterThan(row(study, 0, s).agreement + 0.15);
    expect(row(study, 800, 1).agreement).toBeGreaterThanOrEqual(0.8);
  });

  it("more samples do not lower agreement much", () => {
    for (const r of REASONING.filter((x) => x > 0)) expect(row(study, r, 3).agreement).toBeGreaterThanOrEqual(row(study, r, 1).agreement - 0.05);
  });

  it("a judgement costs more with more reasoning and more samples", () => {
    for (const s of SAMPLES) {
      expect(row(study, 200, s).usdPerJudgement).toBeGreaterThan(row(study, 0, s).usdPerJudgement);
      expect(row(study, 800, s).usdPerJudgement).toBeGreaterThan(row(study, 200, s).usdPerJudgement);
      expect(row(study, 800, s).tokensPerJudgement).toBeGreaterThan(row(study, 0, s).tokensPerJudgement);
    }
    for (const r of REASONING) {
      // Samples reuse the cache, but the cost is reported as fresh: s=3 costs ~3x s=1.
      expect(row(study, r, 3).tokensPerJudgement).toBeGreaterThan(2.5 * row(study, r, 1).tokensPerJudgement);
    }
  });

  it("is deterministic: a fresh run and a replay over the same folder give identical rows", async () => {
    const { dir, file } = quickstart();
    const again = await verifierStudy(file, { out: join(dir, "study"), reasoning: REASONING, samples: SAMPLES, answersPerTask: PER_TASK });
    expect(again).toEqual(study);
    const replay = await verifierStudy(file, { out, reasoning: REASONING, samples: SAMPLES, answersPerTask: PER_TASK });
    expect(replay).toEqual(study);
  }, 300_000);

  it("renders a markdown section that says the models are simulated", () => {
    const md = verifierStudyMarkdown(study);
    expect(md).toMatch(/simulated models/i);
    expect(md).toMatch(/not evidence about real models/);
    expect(md).toMatch(/said "fail" to every answer would agree \d+\.\d%/);
    expect(md).toContain("| reasoning tokens | samples | agreement [95% interval] |");
    expect(md.split("\n").filter((l) => /^\|\s+\d+ \|/.test(l))).toHaveLength(study.rows.length);
  });
});

describe("verifierStudy refuses what it cannot measure", () => {
  const opts = (dir: string) => ({ out: join(dir, "study"), reasoning: [0], samples: [1], answersPerTask: 1 });

  it("a real (non-sim) verifier", async () => {
    const { dir, file } = quickstart((c) => {
      c.models.judge = { model: "gpt-4.1-mini", baseURL: "http://127.0.0.1:9/v1", price: { inputPerM: 0.4, outputPerM: 1.6 } };
    });
    const err = await verifierStudy(file, opts(dir)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/only measurable on simulated.*ground truth is unknown/);
    expect(existsSync(join(dir, "study"))).toBe(false);
  });

  it("a real user model", async () => {
    const { dir, file } = quickstart((c) => {
      c.models.mid = { model: "qwen2.5:7b", baseURL: "http://127.0.0.1:9/v1" };
    });
    await expect(verifierStudy(file, opts(dir))).rejects.toThrow(/roles\.user: model mid \(qwen2\.5:7b\) is not simulated/);
  });

  it("an ensemble or missing verifier", async () => {
    const a = quickstart((c) => {
      c.roles.verifier = [{ model: "judge" }, { model: "large" }];
    });
    await expect(verifierStudy(a.file, opts(a.dir))).rejects.toThrow(/roles\.verifier:.*single model/);
    const b = quickstart((c) => {
      delete c.roles.verifier;
    });
    await expect(verifierStudy(b.file, opts(b.dir))).rejects.toThrow(/roles\.verifier:/);
  });

  it("a suite without rubric tasks", async () => {
    const { dir, file } = quickstart();
    const suite = parse(readFileSync(join(dir, "tasks.yaml"), "utf8")) as { tasks: { check: { type: string } }[] };
    suite.tasks = suite.tasks.filter((t) => t.check.type !== "rubric");
    writeFileSync(join(dir, "tasks.yaml"), stringify(suite));
    await expect(verifierStudy(file, opts(dir))).rejects.toThrow(/no rubric tasks/);
  });

  it("bad study options", async () => {
    const { dir, file } = quickstart();
    await expect(verifierStudy(file, { ...opts(dir), samples: [0] })).rejects.toThrow(UserError);
    await expect(verifierStudy(file, { ...opts(dir), reasoning: [] })).rejects.toThrow(UserError);
  });
});
