import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CommandFitness } from "../../../src/fitness/command-fitness.js";
import type { FitnessContext, Split } from "../../../src/fitness/types.js";

const ctx: FitnessContext = { user: () => Promise.reject(new Error("no model calls expected")) };
const SPLITS: Split[] = ["train", "val", "test"];

/** Running and not a zombie (a zombie is dead, only not yet reaped by whoever adopted it). */
function running(pid: number): boolean {
  try {
    return !execFileSync("ps", ["-o", "stat=", "-p", String(pid)], { encoding: "utf8" }).trim().startsWith("Z");
  } catch {
    return false; // ps exits 1 when there is no such process
  }
}

async function until(ok: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (ok()) return true;
  return ok();
}

/** Evaluates once per split with a command that starts `sleep 30` in the background (its pid in a file) and prints a score. */
async function withBackgroundSleep(redirect: string): Promise<{ scores: number[]; pids: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), "he-orphans-"));
  const f = new CommandFitness({ run: `sleep 30 ${redirect} & echo $! > "${dir}/bg-$HARNESS_SPLIT"; echo '{"score": 0.5}'`, timeoutMs: 10_000 });
  const evaluations = await Promise.all(SPLITS.map((split) => f.evaluate("h", { split }, ctx)));
  return { scores: evaluations.map((e) => e.score), pids: SPLITS.map((s) => Number(readFileSync(join(dir, `bg-${s}`), "utf8"))) };
}

describe.skipIf(process.platform === "win32")("CommandFitness leaves no processes behind", () => {
  it("background jobs a scoring command started are killed when its shell exits", async () => {
    const { scores, pids } = await withBackgroundSleep("</dev/null >/dev/null 2>&1");
    expect(scores).toEqual([0.5, 0.5, 0.5]);
    expect(pids.every((p) => p > 0)).toBe(true);
    expect(await until(() => pids.every((p) => !running(p)), 5000)).toBe(true);
  }, 300_000);

  it("a background job that holds stdout open does not hold up the score", async () => {
    const t0 = Date.now();
    const { scores, pids } = await withBackgroundSleep("");
    // Not a time-out (10 s, then 40 s alone): the shell's exit ends the evaluation.
    expect(scores).toEqual([0.5, 0.5, 0.5]);
    expect(Date.now() - t0).toBeLessThan(40_000); // a time-out path would take 50 s
    expect(await until(() => pids.every((p) => !running(p)), 5000)).toBe(true);
  }, 300_000);
});
