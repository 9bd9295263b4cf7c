import { parentPort } from "node:worker_threads";
import type { ModelConfig } from "../config/schema.js";
import type { EndpointReply } from "./chat-endpoint.js";
import { Endpoint, type EndpointOptions } from "./endpoint.js";
import { LlmCallError, type ChatMessage } from "./types.js";

/** The HTTP thread (see http-thread.ts): real Endpoints, one per model, answering calls by id. */
export type ToHttpWorker =
  | { type: "open"; key: string; cfg: ModelConfig; baseURL: string; apiKey: string; opts: EndpointOptions }
  | { type: "call"; id: number; key: string; messages: readonly ChatMessage[]; params: Record<string, unknown> };

export interface WireError {
  name: string;
  message: string;
  modelKey?: string;
  status?: number;
  permanent?: boolean;
}

/** `sent`: the endpoint's requests so far, retries included, after this call. */
export type FromHttpWorker = { type: "reply"; id: number; reply: EndpointReply; sent: number } | { type: "error"; id: number; error: WireError; sent: number };

const port = parentPort;
if (port) {
  const endpoints = new Map<string, Endpoint>();
  port.on("message", (m: ToHttpWorker) => {
    if (m.type === "open") {
      endpoints.set(m.key, new Endpoint(m.key, m.cfg, m.baseURL, m.apiKey, m.opts));
      return;
    }
    const endpoint = endpoints.get(m.key);
    if (!endpoint) {
      port.postMessage({ type: "error", id: m.id, error: { name: "Error", message: `HTTP thread: no endpoint '${m.key}'` }, sent: 0 } satisfies FromHttpWorker);
      return;
    }
    endpoint.complete(m.messages, m.params).then(
      (reply) => port.postMessage({ type: "reply", id: m.id, reply, sent: endpoint.attemptsSent } satisfies FromHttpWorker),
      (err: unknown) => port.postMessage({ type: "error", id: m.id, error: wire(err), sent: endpoint.attemptsSent } satisfies FromHttpWorker),
    );
  });
}

function wire(err: unknown): WireError {
  if (err instanceof LlmCallError) return { name: err.name, message: err.message, modelKey: err.modelKey, status: err.status, permanent: err.permanent };
  const e = err as { name?: unknown; message?: unknown } | null;
  return { name: typeof e?.name === "string" ? e.name : "Error", message: typeof e?.message === "string" ? e.message : String(err) };
}
