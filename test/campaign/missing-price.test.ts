import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { CLI, ROOT } from "../helpers/cli-run.js";
import { smallCampaign } from "../e2e/helpers.js";

function cli(args: string[]) {
  const r = spawnSync(CLI[0], [...CLI.slice(1), ...args], { cwd: ROOT, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The small campaign with its user model on a local server the price table does not know. */
function unpriced(budget?: Record<string, unknown>): { dir: string; file: string } {
  const { dir, file } = smallCampaign({
    models: {
      small: { model: "sim:small" },
      large: { model: "sim:large" },
      mid: { model: "my-local-model", baseURL: "http://127.0.0.1:9/v1" },
      judge: { model: "sim:judge", params: { reasoningTokens: 300 } },
    },
    ...(budget ? { budget } : {}),
  });
  return { dir, file };
}

const LINE = (file: string) => `error: ${file}: models.mid.price: required because budget.usd is set (the built-in price table has no 'my-local-model')`;

describe("a missing price with budget.usd set", () => {
  it("is one line naming the field, before any run folder exists", () => {
    const { dir, file } = unpriced({ usd: 1 });
    const out = join(dir, "runs", "x");
    const r = cli(["run", file, "--out", out]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toEqual([LINE(file)]);
    expect(existsSync(join(dir, "runs"))).toBe(false);
  }, 120_000);

  it("also when budget.usd comes from --set, and for the new campaign of a fork", () => {
    const { dir, file } = unpriced();
    const r = cli(["run", file, "--out", join(dir, "x"), "--set", "budget.usd=1"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toEqual([LINE(file)]);
    expect(existsSync(join(dir, "x"))).toBe(false);

    // A priced run to fork from (one generation), then a fork onto the unpriced model with a dollar cap.
    const source = join(dir, "a");
    const sim = smallCampaign({ strategy: { name: "islands", islands: 2, generations: 1, conversations: 1, turns: 1, presets: ["explorer", "refiner"], finalists: 1 } }, { short: true });
    expect(cli(["run", sim.file, "--out", source, "--json"]).code).toBe(0);
    const forked = join(dir, "forked.yaml");
    const base = parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    writeFileSync(forked, stringify({ ...base, harness: join(dir, "seed-harness.md"), tasks: join(dir, "tasks.yaml"), budget: { usd: 1 } }));
    const f = cli(["run", forked, "--fork", source, "--from-generation", "1", "--out", join(dir, "b")]);
    expect(f.code).toBe(2);
    expect(f.stderr.trim().split("\n")).toEqual([LINE(forked)]);
    expect(existsSync(join(dir, "b"))).toBe(false);
  }, 300_000);
});
