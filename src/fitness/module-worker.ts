/**
 * A fitness-module worker: loads the user's module once, runs its fitness function per
 * evaluation request, and sends every model call to the main thread (which owns the gateway,
 * the budget and the cache). See module-fitness.ts for the other side.
 */
import { pathToFileURL } from "node:url";
import { parentPort, workerData } from "node:worker_threads";
import seedrandom from "seedrandom";
import type { ChatMessage } from "../llm/types.js";
import { describeValue, fitnessFunctionOf, scoreProblem, toTaskResults, type FitnessCallOptions, type FitnessFn, type FitnessModuleContext } from "./define.js";
import type { FromModuleWorker, ModuleWorkerData, ToModuleWorker } from "./module-fitness.js";
import { loadFailure } from "./module-load-error.js";
import { ownExports, registerModuleHooks } from "./module-register.js";

if (!parentPort) throw new Error("module-worker must run in a worker thread");
const port = parentPort;
const { file } = workerData as ModuleWorkerData;

/** A reason that is already worded for the user (no "threw:" prefix). */
class LoadError extends Error {}

let loaded: Promise<FitnessFn> | undefined;

async function load(): Promise<FitnessFn> {
  // This worker running from .ts means the tsx loader is registered already.
  if (/\.[cm]?tsx?$/.test(file) && !import.meta.url.endsWith(".ts")) {
    try {
      const tsx = await import("tsx/esm/api");
      tsx.register();
    } catch (e) {
      throw new LoadError(`loading a TypeScript fitness module needs the tsx package (npm install tsx), or compile it to .js: ${messageOf(e)}`);
    }
  }
  // After tsx: `harness-evolve` resolves to this engine from anywhere on disk (module-hooks.ts).
  const own = ownExports();
  const url = pathToFileURL(file).href;
  registerModuleHooks({ ...own, module: url });
  let mod: { default?: unknown };
  try {
    mod = (await import(url)) as { default?: unknown };
  } catch (e) {
    throw new LoadError(loadFailure(e, file, own.name));
  }
  const exported = mod.default;
  // A CommonJS module's exports arrive as `default`; its own `default` (transpiled ESM) is one level down.
  const fn = fitnessFunctionOf(exported) ?? fitnessFunctionOf((exported as { default?: unknown } | null | undefined)?.default);
  if (!fn) {
    throw new LoadError(
      `the default export is ${describeValue(exported)}, not a fitness: write \`export default defineFitness(async (ctx) => ({ score, feedback }))\``,
    );
  }
  return fn;
}

function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

const pending = new Map<number, { resolve: (text: string) => void; reject: (e: Error) => void }>();
const controllers = new Map<number, AbortController>();
let nextCall = 0;

function post(msg: FromModuleWorker): void {
  port.postMessage(msg);
}

function toMessages(prompt: unknown, system: string | undefined, where: string): ChatMessage[] {
  if (typeof prompt === "string") return system === undefined ? [{ role: "user", content: prompt }] : [{ role: "system", content: system }, { role: "user", content: prompt }];
  if (Array.isArray(prompt) && prompt.length > 0) {
    return prompt.map((m: unknown) => {
      const o = m as { role?: unknown; content?: unknown } | null;
      if (!o || (o.role !== "system" && o.role !== "user" && o.role !== "assistant") || typeof o.content !== "string") {
        throw new TypeError(`${where}: each message must be { role: "system" | "user" | "assistant", content: string }`);
      }
      return { role: o.role, content: o.content };
    });
  }
  throw new TypeError(`${where}: the prompt must be a string or a non-empty array of messages`);
}

function evaluate(msg: Extract<ToModuleWorker, { type: "evaluate" }>): void {
  const controller = new AbortController();
  controllers.set(msg.id, controller);
  let index = 0;
  const rng = seedrandom(msg.randomSeed);

  const caller =
    (role: "user" | "verifier") =>
    (prompt: string | ChatMessage[], opts?: FitnessCallOptions): Promise<string> => {
      const where = `ctx.${role}`;
      try {
        if (role === "verifier" && !msg.hasVerifier) throw new Error(`${where}: the campaign binds no verifier model (roles.verifier)`);
        const messages = toMessages(prompt, role === "user" ? msg.harness : undefined, where);
        const maxTokens = opts?.maxTokens;
        if (maxTokens !== undefined && !(Number.isInteger(maxTokens) && maxTokens > 0)) throw new TypeError(`${where}: maxTokens must be a positive integer`);
        if (opts?.key !== undefined && typeof opts.key !== "string") throw new TypeError(`${where}: key must be a string`);
        const position = index++;
        const call = nextCall++;
        return new Promise<string>((resolve, reject) => {
          pending.set(call, { resolve, reject });
          post({ type: "call", id: msg.id, call, role, messages, sampleKey: `module/${opts?.key ?? position}`, ...(maxTokens !== undefined ? { maxTokens } : {}) });
        });
      } catch (e) {
        return Promise.reject(e as Error);
      }
    };

  const ctx: FitnessModuleContext = {
    harness: msg.harness,
    split: msg.split,
    tasks: msg.tasks,
    user: caller("user"),
    verifier: caller("verifier"),
    random: () => rng(),
    signal: controller.signal,
    options: msg.options,
  };

  const run = async (): Promise<FromModuleWorker> => {
    let fn: FitnessFn;
    try {
      fn = await (loaded ??= load());
    } catch (e) {
      return { type: "result", id: msg.id, ok: false, error: messageOf(e) };
    }
    post({ type: "started", id: msg.id });
    let out: unknown;
    try {
      out = await fn(ctx);
    } catch (e) {
      const name = e instanceof Error && e.name !== "Error" ? `${e.name}: ` : "";
      return { type: "result", id: msg.id, ok: false, error: `the module threw: ${name}${messageOf(e)}` };
    }
    // A bare number is taken as the score.
    const result = (typeof out === "number" ? { score: out } : out) as { score?: unknown; feedback?: unknown; details?: unknown } | null | undefined;
    if (result === null || typeof result !== "object") return { type: "result", id: msg.id, ok: false, error: `the module returned ${describeValue(out)}, not { score, feedback? }` };
    const problem = scoreProblem(result.score);
    if (problem) return { type: "result", id: msg.id, ok: false, error: problem };
    const feedback = typeof result.feedback === "string" ? result.feedback : "";
    return { type: "result", id: msg.id, ok: true, score: result.score as number, feedback, results: toTaskResults(result.details) };
  };

  run().then(
    (reply) => {
      controllers.delete(msg.id);
      post(reply);
    },
    (e: unknown) => {
      controllers.delete(msg.id);
      post({ type: "result", id: msg.id, ok: false, error: `the fitness worker failed: ${messageOf(e)}` });
    },
  );
}

port.on("message", (msg: ToModuleWorker) => {
  switch (msg.type) {
    case "reply": {
      const p = pending.get(msg.call);
      if (!p) return;
      pending.delete(msg.call);
      if (msg.ok) p.resolve(msg.text);
      else {
        const e = new Error(msg.message);
        e.name = msg.name;
        p.reject(e);
      }
      return;
    }
    case "abort":
      controllers.get(msg.id)?.abort(new Error("the fitness evaluation was stopped (timeout or budget)"));
      return;
    case "probe":
      (loaded ??= load()).then(
        () => post({ type: "result", id: msg.id, ok: true, score: 0, feedback: "", results: [] }),
        (e: unknown) => post({ type: "result", id: msg.id, ok: false, error: messageOf(e) }),
      );
      return;
    case "evaluate":
      evaluate(msg);
      return;
  }
});
