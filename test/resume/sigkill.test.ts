import { readFileSync } from "node:fs";
import { join } from "node:path";
import seedrandom from "seedrandom";
import { describe, expect, it } from "vitest";
import type { RunSummary } from "../../src/campaign/summary.js";
import { smallCampaign } from "../e2e/helpers.js";
import { killedAfter, killedWhenStored, started, storedResponses } from "../helpers/cli-run.js";


function summaryOf(dir: string): RunSummary {
  return JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as RunSummary;
}

/** What must be identical: everything but time and how many calls were served from the cache. */
function comparable(s: RunSummary) {
  return {
    status: s.status,
    best: s.best,
    seedHarness: s.seedHarness,
    generations: s.generations,
    candidates: s.candidates,
    paidCalls: s.spend.calls - s.spend.cachedCalls,
    usd: s.spend.usd,
    inputTokens: s.spend.inputTokens,
    outputTokens: s.spend.outputTokens,
    islands: s.islands,
    simExpected: s.simExpected,
    charged: s.budget.charged,
  };
}

describe("resume after SIGKILL", () => {
  it("killed at several random moments and resumed each time, the run ends exactly as an uninterrupted one, paying each call once", async () => {
    // The short task suite: resuming does not depend on how many tasks a harness is scored on.
    const { dir, file } = smallCampaign({ strategy: { name: "islands", islands: 2, generations: 5, conversations: 2, turns: 2, presets: ["explorer", "refiner"], finalists: 2 } }, { short: true });
    const whole = join(dir, "whole");
    // The uninterrupted run, alongside the killed one.
    const wholeRun = killedAfter(["run", file, "--out", whole, "--json"], 600_000);

    const pieces = join(dir, "pieces");
    const rng = seedrandom("sigkill");
    let kills = 0;
    let resumes = 0;
    let finished = false;
    for (let attempt = 0; attempt < 12 && !finished; attempt++) {
      const resuming = started(pieces);
      if (resuming) resumes++;
      const args = resuming ? ["resume", pieces, "--json"] : ["run", file, "--out", pieces, "--json"];
      // The first kills land at random points 50-250 responses further into the run (the whole
      // run stores about 850), calls in flight and all; after three, let it finish. Points of
      // progress, not of time: on a loaded machine a kill 1.5-4 s after the start can land
      // before the run has recorded anything.
      const outcome = kills < 3 ? await killedWhenStored(args, pieces, storedResponses(pieces) + 50 + Math.floor(rng() * 200)) : await killedAfter(args, 600_000);
      if (outcome === "killed") kills++;
      else finished = true;
    }
    expect(kills).toBeGreaterThanOrEqual(2);
    expect(resumes).toBe(kills); // every kill left a started run, and each was resumed
    expect(finished).toBe(true);
    expect(await wholeRun).toBe("finished");
    const reference = summaryOf(whole);
    const resumed = summaryOf(pieces);
    expect(comparable(resumed)).toEqual(comparable(reference));
    // The pieces together paid for exactly the calls the uninterrupted run paid for.
    expect(resumed.spend.calls - resumed.spend.cachedCalls).toBe(reference.spend.calls - reference.spend.cachedCalls);
  }, 300_000);
});
