/**
 * Fitness from a user's module (`export default defineFitness(...)`), run in worker threads
 * with a heap limit and a timeout. A module's faults (it throws, returns a bad score, hangs,
 * crashes, runs out of memory) fail that candidate only; the worker is replaced when needed.
 * Model calls the module makes travel to this thread and go through the caller's `Complete`,
 * so they are metered, cached and capped like every other call.
 *
 * An evaluation past its limit is run once more, alone (no other module evaluation overlaps it),
 * with RETRY_LIMIT_FACTOR times the limit; only a second time-out fails the candidate, marked
 * Evaluation.timeout. With `verdicts`, the final verdict is stored under the module file's path
 * and content hash, its options and limits, the seed, the harness, split and tasks; a replay
 * takes it instead of running the module (files the module reads are not part of the key).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Worker } from "node:worker_threads";
import { startWorker } from "../threads/worker.js";
import { errorKind, type ChatMessage, type Complete, type CompletionRequest, type CompletionResponse } from "../llm/types.js";
import { CostTally } from "./cost-tally.js";
import type { EvaluateOptions, Evaluation, Fitness, FitnessContext, Split, Task, TaskResult, VerdictCache } from "./types.js";
import { evaluationOf, isEvaluationVerdict, RETRY_LIMIT_FACTOR, RunGate, storedVerdict, timedOutTwice, verdictKey, type EvaluationVerdict } from "./verdicts.js";

export interface ModuleFitnessOptions {
  /** Absolute path of the module (.ts, .mts, .js, .mjs). */
  file: string;
  /** Per evaluation, from the moment the module's function is called. */
  timeoutMs: number;
  /** Heap limit of each worker (V8 old generation). */
  memoryMb: number;
  /** Handed to the module as `ctx.options`. */
  options?: Record<string, unknown>;
  /** Campaign seed: `ctx.random()` streams derive from it, the harness and the split. */
  seed: number;
  /** The campaign's task suite, if any (the module sees the tasks of the evaluated split). */
  tasks?: readonly Task[];
  /** Workers kept (evaluations run in parallel up to this many). Default 2. */
  poolSize?: number;
  /** Time allowed to load the module in a fresh worker. Default max(timeoutMs, 30 s). */
  loadTimeoutMs?: number;
  /** Where final verdicts are kept; a stored one is returned without running the module. */
  verdicts?: VerdictCache;
}

// ---- messages between this thread and a module worker ----

export interface ModuleWorkerData {
  file: string;
}

export type ToModuleWorker =
  | {
      type: "evaluate";
      id: number;
      harness: string;
      split: Split;
      tasks: { id: string; input: string; check: unknown }[];
      options: Record<string, unknown>;
      randomSeed: string;
      hasVerifier: boolean;
    }
  | { type: "probe"; id: number }
  | { type: "abort"; id: number }
  | { type: "reply"; call: number; ok: true; text: string }
  | { type: "reply"; call: number; ok: false; name: string; message: string };

export type FromModuleWorker =
  | { type: "started"; id: number }
  | { type: "call"; id: number; call: number; role: "user" | "verifier"; messages: ChatMessage[]; sampleKey: string; maxTokens?: number }
  | { type: "result"; id: number; ok: true; score: number; feedback: string; results: TaskResult[] }
  | { type: "result"; id: number; ok: false; error: string };

/** Errors a module must not swallow into a failed candidate: a budget or stop, or a permanent endpoint error. */
function isFatal(e: unknown): boolean {
  return errorKind(e) !== "error";
}

interface Outcome {
  score: number;
  feedback: string;
  results: TaskResult[];
  error?: string;
  /** The attempt ran past a limit; `error` says which. */
  timedOut?: boolean;
}

/** The limits of one attempt. */
interface Limits {
  timeoutMs: number;
  loadTimeoutMs: number;
}

/**
 * The model calls of one evaluation over its attempts. A retry that asks what the first
 * attempt already got is answered from here, so it is not charged twice; and the answered
 * requests, in the order they were made, are what a stored verdict replays.
 */
class CallLog {
  readonly tally = new CostTally();
  private readonly made = new Map<string, { req: CompletionRequest; answer: Promise<CompletionResponse>; answered: boolean }>();

  ask(complete: Complete, req: CompletionRequest): Promise<CompletionResponse> {
    const key = JSON.stringify([req.role, req.sampleKey, req.maxTokens ?? null, req.messages]);
    const known = this.made.get(key);
    if (known) return known.answer;
    const entry = { req, answered: false, answer: complete(req) };
    this.made.set(key, entry);
    entry.answer.then(
      (res) => {
        entry.answered = true;
        this.tally.add(res);
      },
      () => this.made.delete(key), // asked again next time
    );
    return entry.answer;
  }

