import { cpSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { evolve } from "../../src/index.js";

const ROOT = resolve(import.meta.dirname, "../..");

/** An example campaign copied into a temp dir (so its run folder and files stay out of the repo). */
function example(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `he-${name}-`));
  cpSync(join(ROOT, "examples", name), join(dir, name), { recursive: true });
  cpSync(join(ROOT, "examples", "quickstart"), join(dir, "quickstart"), { recursive: true });
  // As in a user's own project: an ES module package with harness-evolve installed.
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module", private: true }));
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(ROOT, join(dir, "node_modules", "harness-evolve"), "dir");
  return join(dir, name, "campaign.yaml");
}

// Each test runs its own campaign in its own folder; they wait mostly on fitness processes and workers, so side by side.
describe.concurrent("plug-in fitness drives a campaign", () => {
  it("the README's module fitness raises the score above the seed's", async () => {
    const file = example("module-fitness");
    const { summary } = await evolve(file, { out: join(file, "..", "run"), inProcessIslands: true });
    expect(summary.status).toBe("completed");
    expect(summary.best.trainScore!).toBeGreaterThan(summary.seedHarness.trainScore!);
    expect(summary.best.valScore!).toBeGreaterThan(summary.seedHarness.valScore!);
  }, 120_000);

  it("the Python command fitness raises the score above the seed's", async () => {
    const file = example("command-fitness");
    const { summary } = await evolve(file, { out: join(file, "..", "run"), inProcessIslands: true });
    expect(summary.status).toBe("completed");
    expect(summary.best.valScore!).toBeGreaterThan(summary.seedHarness.valScore!);
  }, 120_000);
});

describe.concurrent("a failing fitness never stops a campaign", () => {
  function campaign(fitnessSource: string, kind: "module" | "command"): string {
    const file = example("module-fitness");
    const dir = resolve(file, "..");
    if (kind === "module") writeFileSync(join(dir, "fitness.ts"), fitnessSource);
    else writeFileSync(join(dir, "score.py"), fitnessSource);
    const fitness = kind === "module" ? "{ type: module, path: ./fitness.ts, timeoutMs: 5000, memoryMb: 128 }" : '{ type: command, run: "python3 score.py", timeoutMs: 3000 }';
    writeFileSync(
      file,
      `harness: ../quickstart/seed-harness.md\nseed: 5\nmodels: { small: { model: "sim:small" } }\nroles: { evolver: small, user: small }\nfitness: ${fitness}\nstrategy: { name: islands, islands: 2, generations: 3, conversations: 3, turns: 2, presets: [explorer, refiner] }\nbudget: { calls: 400 }\n`,
    );
    return file;
  }

  function failures(out: string): { status: string; reason: string | null }[] {
    const db = new Database(join(out, "run.db"), { readonly: true });
    const rows = db.prepare("SELECT status, reason FROM candidates WHERE id != 'seed'").all() as { status: string; reason: string | null }[];
    db.close();
    return rows;
  }

  it("a module that throws, hangs or returns nonsense for some harnesses fails those candidates only, with reasons", async () => {
    const file = campaign(
      `import { defineFitness } from "harness-evolve/fitness";
export default defineFitness(async (ctx) => {
  const h = ctx.harness.toLowerCase();
  if (h.includes("edge case")) throw new Error("refusing edge cases");
  if (h.includes("restate")) return { score: Number.NaN };
  if (h.includes("plausib")) await new Promise(() => {}); // hangs past the timeout
  return { score: Math.min(1, h.length / 4000), feedback: "longer is better" };
});
`,
      "module",
    );
    const out = join(file, "..", "run");
    const { summary } = await evolve(file, { out, inProcessIslands: true });
    expect(summary.status).not.toBe("failed");
    const rows = failures(out);
    const reasons = rows.filter((r) => r.status === "failed").map((r) => r.reason ?? "");
    expect(rows.some((r) => r.status === "evaluated")).toBe(true);
    expect(reasons.length).toBeGreaterThan(0);
    for (const r of reasons) expect(r).toMatch(/refusing edge cases|NaN|not a number|no result within|timed out|timeout/i);
  }, 120_000);

  it("when every candidate of a generation fails, the run stops with status failed and says why", async () => {
    const file = campaign(
      `import { readFileSync } from "node:fs";
import { defineFitness } from "harness-evolve/fitness";
const seed = readFileSync(new URL("../quickstart/seed-harness.md", import.meta.url), "utf8");
export default defineFitness((ctx) => {
  if (ctx.harness === seed) return { score: 0.5 };
  throw new Error("only the seed is acceptable");
});
`,
      "module",
    );
    const out = join(file, "..", "run");
    const { summary } = await evolve(file, { out, inProcessIslands: true });
    expect(summary.status).toBe("failed");
    expect(summary.reason).toMatch(/every candidate of round 1 failed its evaluation .*only the seed is acceptable/);
    expect(summary.generations).toBe(1);
    expect(summary.best.id).toBe("seed");
  }, 120_000);

  it("a command that fails on the seed harness stops the run at once and says why", async () => {
    const file = campaign("import sys\nsys.stderr.write('the scorer is broken\\n')\nsys.exit(2)\n", "command");
    await expect(evolve(file, { out: join(file, "..", "run"), inProcessIslands: true })).rejects.toThrow(/seed harness could not be evaluated.*exit/i);
  }, 300_000);
});
