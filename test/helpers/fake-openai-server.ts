import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** What the fake endpoint does with one request. */
export type FakeReply =
  | {
      kind: "ok";
      /** null sends `content: null` (with a finish_reason that says why, e.g. `length`). */
      text?: string | null;
      usage?: { prompt_tokens: number; completion_tokens: number; completion_tokens_details?: { reasoning_tokens: number } } | null;
      delayMs?: number;
      /** Default `stop`. */
      finishReason?: string;
    }
  | { kind: "status"; status: number; headers?: Record<string, string>; body?: unknown }
  /** Never answer (the client's timeout must fire). */
  | { kind: "hang" }
  /** Close the connection without a reply. */
  | { kind: "drop" }
  /** 200 with a JSON content type but a body that does not parse. */
  | { kind: "non-json" }
  | { kind: "no-choices" }
  | { kind: "null-content" };

export interface RecordedRequest {
  path: string;
  /** performance.now() when the request arrived. */
  at: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

export interface FakeOpenAI {
  /** `http://127.0.0.1:<port>/v1` */
  baseURL: string;
  requests: RecordedRequest[];
  served: { requests: number; ok: number; promptTokens: number; completionTokens: number };
  /** Requests being handled now, and the most at once so far (to check concurrency limits). */
  concurrency: { now: number; max: number };
  /** Replies for the next requests, in order; when the queue is empty `fallback` answers. */
  enqueue(...replies: FakeReply[]): void;
  fallback: (req: RecordedRequest) => FakeReply;
  /**
   * When set, a request whose `Authorization` is not `Bearer <requireKey>` gets a 401 (and
   * counts in `unauthorized`) before the queue or the fallback is consulted.
   */
  requireKey?: string;
  unauthorized: number;
  close(): Promise<void>;
}

/** The default answer: a text that depends on the request, with usage from its length. */
export function echoReply(req: RecordedRequest): FakeReply {
  const messages = (req.body?.messages ?? []) as { content: string }[];
  const last = messages[messages.length - 1]?.content ?? "";
  return { kind: "ok", text: `answer(${req.body?.seed}) to: ${last}` };
}

/**
 * A generic "model" that plays every role of a campaign, so a whole run can go to one
 * fake endpoint: an evolver prompt (an `<operator>` block) gets a `<critique>` for the
 * refine-critic step and otherwise a `<harness>`, the first parent's text plus one line
 * naming the request's seed (so every child is new); a verifier prompt (a `<rubric>`)
 * gets `Score: 8/10`; anything else, a task, gets `Final answer: 4`. Usage is counted
 * from text length, as for every `ok` reply.
 */
export function genericModelReply(req: RecordedRequest): FakeReply {
  const messages = (req.body?.messages ?? []) as { content: string }[];
  const prompt = messages.map((m) => m.content).join("\n");
  const step = /<operator>\s*([a-z-]+)\s*<\/operator>/.exec(prompt)?.[1];
  if (step === "refine-critic") return { kind: "ok", text: `<critique>\nState the answer format once, at the end. (${req.body?.seed})\n</critique>` };
  if (step !== undefined) {
    const parent = /<harness[^>]*>\n?([\s\S]*?)\n?<\/harness>/.exec(prompt)?.[1] ?? "You solve short tasks.";
    return { kind: "ok", text: `Here is the new harness.\n<harness>\n${parent}\n- Check the result before answering (variant ${req.body?.seed}).\n</harness>` };
  }
  if (prompt.includes("<rubric>")) return { kind: "ok", text: "The answer meets the rubric.\nScore: 8/10" };
  return { kind: "ok", text: "2 + 2 = 4.\nFinal answer: 4" };
}

/**
 * A tiny OpenAI chat-completions server for tests, scriptable per request: rate limits
 * with Retry-After, 5xx, hangs, dropped connections, malformed bodies, missing usage.
 */
export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const queue: FakeReply[] = [];
  const sockets = new Set<Socket>();
  const fake: FakeOpenAI = {
    baseURL: "",
    requests: [],
    served: { requests: 0, ok: 0, promptTokens: 0, completionTokens: 0 },
    concurrency: { now: 0, max: 0 },
    enqueue: (...replies) => void queue.push(...replies),
    fallback: echoReply,
    unauthorized: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };

  const server = createServer((req, res) => {
    fake.concurrency.now++;
    fake.concurrency.max = Math.max(fake.concurrency.max, fake.concurrency.now);
    res.on("close", () => fake.concurrency.now--);
    void readBody(req).then((raw) => {
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
      const recorded: RecordedRequest = { path: req.url ?? "", at: performance.now(), headers: req.headers, body };
      fake.requests.push(recorded);
      fake.served.requests++;
      if (!req.url?.endsWith("/chat/completions") || req.method !== "POST") {
        return send(res, 404, { error: { message: `no route ${req.method} ${req.url}` } });
      }
      if (fake.requireKey !== undefined && req.headers.authorization !== `Bearer ${fake.requireKey}`) {
        fake.unauthorized++;
        return send(res, 401, { error: { message: "missing or wrong API key", type: "invalid_request_error", code: "invalid_api_key" } });
      }
      respond(fake, queue.shift() ?? fake.fallback(recorded), recorded, req, res);
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  fake.baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return fake;
}

function respond(fake: FakeOpenAI, reply: FakeReply, recorded: RecordedRequest, req: IncomingMessage, res: ServerResponse): void {
  switch (reply.kind) {
    case "hang":
      return;
    case "drop":
      req.socket.destroy();
      return;
    case "status":
      return send(res, reply.status, reply.body ?? { error: { message: `status ${reply.status}` } }, reply.headers);
    case "non-json":
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{ this is not json");
      return;
    case "no-choices":
      return send(res, 200, { id: "x", object: "chat.completion", choices: [], usage: { prompt_tokens: 1, completion_tokens: 0 } });
    case "null-content":
      return send(res, 200, completion(recorded, null, { prompt_tokens: 1, completion_tokens: 0 }));
    case "ok": {
      const text = reply.text === undefined ? "ok" : reply.text;
      const messages = (recorded.body?.messages ?? []) as { content: string }[];
      const usage =
        reply.usage === null
          ? undefined
          : (reply.usage ?? { prompt_tokens: messages.reduce((s, m) => s + Math.ceil(m.content.length / 4), 0), completion_tokens: Math.ceil((text ?? "").length / 4) });
      const finish = () => {
        fake.served.ok++;
        fake.served.promptTokens += usage?.prompt_tokens ?? 0;
        fake.served.completionTokens += usage?.completion_tokens ?? 0;
        send(res, 200, completion(recorded, text, usage, reply.finishReason));
      };
      if (reply.delayMs) setTimeout(finish, reply.delayMs);
      else finish();
      return;
    }
  }
}

function completion(req: RecordedRequest, content: string | null, usage: { prompt_tokens: number; completion_tokens: number } | undefined, finishReason = "stop") {
  return {
    id: "chatcmpl-fake",
    object: "chat.completion",
    created: 0,
    model: req.body?.model ?? "fake",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: finishReason }],
    ...(usage ? { usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } } : {}),
  };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", () => resolve(""));
  });
}
