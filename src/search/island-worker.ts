import { parentPort } from "node:worker_threads";
import type { CompletionResponse } from "../llm/types.js";
import type { FromWorker, ToWorker } from "./island-channel.js";
import { PortError, runIslandGeneration, type EvaluationOutcome, type IslandPort } from "./island-generation.js";

// An island worker: runs its island's generations; every model call and evaluation is
// a request to the main thread, which owns the gateway, the budget and the store.
if (!parentPort) throw new Error("island-worker must run in a worker thread");
const port = parentPort;
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
let nextId = 0;

function request<T>(msg: Omit<Extract<FromWorker, { type: "complete" | "evaluate" }>, "id">): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    port.postMessage({ ...msg, id } as FromWorker);
  });
}

const islandPort: IslandPort = {
  complete: (conv, req) => request<CompletionResponse>({ type: "complete", conv, req }),
  evaluate: (conv, req) => request<EvaluationOutcome>({ type: "evaluate", conv, req }),
};

port.on("message", (msg: ToWorker) => {
  if (msg.type === "reply") {
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.value);
    else p.reject(new PortError(msg.error.kind, msg.error.message));
    return;
  }
  runIslandGeneration(msg.input, islandPort).then(
    (result) => port.postMessage({ type: "done", result } satisfies FromWorker),
    (e: unknown) => port.postMessage({ type: "crash", message: (e as Error)?.stack ?? String(e) } satisfies FromWorker),
  );
});
