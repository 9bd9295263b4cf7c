import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { RunSummary } from "../../src/campaign/summary.js";
import { writeFailureCause } from "../../src/config/errors.js";
import { MAX_HARNESS_CHARS } from "../../src/operators/parse.js";
import { smallCampaign } from "../e2e/helpers.js";
import { CLI, ROOT, cliRun } from "../helpers/cli-run.js";


function cli(args: string[]) {
  const r = spawnSync(CLI[0], [...CLI.slice(1), ...args], { cwd: ROOT, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}


/** One line on stderr, starting `error: `, no stack trace. */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  return lines[0]!;
}

const isRoot = process.getuid?.() === 0;

/** Tiny tmpfs mounts (root only), unmounted after the file's tests. */
const mounts: string[] = [];
function mountTmpfs(options: string): string | undefined {
  const at = mkdtempSync(join(tmpdir(), "he-mnt-"));
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", at]);
  if (r.status !== 0) return undefined;
  mounts.push(at);
  return at;
}
afterAll(() => {
  for (const at of mounts.reverse()) spawnSync("umount", [at]);
});

// Root writes through chmod 0555; a read-only tmpfs stops it. Decided once, at collection.
const probe = isRoot ? mountTmpfs("ro,size=64k") : undefined;
const canMount = probe !== undefined;
const readOnlyWay = !isRoot ? "chmod" : canMount ? "mount" : undefined;

describe("the seed harness is held to the evolved harnesses' size limit", () => {
  it("one char over: exits 2 with one line naming harness:, the limit and the size, before any folder exists", () => {
    const { dir, file } = smallCampaign();
    writeFileSync(join(dir, "seed-harness.md"), "x".repeat(MAX_HARNESS_CHARS + 1));
    const out = join(dir, "run");
    const r = cli(["run", file, "--out", out]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(new RegExp(`harness: "?\\./seed-harness\\.md"? is ${MAX_HARNESS_CHARS + 1} chars, over the limit of ${MAX_HARNESS_CHARS} chars`));
    expect(existsSync(out)).toBe(false);
  }, 300_000);

  it("exactly at the limit it passes that check (and meets the next one)", () => {
    const { dir, file } = smallCampaign();
    writeFileSync(join(dir, "seed-harness.md"), "x".repeat(MAX_HARNESS_CHARS));
    const r = cli(["run", file, "--out", join(dir, "run"), "--set", "budget.calls=1"]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/^error: budget: too small to evaluate the seed harness/);
  }, 300_000);
});

describe("an --out that cannot be written", () => {
  it.skipIf(readOnlyWay === undefined)(`read-only: one line naming --out and the cause, exit 2 (${readOnlyWay === "mount" ? "running as root: a read-only tmpfs" : readOnlyWay === "chmod" ? "a chmod 0555 folder" : "skipped: running as root, where chmod 0555 does not stop writes, and mount failed"})`, () => {
    const { file } = smallCampaign();
    let parent: string;
    if (readOnlyWay === "mount") parent = probe!;
    else {
      parent = mkdtempSync(join(tmpdir(), "he-ro-"));
      chmodSync(parent, 0o555);
    }
    const out = join(parent, "runs", "x");
    const r = cli(["run", file, "--out", out]);
    if (readOnlyWay === "chmod") chmodSync(parent, 0o755);
    expect(r.code).toBe(2);
    const cause = readOnlyWay === "mount" ? "read-only file system" : "permission denied";
    expect(oneLine(r.stderr)).toMatch(new RegExp(`^error: --out ${out}: ${cause}`));
    expect(existsSync(join(parent, "runs"))).toBe(false);
  }, 300_000);

  it("a path through a file: one line naming --out and the cause, exit 2", () => {
    const { dir, file } = smallCampaign();
    writeFileSync(join(dir, "plain"), "");
    const out = join(dir, "plain", "x");
    const r = cli(["run", file, "--out", out]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(new RegExp(`^error: --out ${out}: a part of the path is a file, not a folder`));
  }, 300_000);

  it.skipIf(!canMount)(`a disk that fills: one line, exit 2; once space is back, resume ends as the uninterrupted run does${canMount ? "" : " (skipped: needs root and mount -t tmpfs)"}`, async () => {
    const { dir, file } = smallCampaign();
    const sets = ["--set", "strategy.generations=4"];
    const whole = join(dir, "whole");
    // The uninterrupted run, alongside the two that meet a full disk.
    const wholeRun = cliRun(["run", file, "--out", whole, "--json", ...sets]);

    // Too small even for an empty run.db: nothing is left behind.
    const tiny = mountTmpfs("size=16k")!;
    const never = join(tiny, "run");
    // Room for the start of the run only: it fails mid-run, and what it stored stays valid.
    const small = mountTmpfs("size=1200k")!;
    const out = join(small, "run");
    const [r0, r1] = await Promise.all([cliRun(["run", file, "--out", never, ...sets]), cliRun(["run", file, "--out", out, ...sets])]);
    expect(r0.code).toBe(2);
    expect(oneLine(r0.stderr)).toBe(`error: --out ${never}: disk full`);
    expect(existsSync(never)).toBe(false);

    expect(r1.code).toBe(2);
    expect(oneLine(r1.stderr)).toBe(`error: --out ${out}: disk full; what is stored stays valid: once that is fixed, continue with: harness-evolve resume ${out}`);
    expect(spawnSync("mount", ["-o", "remount,size=64m", small]).status).toBe(0);
    const r2 = await cliRun(["resume", out, "--json"]);
    expect((await wholeRun).code).toBe(0);
    const reference = JSON.parse(readFileSync(join(whole, "summary.json"), "utf8")) as RunSummary;
    expect(r2.code).toBe(0);
    const resumed = JSON.parse(r2.stdout) as RunSummary;
    expect(resumed.status).toBe("completed");
    expect(resumed.best).toEqual(reference.best);
    expect(resumed.candidates).toBe(reference.candidates);
    expect(resumed.spend.usd).toBeCloseTo(reference.spend.usd, 9);
    // Three campaigns in a row: under stress-ng at load 20 they took 400 s; the limit only catches a hang.
  }, 900_000);
});

describe("writeFailureCause", () => {
  it("words the causes of a failed write plainly, and leaves other errors alone", () => {
    const coded = (code: string) => Object.assign(new Error("x"), { code });
    expect(writeFailureCause(coded("ENOSPC"))).toBe("disk full");
    expect(writeFailureCause(coded("SQLITE_FULL"))).toBe("disk full");
    expect(writeFailureCause(coded("SQLITE_IOERR_SHMSIZE"))).toBe("disk full");
    expect(writeFailureCause(coded("SQLITE_IOERR_READ"))).toBeUndefined();
    expect(writeFailureCause(coded("EROFS"))).toBe("read-only file system");
    expect(writeFailureCause(coded("SQLITE_READONLY_DBMOVED"))).toBe("read-only file system");
    expect(writeFailureCause(coded("EACCES"))).toBe("permission denied");
    expect(writeFailureCause(coded("EDQUOT"))).toBe("disk quota exceeded");
    // Re-thrown as text (a failed seed evaluation, say), the OS's or SQLite's own words still tell.
    expect(writeFailureCause(new Error("the seed harness could not be evaluated: database or disk is full"))).toBe("disk full");
    expect(writeFailureCause(new Error("ENOSPC: no space left on device, write"))).toBe("disk full");
    expect(writeFailureCause(coded("ECONNREFUSED"))).toBeUndefined();
    expect(writeFailureCause(new Error("rate limited"))).toBeUndefined();
    expect(writeFailureCause(undefined)).toBeUndefined();
  });
});
