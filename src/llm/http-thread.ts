import type { Worker } from "node:worker_threads";
import type { ModelConfig } from "../config/schema.js";
import { startWorker } from "../threads/worker.js";
import type { ChatEndpoint, EndpointReply } from "./chat-endpoint.js";
import { displayURL, type EndpointOptions } from "./endpoint.js";
import type { ToHttpWorker, FromHttpWorker, WireError } from "./http-worker.js";
import { LlmCallError, type ChatMessage } from "./types.js";

/**
 * The HTTP endpoints of a gateway, run in a worker thread of their own. The openai SDK and its
 * fetch were about a third of the engine's main thread (benchmarks/results/engine/profile.md), the
 * thread that also stores, budgets and steers every island; here they use the other core. Same
 * Endpoint class, same requests, retries and errors: only the thread differs, and what a call
 * returns is its reply's content, so results cannot depend on which thread was quicker.
 * The thread starts on the first call and holds the process open only while calls are pending.
 */
export class HttpThread {
  private worker: Worker | undefined;
  private readonly opened = new Map<string, Extract<ToHttpWorker, { type: "open" }>>();
  private readonly pending = new Map<number, { resolve: (r: EndpointReply) => void; reject: (e: Error) => void; endpoint: ThreadEndpoint }>();
  private nextId = 0;
  private closed = false;

  /** An endpoint for model `key` whose requests go through this thread. */
  endpoint(key: string, cfg: ModelConfig, baseURL: string, apiKey: string, opts: EndpointOptions = {}): ChatEndpoint {
    const open: ToHttpWorker = { type: "open", key, cfg, baseURL, apiKey, opts };
    this.opened.set(key, open);
    this.worker?.postMessage(open);
    return new ThreadEndpoint(this, key, displayURL(baseURL));
  }

  /** @internal one call of `endpoint` */
  call(endpoint: ThreadEndpoint, messages: readonly ChatMessage[], params: Record<string, unknown>): Promise<EndpointReply> {
    if (this.closed) return Promise.reject(new Error("gateway: closed"));
    const worker = this.started();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, endpoint });
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ type: "call", id, key: endpoint.key, messages, params } satisfies ToHttpWorker);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const w = startWorker(import.meta.url, "http-worker");
    w.unref();
    w.on("message", (m: FromHttpWorker) => this.settle(m));
    // A thread that dies (out of memory, a bug) fails its calls; the next call starts a new one.
    const died = (why: string) => {
      if (this.worker !== w) return;
      this.worker = undefined;
      const calls = [...this.pending.values()];
      this.pending.clear();
      for (const c of calls) c.reject(new Error(`the HTTP thread stopped (${why}) with this call in flight`));
    };
    w.on("error", (e) => died(e.message));
    w.on("exit", (code) => died(`exit code ${code}`));
    for (const open of this.opened.values()) w.postMessage(open);
    this.worker = w;
    return w;
  }

  private settle(m: FromHttpWorker): void {
    const call = this.pending.get(m.id);
    if (!call) return;
    this.pending.delete(m.id);
    if (this.pending.size === 0) this.worker?.unref();
    call.endpoint.attemptsSent = Math.max(call.endpoint.attemptsSent, m.sent);
    if (m.type === "reply") call.resolve(m.reply);
    else call.reject(revive(m.error));
  }
}

class ThreadEndpoint implements ChatEndpoint {
  attemptsSent = 0;
  constructor(
    private readonly thread: HttpThread,
    readonly key: string,
    readonly where: string,
  ) {}

  complete(messages: readonly ChatMessage[], params: Record<string, unknown>): Promise<EndpointReply> {
    return this.thread.call(this, messages, params);
  }
}

/** The error as the gateway would have seen it in this thread: its class decides fatal or passing. */
function revive(e: WireError): Error {
  if (e.name === "LlmCallError") return new LlmCallError(e.message, e.modelKey ?? "", e.status, e.permanent ?? false);
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}
