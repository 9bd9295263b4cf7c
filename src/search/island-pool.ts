import type { Worker } from "node:worker_threads";
import { startWorker } from "../threads/worker.js";
import { serializeError, type FromWorker, type IslandHandlers, type ToWorker } from "./island-channel.js";
import { PortError, runIslandGeneration, type IslandGenerationInput, type IslandGenerationResult } from "./island-generation.js";

/**
 * Runs every island's generation at once: one worker thread per island, or in
 * this thread when `inProcess` (tests, debugging). Either way the islands see
 * the same answers, so the results are the same.
 */
export class IslandPool {
  private readonly workers: Worker[] = [];

  constructor(
    readonly islands: number,
    private readonly opts: { inProcess?: boolean } = {},
  ) {
    if (opts.inProcess) return;
    for (let i = 0; i < islands; i++) this.workers.push(startWorker(import.meta.url, "island-worker"));
  }

  async runGeneration(inputs: IslandGenerationInput[], handlers: IslandHandlers): Promise<IslandGenerationResult[]> {
    return Promise.all(inputs.map((input) => (this.opts.inProcess ? this.runHere(input, handlers) : this.runInWorker(input, handlers))));
  }

  private runHere(input: IslandGenerationInput, h: IslandHandlers): Promise<IslandGenerationResult> {
    const wrap = async <T>(f: () => Promise<T>): Promise<T> => {
      try {
        return await f();
      } catch (e) {
        const s = serializeError(e);
        throw new PortError(s.kind, s.message);
      }
    };
    return runIslandGeneration(input, {
      complete: (conv, req) => wrap(() => h.complete(input.island, conv, structuredClone(req))),
      evaluate: (conv, req) => wrap(() => h.evaluate(input.island, conv, req)),
    });
  }

  private runInWorker(input: IslandGenerationInput, h: IslandHandlers): Promise<IslandGenerationResult> {
    const worker = this.workers[input.island];
    if (!worker) throw new Error(`no worker for island ${input.island}`);
    return new Promise((resolve, reject) => {
      const reply = (msg: ToWorker) => worker.postMessage(msg);
      const onMessage = (msg: FromWorker) => {
        if (msg.type === "done") {
          cleanup();
          resolve(msg.result);
        } else if (msg.type === "crash") {
          cleanup();
          reject(new Error(`island ${input.island} worker crashed: ${msg.message}`));
        } else {
          const work = msg.type === "complete" ? h.complete(input.island, msg.conv, msg.req) : h.evaluate(input.island, msg.conv, msg.req);
          work.then(
            (value) => reply({ type: "reply", id: msg.id, ok: true, value }),
            (e: unknown) => reply({ type: "reply", id: msg.id, ok: false, error: serializeError(e) }),
          );
        }
      };
      const onError = (e: Error) => {
        cleanup();
        reject(new Error(`island ${input.island} worker failed: ${e.message}`));
      };
      const cleanup = () => {
        worker.off("message", onMessage);
        worker.off("error", onError);
      };
      worker.on("message", onMessage);
      worker.on("error", onError);
      worker.postMessage({ type: "run", input } satisfies ToWorker);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
