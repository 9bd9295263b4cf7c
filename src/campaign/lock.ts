import { randomBytes } from "node:crypto";
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { UserError } from "../config/errors.js";

/**
 * One owner per run folder. `run` and `resume` hold `<dir>/run.lock` while they touch
 * run.db: two writers would interleave two replays in one cache and call log.
 *
 * The lock file is written whole to a temporary name and then linked into place (link
 * fails if the name exists), so the check and the claim are one step and a reader never
 * sees a half-written lock. A lock left by a process that died on this host (SIGKILL,
 * power loss) is stale and is taken over; one from another host is never taken over,
 * since its pid means nothing here.
 */
export const LOCK_FILE = "run.lock";

export interface LockOwner {
  pid: number;
  host: string;
  /** ISO time. */
  startedAt: string;
  /** e.g. "harness-evolve run". */
  command: string;
}

export interface RunLock {
  /** Remove the lock if it is still ours (idempotent). */
  release(): void;
}

/** Locks still held by this process: released on `exit` too (a second Ctrl-C calls process.exit). */
const held = new Set<() => void>();
let exitHookInstalled = false;

/**
 * Take the lock of run folder `dir` (which must exist), or throw a one-line UserError
 * naming its owner. `shown` is the folder as the user typed it.
 */
export function lockRunFolder(dir: string, command: string, shown = dir): RunLock {
  const path = join(dir, LOCK_FILE);
  const mine = JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), command } satisfies LockOwner) + "\n";
  const owner = claim(path, mine, 0);
  if (owner) throw new UserError(inUseMessage(shown, owner));
  const release = () => {
    held.delete(release);
    if (readRaw(path) === mine) unlinkQuietly(path);
  };
  held.add(release);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", releaseAllQuietly);
  }
  return { release };
}

/** At exit nothing can be reported any more; a lock left behind is stale and gets taken over. */
function releaseAllQuietly(): void {
  for (const release of [...held]) {
    try {
      release();
    } catch {
      // see above
    }
  }
}

/** `runs/x is in use by pid 1234 since 12:01 (harness-evolve run); ...`, for the user. */
export function inUseMessage(shown: string, owner: LockOwner, here = hostname()): string {
  const since = sinceText(new Date(owner.startedAt));
  if (owner.host !== here) {
    return `${shown} is in use by pid ${owner.pid} on host ${owner.host} since ${since} (${owner.command}); a lock from another host is never taken over: wait for it or stop it, or delete ${join(shown, LOCK_FILE)} if that run is gone`;
  }
  return `${shown} is in use by pid ${owner.pid} since ${since} (${owner.command}); wait for it or stop it`;
}

/** Nested claims before giving up: each level needs a process to die inside a few system calls. */
const MAX_TAKEOVER_DEPTH = 3;

/**
 * Put `mine` at `path`, or return the live owner holding it. A stale lock is replaced
 * only under `<path>.takeover` (itself claimed the same way) and only if it is still the
 * very lock judged stale: two processes taking over the same stale lock cannot both win.
 */
function claim(path: string, mine: string, depth: number): LockOwner | undefined {
  for (;;) {
    if (place(path, mine, "link")) return undefined;
    const raw = readRaw(path);
    if (raw === undefined) continue; // released meanwhile: try again
    const owner = parseOwner(raw, path);
    if (!isStale(owner)) return owner;
    if (depth >= MAX_TAKEOVER_DEPTH) throw new UserError(`${path}: a stale lock (pid ${owner.pid} is gone) could not be taken over; if no run is using this folder, delete it`);
    const takeover = `${path}.takeover`;
    const rival = claim(takeover, mine, depth + 1);
    if (rival) return rival; // it is taking the folder over right now
    try {
      if (readRaw(path) === raw) {
        place(path, mine, "rename");
        return undefined;
      }
    } finally {
      if (readRaw(takeover) === mine) unlinkQuietly(takeover);
    }
  }
}

/** Write `text` to a temporary file beside `path`, then link it there (fails if taken) or rename it over. */
function place(path: string, text: string, how: "link" | "rename"): boolean {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    writeFileSync(tmp, text, { flag: "wx" });
    if (how === "rename") renameSync(tmp, path);
    else linkSync(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e;
  } finally {
    unlinkQuietly(tmp);
  }
}

function parseOwner(raw: string, path: string): LockOwner {
  try {
    const o = JSON.parse(raw) as Partial<LockOwner>;
    if (Number.isInteger(o.pid) && typeof o.host === "string" && typeof o.startedAt === "string" && typeof o.command === "string") return o as LockOwner;
  } catch {
    // not JSON: fall through
  }
  throw new UserError(`${path}: not a lock harness-evolve wrote; if no run is using this folder, delete it`);
}

/** Dead on this host. A pid from another host cannot be checked here, so it is never stale. */
export function isStale(owner: LockOwner, here = hostname()): boolean {
  if (owner.host !== here) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (e) {
    // EPERM: alive, only not ours to signal.
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** HH:MM local; with the date when it is not today. */
function sinceText(d: Date): string {
  if (Number.isNaN(d.getTime())) return "an unknown time";
  const two = (n: number) => String(n).padStart(2, "0");
  const hhmm = `${two(d.getHours())}:${two(d.getMinutes())}`;
  return d.toDateString() === new Date().toDateString() ? hhmm : `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${hhmm}`;
}

function readRaw(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
}
