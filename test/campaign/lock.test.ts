import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RunSummary } from "../../src/campaign/summary.js";
import { inUseMessage, LOCK_FILE, lockRunFolder, type LockOwner } from "../../src/campaign/lock.js";
import { resume } from "../../src/campaign/resume.js";
import { smallCampaign } from "../e2e/helpers.js";
import { CLI, ROOT, cliRun } from "../helpers/cli-run.js";



function start(args: string[]): { child: ChildProcess; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>; stderr: () => string } {
  const child = spawn(CLI[0], [...CLI.slice(1), ...args], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((done) => child.on("exit", (code, signal) => done({ code, signal, stderr })));
  return { child, exited, stderr: () => stderr };
}

/** Polls until `ready()` holds; fails if `gaveUp()` does first (the process it waits on ended). */
async function until(ready: () => boolean, gaveUp: () => boolean = () => false): Promise<void> {
  while (!ready()) {
    if (gaveUp()) throw new Error("the awaited state never came");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A pid that was alive a moment ago and is not any more. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

const ownerOf = (dir: string) => JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8")) as LockOwner;
const summaryOf = (dir: string) => JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as RunSummary;
const hhmm = (iso: string) => {
  const d = new Date(iso);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
};
const comparable = (s: RunSummary) => ({ status: s.status, best: s.best, candidates: s.candidates, generations: s.generations, paid: s.spend.calls - s.spend.cachedCalls });

describe("the run folder lock (in process)", () => {
  const folder = () => mkdtempSync(join(tmpdir(), "he-lock-"));

  it("holds the owner as JSON and is gone after release", () => {
    const dir = folder();
    const lock = lockRunFolder(dir, "harness-evolve run");
    const owner = ownerOf(dir);
    expect(owner).toMatchObject({ pid: process.pid, host: hostname(), command: "harness-evolve run" });
    expect(Date.now() - Date.parse(owner.startedAt)).toBeLessThan(60_000);
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it("a second owner is refused with one line naming pid, time and command", () => {
    const dir = folder();
    const lock = lockRunFolder(dir, "harness-evolve run", "runs/x");
    try {
      const startedAt = ownerOf(dir).startedAt;
      expect(() => lockRunFolder(dir, "harness-evolve resume", "runs/x")).toThrow(`runs/x is in use by pid ${process.pid} since ${hhmm(startedAt)} (harness-evolve run); wait for it or stop it`);
      // The refused attempt left the owner's lock as it was.
      expect(ownerOf(dir).startedAt).toBe(startedAt);
    } finally {
      lock.release();
    }
  });

  it("resume on a folder whose owner has not made its run.db yet says it is in use, not that it is no run folder", async () => {
    const dir = folder();
    const lock = lockRunFolder(dir, "harness-evolve run", dir);
    try {
      await expect(resume(dir)).rejects.toThrow(`${dir} is in use by pid ${process.pid} since`);
    } finally {
      lock.release();
    }
    await expect(resume(dir)).rejects.toThrow(`${dir}: no run.db here (not a run folder)`);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it("takes over a lock whose process is gone, on this host", () => {
    const dir = folder();
    const stale: LockOwner = { pid: deadPid(), host: hostname(), startedAt: new Date().toISOString(), command: "harness-evolve run" };
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify(stale));
    const lock = lockRunFolder(dir, "harness-evolve resume");
    expect(ownerOf(dir)).toMatchObject({ pid: process.pid, command: "harness-evolve resume" });
    lock.release();
  });

  it("backs off from a stale lock that another live process is taking over right now", () => {
    const dir = folder();
    const stale = JSON.stringify({ pid: deadPid(), host: hostname(), startedAt: new Date().toISOString(), command: "harness-evolve run" });
    writeFileSync(join(dir, LOCK_FILE), stale);
    // The process taking it over (here: the test runner's parent, alive) holds the takeover claim.
    const taker: LockOwner = { pid: process.ppid, host: hostname(), startedAt: new Date().toISOString(), command: "harness-evolve resume" };
    writeFileSync(join(dir, `${LOCK_FILE}.takeover`), JSON.stringify(taker));
    expect(() => lockRunFolder(dir, "harness-evolve resume", "runs/x")).toThrow(`runs/x is in use by pid ${process.ppid} since`);
    expect(readFileSync(join(dir, LOCK_FILE), "utf8")).toBe(stale);
  });

  it("a takeover claim left by a process that died is itself taken over", () => {
    const dir = folder();
    const dead = () => JSON.stringify({ pid: deadPid(), host: hostname(), startedAt: new Date().toISOString(), command: "harness-evolve resume" });
    writeFileSync(join(dir, LOCK_FILE), dead());
    writeFileSync(join(dir, `${LOCK_FILE}.takeover`), dead());
    const lock = lockRunFolder(dir, "harness-evolve resume");
    expect(ownerOf(dir).pid).toBe(process.pid);
    expect(existsSync(join(dir, `${LOCK_FILE}.takeover`))).toBe(false);
    lock.release();
  });

  it("never takes over a lock from another host, and says so", () => {
    const dir = folder();
    const other: LockOwner = { pid: deadPid(), host: `not-${hostname()}`, startedAt: new Date().toISOString(), command: "harness-evolve run" };
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify(other));
    expect(() => lockRunFolder(dir, "harness-evolve resume", "runs/x")).toThrow(/^runs\/x is in use by pid \d+ on host not-.* a lock from another host is never taken over/);
    expect(ownerOf(dir).host).toBe(other.host);
  });

  it("release leaves alone a lock that is no longer its own", () => {
    const dir = folder();
    const lock = lockRunFolder(dir, "harness-evolve run");
    const other = JSON.stringify({ pid: 1, host: "elsewhere", startedAt: new Date().toISOString(), command: "harness-evolve run" });
    writeFileSync(join(dir, LOCK_FILE), other);
    lock.release();
    expect(readFileSync(join(dir, LOCK_FILE), "utf8")).toBe(other);
  });

  it("refuses a lock file it cannot read as one, rather than guessing", () => {
    const dir = folder();
    writeFileSync(join(dir, LOCK_FILE), "garbage");
    expect(() => lockRunFolder(dir, "harness-evolve run")).toThrow(/run\.lock: not a lock harness-evolve wrote/);
  });

  it("an old lock shows its date", () => {
    const owner: LockOwner = { pid: 7, host: "h", startedAt: "2020-03-04T05:06:00Z", command: "harness-evolve run" };
    const d = new Date(owner.startedAt);
    const day = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
    expect(inUseMessage("runs/x", owner, "h")).toBe(`runs/x is in use by pid 7 since ${day} ${hhmm(owner.startedAt)} (harness-evolve run); wait for it or stop it`);
  });
});

describe("racing processes", () => {
  it("of several processes taking over one stale lock at once, exactly one wins", async () => {
    const dir = mkdtempSync(join(tmpdir(), "he-lock-race-"));
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid(), host: hostname(), startedAt: new Date().toISOString(), command: "harness-evolve run" }));
    // Each contender (the built lock module, test/global-setup.ts) says "ready", waits for "go" on stdin, tries, reports, and holds what it won until stdin closes.
    const script = join(dir, "contender.mjs");
    writeFileSync(
      script,
      `import { lockRunFolder } from ${JSON.stringify(join(ROOT, "dist/campaign/lock.js"))};
process.stdout.write("ready\\n");
process.stdin.once("data", () => {
  try { lockRunFolder(${JSON.stringify(dir)}, "harness-evolve resume"); process.stdout.write("won\\n"); }
  catch (e) { process.stdout.write("lost: " + e.message + "\\n"); }
  process.stdin.on("end", () => process.exit(0));
});
`,
    );
    const contenders = Array.from({ length: 4 }, () => {
      const child = spawn(process.execPath, [script], { cwd: ROOT, stdio: ["pipe", "pipe", "inherit"] });
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      const exited = new Promise<void>((done) => child.on("exit", () => done()));
      return { child, out: () => out, exited };
    });
    await until(() => contenders.every((c) => c.out().includes("ready")));
    for (const c of contenders) c.child.stdin!.write("go\n");
    await until(() => contenders.every((c) => /won|lost/.test(c.out())));
    const winners = contenders.filter((c) => c.out().includes("won"));
    expect(winners).toHaveLength(1);
    const winner = winners[0]!.child.pid!;
    expect(ownerOf(dir).pid).toBe(winner);
    for (const c of contenders.filter((c) => !c.out().includes("won"))) expect(c.out()).toContain(`is in use by pid ${winner} since`);
    for (const c of contenders) c.child.stdin!.end();
    await Promise.all(contenders.map((c) => c.exited));
    // The winner's lock went with it (released on exit).
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  }, 120_000);
});

/** One generation is enough where a run only has to hold the lock, finish, or be a finished run. */
const ONE = ["--set", "strategy.generations=1"];

/** A one-generation run by the CLI, started once: the reference of the first test, copied (finished) by the third. */
let shared: { file: string; dir: string; reference: string; done: Promise<void> } | undefined;
function sharedRun() {
  if (!shared) {
    const { dir, file } = smallCampaign({}, { short: true });
    const reference = join(dir, "reference");
    const done = start(["run", file, "--out", reference, "--json", ...ONE]).exited.then((r) => {
      if (r.code !== 0) throw new Error(`the reference run exited ${r.code}: ${r.stderr}`);
    });
    done.catch(() => {}); // awaited by the tests that read it; a failure shows there
    shared = { dir, file, reference, done };
  }
  return shared;
}

// Side by side, on the short task suite (what a lock does does not depend on how many tasks a harness is scored on).
describe.concurrent("one owner per run folder (the CLI)", () => {
  it("a second run --out or resume on a folder in use exits 2 with one line naming the owner, and the first run's result is unaffected", async ({ expect }) => {
    // The reference runs alongside the busy run: the same campaign, so the same result.
    const { dir, file, reference, done } = sharedRun();
    const out = join(dir, "busy");
    const first = start(["run", file, "--out", out, "--json", ...ONE]);
    let ended = false;
    void first.exited.then(() => (ended = true));
    await until(() => existsSync(join(out, LOCK_FILE)), () => ended);
    // Frozen while it holds the lock, so the second attempt surely meets it (whatever the machine's load).
    first.child.kill("SIGSTOP");
    try {
      const owner = ownerOf(out);
      expect(owner.pid).toBe(first.child.pid);
      const line = `error: ${out} is in use by pid ${owner.pid} since ${hhmm(owner.startedAt)} (harness-evolve run); wait for it or stop it`;
      for (const args of [["run", file, "--out", out], ["resume", out]]) {
        const second = await cliRun(args);
        expect(second.code).toBe(2);
        expect(second.stderr.trim().split("\n")).toEqual([line]);
      }
    } finally {
      first.child.kill("SIGCONT");
    }
    const r = await first.exited;
    expect(r.code).toBe(0);
    await done;
    expect(comparable(summaryOf(out))).toEqual(comparable(summaryOf(reference)));
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  }, 300_000);

  it("two runs racing into one fresh folder: exactly one proceeds", async ({ expect }) => {
    const { dir, file } = smallCampaign({}, { short: true });
    const out = join(dir, "fresh", "run");
    const runs = [start(["run", file, "--out", out, "--json", ...ONE]), start(["run", file, "--out", out, "--json", ...ONE])];
    const ended = [false, false];
    runs.forEach((r, i) => void r.exited.then(() => (ended[i] = true)));
    await until(() => existsSync(join(out, LOCK_FILE)), () => ended.every(Boolean));
    const winner = runs.find((r) => r.child.pid === ownerOf(out).pid)!;
    const loser = runs.find((r) => r !== winner)!;
    // The winner waits, frozen, until the loser has met its lock.
    winner.child.kill("SIGSTOP");
    let lost;
    try {
      lost = await loser.exited;
    } finally {
      winner.child.kill("SIGCONT");
    }
    expect(lost.code).toBe(2);
    expect(lost.stderr.trim().split("\n")).toHaveLength(1);
    expect(lost.stderr).toMatch(new RegExp(`^error: .* is in use by pid ${winner.child.pid} since \\d\\d:\\d\\d \\(harness-evolve run\\); wait for it or stop it`));
    const won = await winner.exited;
    expect(won.code).toBe(0);
    expect(summaryOf(out).status).toBe("completed");
  }, 300_000);

  it("a lock left by a process that is gone is taken over by the next resume", async ({ expect }) => {
    const out = mkdtempSync(join(tmpdir(), "he-lock-stale-"));
    const { reference, done } = sharedRun();
    await done;
    cpSync(reference, out, { recursive: true });
    const stale: LockOwner = { pid: deadPid(), host: hostname(), startedAt: new Date().toISOString(), command: "harness-evolve run" };
    writeFileSync(join(out, LOCK_FILE), JSON.stringify(stale));
    const r = await cliRun(["resume", out, "--json"]);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as RunSummary).status).toBe("completed");
    // Taken over, then released: no lock is left, the stale one included.
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  }, 300_000);

  it("a run stopped at once by a second SIGTERM (process.exit) still releases its lock", async ({ expect }) => {
    const { dir, file } = smallCampaign({}, { short: true });
    const out = join(dir, "stopped");
    const run = start(["run", file, "--out", out, "--set", "strategy.generations=6"]);
    let ended = false;
    void run.exited.then(() => (ended = true));
    await until(() => /generation 1\//.test(run.stderr()), () => ended);
    expect(ownerOf(out).pid).toBe(run.child.pid);
    run.child.kill("SIGTERM");
    await until(() => /stopping after the calls in flight/.test(run.stderr()), () => ended);
    run.child.kill("SIGTERM");
    expect((await run.exited).code).toBe(130);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  }, 300_000);

  it("a SIGKILLed run leaves a stale lock that the next resume takes over, and the run completes", async ({ expect }) => {
    const { dir, file } = smallCampaign({}, { short: true });
    const out = join(dir, "killed");
    const run = start(["run", file, "--out", out, "--set", "strategy.generations=3"]);
    let ended = false;
    void run.exited.then(() => (ended = true));
    await until(() => /generation 1\//.test(run.stderr()), () => ended);
    run.child.kill("SIGKILL");
    expect((await run.exited).signal).toBe("SIGKILL");
    expect(ownerOf(out).pid).toBe(run.child.pid);
    const r = await cliRun(["resume", out, "--json"]);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as RunSummary;
    expect(summary.status).toBe("completed");
    expect(summary.generations).toBe(3);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  }, 300_000);
});