  answered(): CompletionRequest[] {
    return [...this.made.values()].filter((e) => e.answered).map((e) => e.req);
  }
}

/** Every module evaluation in this process: ordinary ones overlap, a retry runs alone. */
const moduleGate = new RunGate();

/** What a slot's listeners forward to the evaluation running on it. */
interface Running {
  id: number;
  message(msg: FromModuleWorker): void;
  crashed(reason: string): void;
}

interface Slot {
  worker: Worker;
  busy: boolean;
  dead: boolean;
  /** The module loaded in this worker once already (later evaluations start at once). */
  warm: boolean;
  running?: Running;
}

const KILL_GRACE_MS = 100;

export class ModuleFitness implements Fitness {
  readonly file: string;
  private readonly slots: Slot[] = [];
  private readonly waiters: (() => void)[] = [];
  private readonly dying = new Set<Worker>();
  private readonly poolSize: number;
  private readonly loadTimeoutMs: number;
  private nextId = 0;
  private closed = false;
  private fileHash: string | null | undefined;

  constructor(private readonly opts: ModuleFitnessOptions) {
    this.file = opts.file;
    for (const k of ["timeoutMs", "memoryMb"] as const) {
      if (!(Number.isFinite(opts[k]) && opts[k] > 0)) throw new RangeError(`ModuleFitness: ${k} must be a positive number`);
    }
    this.poolSize = Math.max(1, Math.floor(opts.poolSize ?? 2));
    this.loadTimeoutMs = opts.loadTimeoutMs ?? Math.max(opts.timeoutMs, 30_000);
  }

  async evaluate(harness: string, opts: EvaluateOptions, ctx: FitnessContext): Promise<Evaluation> {
    ctx.signal?.throwIfAborted();
    const tasks = this.selectTasks(opts).map((t) => ({ id: t.id, input: t.input, check: t.check as unknown }));
    const randomSeed = `${this.opts.seed}/module/${opts.split}/${createHash("sha256").update(harness).digest("hex")}`;
    const hasVerifier = ctx.verifier !== undefined;
    const key = this.opts.verdicts ? this.verdictKey([harness, opts.split, opts.taskIds ?? null, tasks, hasVerifier]) : undefined;
    const stored = key === undefined ? undefined : storedVerdict(this.opts.verdicts, key, isEvaluationVerdict);
    if (stored) return this.replay(stored, opts.split, ctx);
    const log = new CallLog();
    const options = this.opts.options ?? {};
    const attempt = (limits: Limits) => (slot: Slot, id: number) =>
      this.run(slot, id, log, ctx, { type: "evaluate", id, harness, split: opts.split, tasks, options, randomSeed, hasVerifier }, limits);
    const first: Limits = { timeoutMs: this.opts.timeoutMs, loadTimeoutMs: this.loadTimeoutMs };
    const retry: Limits = { timeoutMs: first.timeoutMs * RETRY_LIMIT_FACTOR, loadTimeoutMs: first.loadTimeoutMs * RETRY_LIMIT_FACTOR };
    const out = await moduleGate.run("shared", ctx.signal, () => this.withSlot(ctx.signal, attempt(first)));
    const last = out.timedOut ? await moduleGate.run("alone", ctx.signal, () => this.withSlot(ctx.signal, attempt(retry))) : out;
    const verdict: EvaluationVerdict = last.timedOut
      ? { score: 0, feedback: "", results: [], error: `${this.file}: ${timedOutTwice(out.error ?? "", last.error ?? "")}`, timeout: true, calls: log.answered() }
      : { score: last.score, feedback: last.feedback, results: last.results, ...(last.error !== undefined ? { error: last.error } : {}), calls: log.answered() };
    if (key !== undefined) this.opts.verdicts?.putVerdict(key, verdict);
    return evaluationOf(verdict, opts.split, log.tally.cost);
  }

  /** A verdict key over the evaluation's own inputs and everything of this fitness that shapes its result. */
  private verdictKey(evaluation: unknown[]): string {
    if (this.fileHash === undefined) {
      try {
        this.fileHash = createHash("sha256").update(readFileSync(this.file)).digest("hex");
      } catch {
        this.fileHash = null; // it will not load either: that failure is the verdict
      }
    }
    const { options, seed, timeoutMs, memoryMb } = this.opts;
    return verdictKey("module", [this.file, this.fileHash, options ?? {}, seed, timeoutMs, memoryMb, this.loadTimeoutMs, ...evaluation]);
  }

