import { stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CommandFitness, parseOutput } from "../../../src/fitness/command-fitness.js";
import type { FitnessContext } from "../../../src/fitness/types.js";

const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));
const ctx: FitnessContext = { user: () => Promise.reject(new Error("no model calls expected")) };
const cmd = (run: string, timeoutMs = 1500) => new CommandFitness({ run, cwd: fixtures, timeoutMs });

describe("CommandFitness", () => {
  it("runs a Python scorer: harness on stdin and in HARNESS_FILE, split in HARNESS_SPLIT, last JSON line wins", async () => {
    const f = cmd("python3 score.py");
    const good = await f.evaluate("Always verify.\n", { split: "val" }, ctx);
    expect(good).toMatchObject({ score: 1, feedback: "val: 15 chars", split: "val", stage: "full", results: [], cost: { usd: 0, tokens: 0, calls: 0 } });
    expect(good.error).toBeUndefined();
    const weak = await f.evaluate("Be quick.", { split: "train" }, ctx);
    expect(weak).toMatchObject({ score: 0.2, feedback: "train: 9 chars" });
  });

  it("removes the harness file afterwards", async () => {
    const ev = await cmd(`printf '{"score": 0.5, "feedback": "%s"}' "$HARNESS_FILE"`).evaluate("h", { split: "train" }, ctx);
    expect(ev.feedback).toMatch(/harness-evolve-.*harness\.md$/);
    await expect(stat(ev.feedback)).rejects.toThrow(/ENOENT/);
    await expect(stat(dirname(ev.feedback))).rejects.toThrow(/ENOENT/);
  });

  it("a non-zero exit names the code and the last stderr line", async () => {
    const ev = await cmd(`echo "warming up" >&2; echo "scorer: no such dataset" >&2; exit 2`).evaluate("h", { split: "train" }, ctx);
    expect(ev).toMatchObject({ score: 0, feedback: "", results: [] });
    expect(ev.error).toContain("exited with code 2: scorer: no such dataset");
  });

  it("output that is not a score", async () => {
    const garbage = await cmd("echo 'hello, I am not JSON'").evaluate("h", { split: "train" }, ctx);
    expect(garbage.error).toContain("stdout is not JSON with a numeric score: hello, I am not JSON");
    const high = await cmd(`echo '{"score": 1.7}'`).evaluate("h", { split: "train" }, ctx);
    expect(high.error).toContain("score 1.7 is outside [0,1]");
    const nan = await cmd(`python3 -c 'import json; print(json.dumps({"score": float("nan")}))'`).evaluate("h", { split: "train" }, ctx);
    expect(nan.error).toContain("score is NaN");
  });

  it("a command past its timeout (twice: the retry has 4x the limit) is killed with everything it started", async () => {
    const marker = `${tmpdir()}/harness-evolve-test-${process.pid}-${Date.now()}`;
    const t0 = Date.now();
    const ev = await cmd(`(sleep 3; touch ${marker}) & sleep 40; echo '{"score": 1}'`, 500).evaluate("h", { split: "train" }, ctx);
    expect(ev.error).toContain("timed out twice (no result within 500 ms, then within 2000 ms alone)");
    expect(ev.timeout).toBe(true);
    expect(Date.now() - t0).toBeLessThan(30_000); // killed, not the 40 s of the command
    // The background jobs were in the killed process groups: neither touches its marker.
    await new Promise((r) => setTimeout(r, 1800));
    await expect(stat(marker)).rejects.toThrow(/ENOENT/);
    // And the next evaluation runs normally.
    expect((await cmd("python3 score.py").evaluate("verify", { split: "train" }, ctx)).score).toBe(1);
  }, 300_000);

  it("parses the last JSON object with a score, or the whole stdout", () => {
    expect(parseOutput('{"score": 0.1}\nprogress...\n{"score": 0.7, "feedback": "ok"}\n{"done": true}\n')).toEqual({ score: 0.7, feedback: "ok", results: [] });
    expect(parseOutput('{\n  "score": 0.3,\n  "details": [{"taskId": "a", "pass": false}]\n}\n')).toEqual({
      score: 0.3,
      feedback: "",
      results: [{ taskId: "a", pass: false, score: 0, answer: "" }],
    });
    expect(parseOutput('{"score": "high"}')).toContain("stdout is not JSON with a numeric score");
    expect(parseOutput("")).toContain("(empty)");
    expect(parseOutput("x".repeat(500))).toHaveLength("stdout is not JSON with a numeric score: ".length + 200);
  });
});
