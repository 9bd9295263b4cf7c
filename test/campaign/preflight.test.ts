import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Ledger } from "../../src/budget/ledger.js";
import { callBound } from "../../src/campaign/bounds.js";
import { evolve } from "../../src/campaign/run.js";
import { parseCampaign } from "../../src/config/load.js";
import { ROLES } from "../../src/config/schema.js";
import { createGateway } from "../../src/llm/gateway.js";
import { RunStore } from "../../src/store/run-store.js";
import { smallCampaign } from "../e2e/helpers.js";
import { CLI, ROOT } from "../helpers/cli-run.js";


function cli(args: string[]) {
  const r = spawnSync(CLI[0], [...CLI.slice(1), ...args], { cwd: ROOT, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const SEED_SHORT = /^budget: too small to evaluate the seed harness: budget\.calls is (\d+), and scoring it may take up to (\d+) calls \(minibatch (\d+) \+ train (\d+) \+ val (\d+) \+ test (\d+)\); raise budget\.calls$/;

describe("a budget that cannot score the seed harness", () => {
  it("--set budget.calls=1 exits 2 with one line naming the field and the amounts, and leaves no folder", () => {
    const { dir, file } = smallCampaign();
    const out = join(dir, "runs", "x");
    const r = cli(["run", file, "--out", out, "--set", "budget.calls=1"]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    const m = SEED_SHORT.exec(lines[0]!.replace(/^error: /, ""));
    expect(m).not.toBeNull();
    const [, cap, need, ...stages] = m!.map(Number);
    expect(cap).toBe(1);
    expect(stages.reduce((a, b) => a + b, 0)).toBe(need);
    expect(existsSync(join(dir, "runs"))).toBe(false);
  }, 300_000);

  it("the bound is the run's own: exactly the stated need scores the seed, one call less is refused before any folder exists", async () => {
    const { dir, file } = smallCampaign();
    const refused = await evolve(file, { out: join(dir, "a"), inProcessIslands: true, sets: ["budget.calls=1"] }).catch((e: Error) => e);
    const need = Number(SEED_SHORT.exec((refused as Error).message)![2]);

    const under = await evolve(file, { out: join(dir, "b"), inProcessIslands: true, sets: [`budget.calls=${need - 1}`] }).catch((e: Error) => e);
    expect((under as Error).message).toMatch(SEED_SHORT);
    expect(existsSync(join(dir, "b"))).toBe(false);

    const { summary } = await evolve(file, { out: join(dir, "c"), inProcessIslands: true, sets: [`budget.calls=${need}`] });
    expect(summary.seedHarness.valScore).not.toBeNull();
    expect(summary.seedHarness.testScore).not.toBeNull();
    expect(summary.budget.charged.calls).toBeLessThanOrEqual(need);
  }, 120_000);

  it("a role's share of a split budget is checked too, and named", async () => {
    const { dir, file } = smallCampaign();
    const sets = ["budget.usd=0.5", "budget.split.evolver=0.8", "budget.split.user=0.1", "budget.split.verifier=0.1"];
    await expect(evolve(file, { out: join(dir, "run"), sets })).rejects.toThrow(
      /^budget: too small to evaluate the seed harness: budget\.split\.user gives the user role \$0\.05 of budget\.usd, and scoring it may take up to \$[\d.]+ for the user role \(minibatch \$[\d.]+ \+ train .*\); raise budget\.usd or budget\.split\.user$/,
    );
    expect(existsSync(join(dir, "run"))).toBe(false);
  });

  it("a plug-in fitness, which draws call by call, is not refused for lack of a bound", async () => {
    const { dir, file } = smallCampaign({ fitness: { type: "command", run: `echo '{"score": 0.5}'` } });
    // It gets past preflight and scores the seed (then the tiny budget ends the run).
    const { summary } = await evolve(file, { out: join(dir, "run"), inProcessIslands: true, sets: ["budget.calls=1"] });
    expect(summary.seedHarness.trainScore).toBe(0.5);
  }, 300_000);
});

describe("preflight's call bound", () => {
  it("is the gateway's worst case, for every role, ensembles and prices included", async () => {
    const config = parseCampaign(
      {
        harness: "h.md",
        tasks: "t.yaml",
        models: {
          cheap: { model: "some-model", baseURL: "http://127.0.0.1:9/v1", price: { inputPerM: 1, outputPerM: 3 } },
          dear: { model: "other-model", baseURL: "http://127.0.0.1:9/v1", price: { inputPerM: 5, outputPerM: 20 }, params: { maxTokens: 64 } },
          sim: { model: "sim:mid" },
        },
        roles: { evolver: [{ model: "cheap", weight: 1 }, { model: "dear", weight: 2 }], user: "sim", verifier: "dear" },
        strategy: { name: "one-pass" },
      },
      "test",
    );
    const store = RunStore.open(mkdtempSync(join(tmpdir(), "he-bound-")));
    const gateway = createGateway({ config, store, ledger: new Ledger({ total: {} }), simBaseURL: "http://127.0.0.1:9/v1" });
    try {
      const bound = callBound(config);
      const messages = [
        { role: "system" as const, content: "You are careful. ".repeat(40) },
        { role: "user" as const, content: "Größe: 12 × 7 = ?" },
      ];
      for (const role of ROLES) {
        for (const maxTokens of [16, 512, 4096]) {
          expect(bound(role, messages, maxTokens)).toEqual(gateway.worstCase({ role, messages, maxTokens, sampleKey: "bound" }));
        }
      }
    } finally {
      await gateway.close();
      store.close();
    }
  });
});

describe("a run that fails before it began", () => {
  // An invalid retry setting is found only when the gateway is built, after the folder is made.
  const env = { ...process.env, HARNESS_EVOLVE_RETRY_BASE_MS: "soon" };

  it("removes the folder it created", async () => {
    const { dir, file } = smallCampaign();
    const out = join(dir, "new", "run");
    await expect(evolve(file, { out, env, inProcessIslands: true })).rejects.toThrow(/HARNESS_EVOLVE_RETRY_BASE_MS/);
    expect(existsSync(join(dir, "new"))).toBe(false);
  }, 300_000);

  it("keeps a folder it did not create, emptied of what it wrote, and a rerun proceeds", async () => {
    const { dir, file } = smallCampaign();
    const out = join(dir, "mine");
    mkdirSync(out);
    await expect(evolve(file, { out, env, inProcessIslands: true })).rejects.toThrow(/HARNESS_EVOLVE_RETRY_BASE_MS/);
    expect(readdirSync(out)).toEqual([]);
    const { summary } = await evolve(file, { out, inProcessIslands: true, sets: ["strategy.generations=1"] });
    expect(summary.status).toBe("completed");
    expect(readdirSync(out).sort()).toEqual(["report.html", "run.db", "summary.json"]);
  }, 120_000);
});
