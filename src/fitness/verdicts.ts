/**
 * What keeps time-bounded user code (js checks, fitness modules, fitness commands) from making a
 * run depend on timing: a time-out is retried once alone with a longer limit and only then counts,
 * as its own outcome; and every final verdict is stored under a hash of what determines it, so a
 * replay (resume, fork) takes the stored verdict instead of running the code again.
 */
import { createHash } from "node:crypto";
import type { Cost } from "../budget/types.js";
import type { CompletionRequest } from "../llm/types.js";
import type { Evaluation, Split, TaskResult, VerdictCache } from "./types.js";

/**
 * The retry's limit is this many times the first one. A first time-out on a busy or paused
 * machine (another run, a suspended laptop, a GC storm) has the retry running alone with four
 * times the room; code that is really too slow or hangs still fails, after 5x its limit in all.
 */
export const RETRY_LIMIT_FACTOR = 4;

/** The kinds of user code with stored verdicts: the first part of a verdict key. */
export type VerdictKind = "js" | "module" | "command";

/** A verdict key: the kind, then a hash of everything that determines the verdict. */
export function verdictKey(kind: VerdictKind, parts: unknown): string {
  return `${kind}:${createHash("sha256").update(JSON.stringify(parts)).digest("hex")}`;
}

/** Time-outs by kind (from RunStore.verdictTimeouts) as summary.json counts them. */
export function timeoutCounts(byKind: Readonly<Record<string, number>>): { checks: number; evaluations: number } {
  return { checks: byKind.js ?? 0, evaluations: (byKind.module ?? 0) + (byKind.command ?? 0) };
}

/** The stored verdict under `key`, or undefined when there is none or it does not have the expected shape. */
export function storedVerdict<T>(cache: VerdictCache | undefined, key: string, valid: (v: unknown) => v is T): T | undefined {
  const v = cache?.getVerdict(key);
  return v !== undefined && valid(v) ? v : undefined;
}

/** The stored verdict of a module or command evaluation. */
export interface EvaluationVerdict {
  score: number;
  feedback: string;
  results: TaskResult[];
  error?: string;
  timeout?: boolean;
  /**
   * The model calls the evaluation made (a module's), in the order it made them. A replay makes
   * them again instead of running the module: they are cache hits charged as the first time, so
   * the budget is spent as the original run spent it.
   */
  calls?: CompletionRequest[];
}

export function isEvaluationVerdict(v: unknown): v is EvaluationVerdict {
  const o = v as Partial<EvaluationVerdict> | null;
  return (
    typeof o === "object" && o !== null && typeof o.score === "number" && typeof o.feedback === "string" && Array.isArray(o.results) && (o.calls === undefined || Array.isArray(o.calls))
  );
}

export function evaluationOf(v: EvaluationVerdict, split: Split, cost: Cost): Evaluation {
  const e: Evaluation = { score: v.score, feedback: v.feedback, split, stage: "full", results: v.results, cost };
  if (v.error !== undefined) e.error = v.error;
  if (v.timeout === true) e.timeout = true;
  return e;
}

/** The reason given when both attempts of an evaluation ran past their limits (each limit in words). */
export function timedOutTwice(first: string, retry: string): string {
  return `timed out twice (${first}, then ${retry} alone)`;
}

/**
 * Lets user-code runs of one kind share the machine, and a retry run alone: `shared` runs may
 * overlap; an `alone` run waits until none is running and holds off new ones until it is done.
 * First come, first served, so a retry is not starved by a stream of ordinary runs.
 */
export class RunGate {
  private shared = 0;
  private alone = false;
  private readonly queue: { alone: boolean; admit: () => void }[] = [];

  async run<T>(mode: "shared" | "alone", signal: AbortSignal | undefined, f: () => Promise<T>): Promise<T> {
    await this.enter(mode === "alone", signal);
    try {
      return await f();
    } finally {
      if (mode === "alone") this.alone = false;
      else this.shared--;
      this.pump();
    }
  }

  private fits(alone: boolean): boolean {
    return !this.alone && (!alone || this.shared === 0);
  }

  private take(alone: boolean): void {
    if (alone) this.alone = true;
    else this.shared++;
  }

  private enter(alone: boolean, signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    if (this.queue.length === 0 && this.fits(alone)) {
      this.take(alone);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        alone,
        admit: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const i = this.queue.indexOf(waiter);
        if (i >= 0) this.queue.splice(i, 1);
        this.pump();
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  private pump(): void {
    while (this.queue.length > 0 && this.fits(this.queue[0]!.alone)) {
      const next = this.queue.shift()!;
      this.take(next.alone);
      next.admit();
    }
  }
}
