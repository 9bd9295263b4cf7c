/**
 * A benchmark's run process: started by runner.ts with an IPC channel, it runs one campaign
 * run at a time, as `harness-evolve run <campaign> --out --seed --set --json` would, and
 * sends back the summary. Each process serves many runs, so start-up (loading the engine,
 * warming the JIT) is paid once per process, not once per run. Runs share nothing that
 * decides a result: every run builds its own store, gateway, sim server and island workers.
 */
import { evolve, failedRunFolder } from "../campaign/run.js";
import type { RunSummary } from "../campaign/summary.js";
import { oneLineMessage, UserError } from "../config/errors.js";

/** What the runner sends: one run. */
export interface RunRequest {
  campaignFile: string;
  out: string;
  seed: number;
  sets: string[];
}

/** What the process answers: the summary, or the one-line error the CLI would have printed. */
export type RunReply = { ok: true; summary: RunSummary } | { ok: false; kind: "user" | "error" | "failed"; message: string };

// Ctrl-C reaches every process of the terminal's group: as in `run`, the first lets the run
// in flight stop at a generation's end (resumable), the second ends the process at once.
let current: AbortController | undefined;
let stopping = false;
const onSignal = () => {
  if (stopping) process.exit(130);
  stopping = true;
  current?.abort();
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);
// The runner gone (it was stopped): finish the run in flight as a stopped run, take no more.
process.on("disconnect", () => {
  stopping = true;
  if (current) current.abort();
  else process.exit(0);
});

async function runOne(r: RunRequest): Promise<RunReply> {
  current = new AbortController();
  try {
    const { summary } = await evolve(r.campaignFile, { out: r.out, seed: r.seed, sets: r.sets, onEvent: () => {}, signal: current.signal });
    if (summary.status === "failed") return { ok: false, kind: "failed", message: oneLineMessage(summary.reason ?? "the run failed") };
    return { ok: true, summary };
  } catch (e) {
    if (e instanceof UserError) return { ok: false, kind: "user", message: e.message };
    const dir = failedRunFolder(e);
    const message = (e as Error)?.message ?? String(e);
    return { ok: false, kind: "error", message: oneLineMessage(dir !== undefined ? `${dir} failed: ${message}` : message) };
  } finally {
    current = undefined;
  }
}

process.on("message", (r: RunRequest) => {
  void runOne(r).then((reply) => {
    if (!process.connected) process.exit(0);
    process.send!(reply, () => {
      if (stopping) process.exit(0);
    });
  });
});
