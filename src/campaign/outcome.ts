/**
 * How a run ended, recorded in run.db as well as in summary.json: summary.json is a view a
 * user may delete or edit, run.db is the truth `resume` decides by. Meta `status` is
 * `running` from the moment an attempt starts (so a replay killed half-way is not taken
 * for the run it is rebuilding) and the final status once it ends; meta `summary` holds
 * the summary.json that ending wrote.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { RunStore } from "../store/run-store.js";
import { SUMMARY_FILE, writeSummary, type RunSummary } from "./summary.js";

/** An attempt at the run begins: until it records its end, run.db says nothing ended. */
export function markRunning(store: RunStore): void {
  store.setMeta("status", "running");
}

/** The run's end, in run.db first (one transaction), then in summary.json. */
export function recordOutcome(store: RunStore, dir: string, summary: RunSummary): void {
  store.transaction(() => {
    store.setMeta("summary", JSON.stringify(summary));
    store.setMeta("status", summary.status);
  });
  writeSummary(dir, summary);
}

/**
 * The summary of a run that completed, else undefined. A run.db from before the status
 * was recorded has no `status`: then a summary.json that says `completed` is believed.
 */
export function completedSummary(store: RunStore, dir: string): RunSummary | undefined {
  const status = store.getMeta("status");
  if (status === undefined) {
    const file = join(dir, SUMMARY_FILE);
    if (!existsSync(file)) return undefined;
    try {
      const summary = JSON.parse(readFileSync(file, "utf8")) as RunSummary;
      return summary.status === "completed" ? summary : undefined;
    } catch {
      return undefined;
    }
  }
  if (status !== "completed") return undefined;
  const text = store.getMeta("summary");
  return text === undefined ? undefined : (JSON.parse(text) as RunSummary);
}