  /**
   * A stored verdict, with its model calls made again: they are cache hits, charged to the
   * caller's account as the first time, so a replay spends the budget as the original did.
   */
  private async replay(v: EvaluationVerdict, split: Split, ctx: FitnessContext): Promise<Evaluation> {
    const tally = new CostTally();
    for (const req of v.calls ?? []) {
      const complete = req.role === "verifier" ? ctx.verifier : ctx.user;
      try {
        if (!complete) throw new Error("the campaign binds no verifier model (roles.verifier)");
        tally.add(await complete(req));
      } catch (e) {
        if (isFatal(e)) throw e;
        const error = `${this.file}: a model call of the stored verdict failed on replay: ${e instanceof Error ? e.message : String(e)}`;
        return evaluationOf({ score: 0, feedback: "", results: [], error }, split, tally.cost);
      }
    }
    return evaluationOf(v, split, tally.cost);
  }

  /**
   * Loads the module in a worker and reports why it cannot serve as a fitness (it does not
   * load, or its default export is not a fitness), or undefined when it can. Spends nothing:
   * a campaign can check its module before the search starts.
   */
  async probe(): Promise<string | undefined> {
    const noCalls = () => Promise.reject(new Error("probe: no model calls"));
    const limits: Limits = { timeoutMs: this.opts.timeoutMs, loadTimeoutMs: this.loadTimeoutMs };
    const out = await this.withSlot(undefined, (slot, id) => this.run(slot, id, new CallLog(), { user: noCalls }, { type: "probe", id }, limits));
    return out.timedOut ? `${this.file}: ${out.error}` : out.error;
  }

  async close(): Promise<void> {
    this.closed = true;
    const workers = [...this.slots.map((s) => s.worker), ...this.dying];
    this.slots.length = 0;
    this.dying.clear();
    for (const w of this.waiters.splice(0)) w();
    await Promise.all(workers.map((w) => w.terminate()));
  }

  /** The tasks of the split, or the given ids among them (ids not in the suite are ignored). */
  private selectTasks(opts: EvaluateOptions): Task[] {
    const inSplit = (this.opts.tasks ?? []).filter((t) => t.split === opts.split);
    if (opts.taskIds === undefined) return inSplit;
    const wanted = new Set(opts.taskIds);
    return inSplit.filter((t) => wanted.has(t.id));
  }

  // ---- the pool ----

  private async withSlot(signal: AbortSignal | undefined, f: (slot: Slot, id: number) => Promise<Outcome>): Promise<Outcome> {
    const slot = await this.acquire(signal);
    try {
      return await f(slot, this.nextId++);
    } finally {
      slot.busy = false;
      if (slot.dead) this.remove(slot);
      this.waiters.shift()?.();
    }
  }

