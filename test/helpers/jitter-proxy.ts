import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface JitterProxy {
  /** Base URL to give the models (ends in /v1, like the target's). */
  baseURL: string;
  /** Requests forwarded so far. */
  forwarded(): number;
  close(): Promise<void>;
}

/**
 * An OpenAI-compatible endpoint in front of another that holds every response back by a random
 * 0..maxDelayMs (Math.random: a different order of completions on every run). It changes only
 * when answers arrive, never what they say, so a run through it must equal a run without it.
 */
export async function startJitterProxy(targetBaseURL: string, maxDelayMs = 40): Promise<JitterProxy> {
  const target = new URL(targetBaseURL);
  let count = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      count++;
      void forward(req.method ?? "GET", req.url ?? "/", req.headers["content-type"], Buffer.concat(chunks)).then(
        async (reply) => {
          await new Promise((r) => setTimeout(r, Math.random() * maxDelayMs));
          res.writeHead(reply.status, { "content-type": reply.type });
          res.end(reply.body);
        },
        (e: unknown) => {
          res.writeHead(502, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: { message: `jitter proxy: ${(e as Error).message}` } }));
        },
      );
    });
  });
  async function forward(method: string, path: string, type: string | undefined, body: Buffer) {
    // The proxy's /v1/... maps onto the target's /v1/...: both base URLs end in /v1.
    const url = new URL(path, `${target.protocol}//${target.host}`);
    const r = await fetch(url, { method, headers: type ? { "content-type": type } : {}, body: method === "GET" ? undefined : body });
    return { status: r.status, type: r.headers.get("content-type") ?? "application/json", body: Buffer.from(await r.arrayBuffer()) };
  }
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}${target.pathname.replace(/\/$/, "")}`,
    forwarded: () => count,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}
