import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { smallCampaign } from "./helpers.js";
import { CLI, ROOT } from "../helpers/cli-run.js";


function cli(args: string[]) {
  const r = spawnSync(CLI[0], [...CLI.slice(1), ...args], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A campaign file with one field changed (undefined deletes it). */
function broken(mutate: (c: Record<string, any>) => void): string {
  const { file } = smallCampaign();
  const c = parse(readFileSync(file, "utf8"));
  mutate(c);
  writeFileSync(file, stringify(c));
  return file;
}

describe("the CLI with a wrong campaign file", () => {
  const cases: [string, (c: Record<string, any>) => void, RegExp][] = [
    ["unknown strategy", (c) => (c.strategy.name = "hill-climb"), /strategy\.name/],
    ["negative budget", (c) => (c.budget = { usd: -1 }), /budget\.usd/],
    ["missing task file", (c) => (c.tasks = "./nope.yaml"), /tasks: file not found/],
    ["unknown model in a role", (c) => (c.roles.user = "gpt9"), /roles\.user: unknown model "gpt9"/],
    ["zero islands", (c) => (c.strategy.islands = 0), /strategy\.islands/],
    ["split not summing to 1", (c) => (c.budget = { usd: 1, split: { evolver: 0.5, user: 0.3, verifier: 0.1 } }), /budget\.split/],
  ];
  for (const [name, mutate, field] of cases) {
    it(`${name}: exits non-zero with one line naming the field, no stack trace`, () => {
      const r = cli(["run", broken(mutate), "--out", join(ROOT, "runs", "never")]);
      expect(r.code).toBe(2);
      const lines = r.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^error: /);
      expect(lines[0]).toMatch(field);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }, 300_000);
  }

  it("a missing campaign file and a bad --set are one-line errors too", () => {
    const missing = cli(["run", "no-such-campaign.yaml"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toMatch(/^error: no-such-campaign\.yaml: file not found$/);
    const badSet = cli(["run", smallCampaign().file, "--set", "strategy.islands"]);
    expect(badSet.code).toBe(2);
    expect(badSet.stderr.trim()).toMatch(/^error: --set strategy\.islands: expected path=value/);
  }, 300_000);
});

describe("the CLI on a good campaign", () => {
  it("run --json prints summary.json on stdout, and best prints the winning harness", () => {
    const { file, dir } = smallCampaign();
    const out = join(dir, "run");
    const r = cli(["run", file, "--out", out, "--json", "--set", "strategy.generations=1"]);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.status).toBe("completed");
    expect(summary.generations).toBe(1);
    const best = cli(["best", out]);
    expect(best.code).toBe(0);
    expect(best.stdout.trim()).toBe(summary.best.text.trim());
  }, 300_000);
});