  private async acquire(signal: AbortSignal | undefined): Promise<Slot> {
    for (;;) {
      if (this.closed) throw new Error(`ModuleFitness(${this.file}) is closed`);
      signal?.throwIfAborted();
      for (const s of [...this.slots]) if (s.dead && !s.busy) this.remove(s);
      const idle = this.slots.find((s) => !s.busy);
      if (idle) {
        idle.busy = true;
        return idle;
      }
      if (this.slots.length < this.poolSize) {
        const slot = this.spawn();
        slot.busy = true;
        return slot;
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        };
        // An aborted waiter leaves the queue, so it never takes a wake-up meant for another.
        const onAbort = () => {
          const i = this.waiters.indexOf(wake);
          if (i >= 0) this.waiters.splice(i, 1);
          wake();
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        this.waiters.push(wake);
      });
    }
  }

  private remove(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
  }

  private spawn(): Slot {
    const workerData: ModuleWorkerData = { file: this.opts.file };
    const worker = startWorker(import.meta.url, "module-worker", { workerData, resourceLimits: { maxOldGenerationSizeMb: this.opts.memoryMb }, stdout: true });
    // What a module prints goes to stderr, so it never mixes into `--json` output on stdout.
    worker.stdout.pipe(process.stderr);
    const slot: Slot = { worker, busy: false, dead: false, warm: false };
    let crash: string | undefined;
    worker.on("message", (msg: FromModuleWorker) => {
      if (slot.running && msg.id === slot.running.id) slot.running.message(msg);
      else if (msg.type === "call") worker.postMessage({ type: "reply", call: msg.call, ok: false, name: "Error", message: "the evaluation has ended" } satisfies ToModuleWorker);
    });
    worker.on("error", (e: Error & { code?: string }) => {
      slot.dead = true;
      const oom = e.code === "ERR_WORKER_OUT_OF_MEMORY";
      crash ??= `the fitness worker crashed: ${e.message}${oom ? ` (memoryMb: ${this.opts.memoryMb})` : ""}`;
      slot.running?.crashed(crash);
    });
    worker.on("exit", (code) => {
      slot.dead = true;
      this.dying.delete(worker);
      slot.running?.crashed(crash ?? `the fitness worker crashed: it exited with code ${code}`);
    });
    this.slots.push(slot);
    return slot;
  }

  /** Stops a worker: its module's signal fires, and shortly after the thread is terminated. */
  private kill(slot: Slot, id: number): void {
    if (slot.dead) return;
    slot.dead = true;
    this.dying.add(slot.worker);
    slot.worker.postMessage({ type: "abort", id } satisfies ToModuleWorker);
    const t = setTimeout(() => void slot.worker.terminate(), KILL_GRACE_MS);
    t.unref?.();
  }

  // ---- one evaluation on one worker ----

  private run(slot: Slot, id: number, log: CallLog, ctx: FitnessContext, msg: ToModuleWorker, limits: Limits): Promise<Outcome> {
    const file = this.opts.file;
    return new Promise<Outcome>((resolve, reject) => {
      const inflight = new Set<Promise<unknown>>();
      let fatal: { error: unknown } | undefined;
      let ended = false;
      let timer: NodeJS.Timeout | undefined;
      let armed = 0;

      const arm = (ms: number, reason: string) => {
        clearTimeout(timer);
        const mine = ++armed;
        timer = setTimeout(() => {
          // After a stall of this thread the timer can run before a result that is already
          // waiting in the port: let pending messages in first (setImmediate runs after them).
          setImmediate(() => {
            if (ended || mine !== armed) return;
            this.kill(slot, id);
            end({ score: 0, feedback: "", results: [], error: reason, timedOut: true });
          });
        }, ms);
      };
      const onAbort = () => {
        this.kill(slot, id);
        finish();
        reject(ctx.signal?.reason);
      };
      const finish = () => {
        ended = true;
        clearTimeout(timer);
        ctx.signal?.removeEventListener("abort", onAbort);
        if (slot.running?.id === id) slot.running = undefined;
      };
      /** The evaluation is over; calls still in flight settle first, so its cost is complete. */
      const end = (out: Outcome) => {
        if (ended) return;
        finish();
        void Promise.allSettled([...inflight]).then(() => (fatal ? reject(fatal.error) : resolve(out)));
      };
      const failed = (error: string) => end({ score: 0, feedback: "", results: [], error: `${file}: ${error}` });

      const call = (m: Extract<FromModuleWorker, { type: "call" }>) => {
        const reply = (r: ToModuleWorker) => {
          if (!slot.dead) slot.worker.postMessage(r);
        };
        const refuse = (e: unknown) => {
          const err = e as { name?: unknown; message?: unknown } | null;
          reply({ type: "reply", call: m.call, ok: false, name: typeof err?.name === "string" ? err.name : "Error", message: typeof err?.message === "string" ? err.message : String(e) });
        };
        if (fatal) return refuse(fatal.error);
        const complete = m.role === "user" ? ctx.user : ctx.verifier;
        if (!complete) return refuse(new Error("the campaign binds no verifier model (roles.verifier)"));
        const req: CompletionRequest = { role: m.role, messages: m.messages, sampleKey: m.sampleKey };
        if (m.maxTokens !== undefined) req.maxTokens = m.maxTokens;
        let p: Promise<unknown>;
        try {
          p = log.ask(complete, req).then(
            (res) => {
              reply({ type: "reply", call: m.call, ok: true, text: res.text });
            },
            (e: unknown) => {
              if (isFatal(e) && !fatal) {
                fatal = { error: e };
                reply({ type: "abort", id });
              }
              refuse(e);
            },
          );
        } catch (e) {
          p = Promise.resolve();
          refuse(e);
        }
        inflight.add(p);
        void p.finally(() => inflight.delete(p));
      };

      slot.running = {
        id,
        message: (m) => {
          if (ended) return;
          if (m.type === "started") {
            slot.warm = true;
            arm(limits.timeoutMs, `no result within ${limits.timeoutMs} ms`);
          } else if (m.type === "call") call(m);
          else if (m.ok) end({ score: m.score, feedback: m.feedback, results: m.results });
          else failed(m.error);
        },
        crashed: (reason) => {
          if (!ended) failed(reason);
        },
      };
      if (ctx.signal) ctx.signal.addEventListener("abort", onAbort, { once: true });
      arm(slot.warm ? limits.timeoutMs : limits.loadTimeoutMs, slot.warm ? `no result within ${limits.timeoutMs} ms` : `not loaded within ${limits.loadTimeoutMs} ms`);
      slot.worker.postMessage(msg);
    });
  }
}
