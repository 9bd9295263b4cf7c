import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "vitest";
import type { RunSummary } from "../../src/campaign/summary.js";
import { smallCampaign } from "../e2e/helpers.js";
import { CLI, ROOT, cliRun } from "../helpers/cli-run.js";


/** Runs a CLI command and, once its first generation is reported, sends SIGTERM at each of `at` (ms later). */
function signalled(args: string[], at: number[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(CLI[0], [...CLI.slice(1), ...args], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    const timers: NodeJS.Timeout[] = [];
    child.stderr.on("data", (d: Buffer) => {
      const first = !/generation 1\//.test(stderr);
      stderr += d.toString();
      if (first && /generation 1\//.test(stderr)) timers.push(...at.map((ms) => setTimeout(() => child.kill("SIGTERM"), ms)));
    });
    child.on("exit", (code) => {
      timers.forEach(clearTimeout);
      done({ code, stderr });
    });
  });
}


const summaryOf = (dir: string) => JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as RunSummary;

// The two tests side by side; on the short task suite (the stop and the resume do not depend on how many tasks a harness is scored on).
describe.concurrent("graceful stop", () => {
  const strategy = { name: "islands", islands: 2, generations: 4, conversations: 2, turns: 2, presets: ["explorer", "refiner"], finalists: 2 };

  it("the first SIGTERM lets calls in flight finish, writes the summary as stopped and says how to resume; resume finishes the run as if never stopped", async ({ expect }) => {
    const { dir, file } = smallCampaign({ strategy }, { short: true });
    const whole = join(dir, "whole");
    // The uninterrupted run, alongside the stopped one.
    const wholeRun = signalled(["run", file, "--out", whole, "--json"], []);
    const out = join(dir, "stopped");
    const r = await signalled(["run", file, "--out", out], [50]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/SIGTERM: stopping after the calls in flight/);
    expect(r.stderr).toContain(`harness-evolve resume ${out}`);
    const stopped = summaryOf(out);
    expect(stopped.status).toBe("stopped");
    expect((await wholeRun).code).toBe(0);
    const resumed = await cliRun(["resume", out, "--json"]);
    expect(resumed.code).toBe(0);
    const a = JSON.parse(resumed.stdout) as RunSummary;
    const b = summaryOf(whole);
    expect(a.status).toBe("completed");
    expect(a.best).toEqual(b.best);
    expect(a.spend.calls - a.spend.cachedCalls).toBe(b.spend.calls - b.spend.cachedCalls);
  }, 200_000);

  it("a second SIGTERM stops at once, and the run can still be resumed", async ({ expect }) => {
    const { dir, file } = smallCampaign({ strategy }, { short: true });
    const out = join(dir, "twice");
    const r = await signalled(["run", file, "--out", out], [50, 80]);
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/SIGTERM again: stopping now/);
    const resumed = await cliRun(["resume", out, "--json"]);
    expect(resumed.code).toBe(0);
    expect((JSON.parse(resumed.stdout) as RunSummary).status).toBe("completed");
  }, 200_000);
});
