// A fitness module anywhere on disk: a fresh temp folder with no package.json (so no "type"),
// no node_modules holding harness-evolve, importing defineFitness by the package's name.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ModuleFitness } from "../../src/fitness/module-fitness.js";
import type { EvaluateOptions, Evaluation, FitnessContext } from "../../src/fitness/types.js";
import { CLI, ROOT } from "../helpers/cli-run.js";
import { fakeComplete } from "./fake-complete.js";

const SOURCES: Record<string, string> = {
  // TypeScript in a type-less folder, the root entry, a relative .js helper, a user's own
  // package, and top-level await (only an ES module may use it).
  "fitness.ts": `import { defineFitness, type FitnessModuleContext } from "harness-evolve";
import { wanted } from "./words.js";
import { bonus } from "local-helper";
const weight: number = await Promise.resolve(1);
export default defineFitness(async (ctx: FitnessModuleContext) => {
  const reply = await ctx.user("say hi");
  const found = wanted.filter((w) => ctx.harness.includes(w)).length;
  return { score: (weight * found) / wanted.length / 2 + bonus(reply), feedback: "ts" };
});
`,
  "words.js": `export const wanted = ["check", "cite"];\n`,
  "fitness.mts": `import { defineFitness } from "harness-evolve/fitness";
const n: number = 0.25;
export default defineFitness(() => ({ score: n, feedback: "mts" }));
`,
  "fitness.mjs": `import { defineFitness } from "harness-evolve";
export default defineFitness((ctx) => ({ score: ctx.split === "val" ? 0.75 : 0.5, feedback: "mjs" }));
`,
  // A .js file with import syntax and no "type": an ES module, as Node itself decides.
  "fitness.js": `import { defineFitness } from "harness-evolve/fitness";
export default defineFitness((ctx) => ({ score: ctx.harness.length / 100, feedback: "js" }));
`,
  // A .js file without import/export stays CommonJS.
  "fitness-cjs.js": `module.exports = (ctx) => ({ score: 0.125, feedback: typeof require });\n`,
  "missing.ts": `import { defineFitness } from "harness-evolve";
import pad from "no-such-package-xyz";
export default defineFitness(() => ({ score: pad ? 1 : 0 }));
`,
  "node_modules/local-helper/package.json": JSON.stringify({ name: "local-helper", type: "module", exports: "./index.js" }),
  "node_modules/local-helper/index.js": `export const bonus = (reply) => (reply === "hi" ? 0.5 : 0);\n`,
};

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "he-module-anywhere-"));
  for (const [name, text] of Object.entries(SOURCES)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
});
/** One evaluation of the module on a fresh worker, closed after. */
async function evaluate(name: string, harness: string, split: EvaluateOptions["split"]): Promise<Evaluation> {
  // The root entry ("harness-evolve") loads the whole engine in the worker: allow a slow, loaded machine.
  const f = new ModuleFitness({ file: join(dir, name), timeoutMs: 10_000, loadTimeoutMs: 90_000, memoryMb: 512, seed: 3, poolSize: 1 });
  try {
    return await f.evaluate(harness, { split }, ctx);
  } finally {
    await f.close();
  }
}

const user = fakeComplete(() => "hi");
const ctx: FitnessContext = { user };

describe("a fitness module outside the package, in a folder with no package.json", () => {
  it("the temp folder has no package.json above it (else this test proves nothing)", () => {
    for (let d = dir; ; d = dirname(d)) {
      expect(existsSync(join(d, "package.json")), d).toBe(false);
      if (dirname(d) === d) break;
    }
  });

  it("loads a .ts module importing harness-evolve, its relative .js helper and a package from its own node_modules", async () => {
    const ev = await evaluate("fitness.ts", "always check and cite", "train");
    expect(ev.error).toBeUndefined();
    expect(ev).toMatchObject({ score: 1, feedback: "ts" });
    expect(user.calls.at(-1)?.messages).toEqual([
      { role: "system", content: "always check and cite" },
      { role: "user", content: "say hi" },
    ]);
  });

  it("loads .mts (harness-evolve/fitness), .mjs (harness-evolve) and an ESM-syntax .js", async () => {
    const mts = await evaluate("fitness.mts", "h", "train");
    expect(mts.error).toBeUndefined();
    expect(mts).toMatchObject({ score: 0.25, feedback: "mts" });
    const mjs = await evaluate("fitness.mjs", "h", "val");
    expect(mjs.error).toBeUndefined();
    expect(mjs).toMatchObject({ score: 0.75, feedback: "mjs" });
    const js = await evaluate("fitness.js", "x".repeat(40), "train");
    expect(js.error).toBeUndefined();
    expect(js).toMatchObject({ score: 0.4, feedback: "js" });
  });

  it("keeps a .js module without import/export CommonJS", async () => {
    const ev = await evaluate("fitness-cjs.js", "h", "train");
    expect(ev.error).toBeUndefined();
    expect(ev).toMatchObject({ score: 0.125, feedback: "function" });
  });

  it("a missing package fails with one line naming the module file and the package", async () => {
    const file = join(dir, "missing.ts");
    const ev = await evaluate("missing.ts", "h", "train");
    expect(ev.score).toBe(0);
    expect(ev.error).toContain(file);
    expect(ev.error).toContain('"no-such-package-xyz"');
    expect(ev.error).not.toMatch(/\n|\bat .*:\d+:\d+/);
    expect(ev.error).not.toContain("harness-evolve'");
  });
});

describe("the CLI runs a campaign whose module lies in a folder with no package.json", () => {
  const campaign = (module: string) =>
    `harness: ./seed.md\nseed: 5\nmodels: { small: { model: "sim:small" } }\nroles: { evolver: small, user: small }\n` +
    `fitness: { type: module, path: ./${module}, timeoutMs: 20000, memoryMb: 512 }\n` +
    `strategy: { name: islands, islands: 2, generations: 1, conversations: 1, turns: 1, presets: [explorer, refiner] }\nbudget: { calls: 100 }\n`;
  // From the repo (where `--import tsx` resolves), with the campaign's absolute path.
  const run = (yaml: string) => spawnSync(CLI[0], [...CLI.slice(1), "run", join(dir, yaml), "--out", join(dir, `run-${yaml}`)], { cwd: ROOT, encoding: "utf8", timeout: 300_000 });

  beforeAll(() => {
    writeFileSync(join(dir, "seed.md"), "Answer the question.\n");
    writeFileSync(join(dir, "ok.yaml"), campaign("scored.ts"));
    writeFileSync(join(dir, "scored.ts"), `import { defineFitness } from "harness-evolve";\nexport default defineFitness((ctx) => ({ score: ctx.harness.includes("cite") ? 0.9 : 0.3 }));\n`);
    writeFileSync(join(dir, "missing.yaml"), campaign("missing.ts"));
  });

  it("completes, with the module's scores", () => {
    const out = run("ok.yaml");
    expect(out.status, out.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(join(dir, "run-ok.yaml", "summary.json"), "utf8")) as { status: string; seedHarness: { trainScore: number } };
    expect(summary.status).toBe("completed");
    expect(summary.seedHarness.trainScore).toBeCloseTo(0.3);
  });

  it("a missing package stops the run with one line naming the module and the package", () => {
    const out = run("missing.yaml");
    expect(out.status).not.toBe(0);
    const lines = out.stderr.trim().split("\n").filter((l) => l.includes("no-such-package-xyz"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(join(dir, "missing.ts"));
    expect(out.stderr).not.toMatch(/^\s+at /m);
  });
});
