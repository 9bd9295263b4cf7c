import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const FIXTURE = resolve(import.meta.dirname, "fixtures/regex-verdicts.ts");

/** Runs the fixture; when `pauseMs` is given, stops the process that long, twice, while it checks. */
function verdicts(pauseMs?: number): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["--import", "tsx", FIXTURE, "300"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d));
    child.stdout.on("data", (d: Buffer) => {
      const first = out === "";
      out += d;
      if (first && pauseMs !== undefined) void pauseTwice(child.pid!, pauseMs);
    });
    child.on("exit", (code) => (code === 0 ? done(out.replace(/^ready\n/, "")) : fail(new Error(`fixture exited ${code}: ${err}`))));
  });
}

async function pauseTwice(pid: number, ms: number): Promise<void> {
  for (let i = 0; i < 2; i++) {
    await new Promise((r) => setTimeout(r, 20));
    try {
      process.kill(pid, "SIGSTOP");
      await new Promise((r) => setTimeout(r, ms));
      process.kill(pid, "SIGCONT");
    } catch {
      return; // already finished
    }
  }
}

describe("regex verdicts do not depend on the machine's speed", () => {
  it("a process paused with SIGSTOP for 300 ms in the middle of its regex checks gives the same verdicts", async () => {
    const quiet = await verdicts();
    const paused = await verdicts(300);
    expect(quiet).toMatch(/count \d+/);
    expect(paused).toBe(quiet);
    // The backtracking pattern on a near-miss is answered, not "timed out".
    expect(quiet).not.toMatch(/did not finish|timed? ?out/i);
  }, 120_000);
});
