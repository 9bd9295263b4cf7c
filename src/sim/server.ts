/**
 * A real OpenAI-compatible HTTP server over loopback, so the engine talks to
 * the sim through exactly the client code real endpoints use.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isSimModel } from "./models.js";
import { modelList, openAIError, simRespond, type SimReply } from "./respond.js";
import type { WorldKnobs } from "./presets.js";
import { createWorld } from "./world.js";

export interface SimServerOptions {
  port?: number;
  host?: string;
  /** World seed. */
  world?: number;
  /** How rugged the world is (presets.ts); separable when absent. */
  knobs?: WorldKnobs;
  /** Delay before each chat completion reply, so throughput figures mean something. */
  latencyMs?: number;
}

export interface SimServer {
  baseURL: string;
  port: number;
  close(): Promise<void>;
}

const MAX_BODY = 16 * 1024 * 1024;

function send(res: ServerResponse, reply: SimReply): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on("end", () => resolve(size > MAX_BODY ? undefined : Buffer.concat(chunks).toString("utf8")));
    req.on("error", () => resolve(undefined));
  });
}

export async function startSimServer(opts: SimServerOptions = {}): Promise<SimServer> {
  const world = createWorld(opts.world ?? 1, opts.knobs);
  const latency = Math.max(0, opts.latencyMs ?? 0);
  const host = opts.host ?? "127.0.0.1";
  const timers = new Set<NodeJS.Timeout>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? "/").split("?")[0]!.replace(/\/+$/, "");
    if (req.method === "GET" && path === "/v1/models") return send(res, { status: 200, body: modelList() });
    const one = /^\/v1\/models\/(.+)$/.exec(path);
    if (req.method === "GET" && one) {
      const id = decodeURIComponent(one[1]!);
      return send(res, isSimModel(id)
        ? { status: 200, body: { id, object: "model", created: 0, owned_by: "harness-evolve-sim" } }
        : openAIError(404, `The model '${id}' does not exist.`, "invalid_request_error", "model", "model_not_found"));
    }
    if (req.method !== "POST" || path !== "/v1/chat/completions") {
      return send(res, openAIError(404, `Unknown route: ${req.method} ${path}`, "invalid_request_error", null, "unknown_url"));
    }
    const raw = await readBody(req);
    if (raw === undefined) return send(res, openAIError(413, "Request body too large or unreadable.", "invalid_request_error", null, null));
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return send(res, openAIError(400, "The request body is not valid JSON.", "invalid_request_error", null, null));
    }
    const reply = simRespond(world, body);
    if (latency === 0) return send(res, reply);
    const t = setTimeout(() => {
      timers.delete(t);
      send(res, reply);
    }, latency);
    timers.add(t);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => send(res, openAIError(500, `sim server error: ${String(e)}`, "server_error", null, null)));
  });
  server.on("clientError", (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    baseURL: `http://${urlHost}:${port}/v1`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
