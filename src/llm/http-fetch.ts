import { Agent, request } from "undici";

/**
 * The `fetch` the openai SDK is given: undici's `request` over a keep-alive connection pool
 * sized to the model's concurrency, the whole body read before the SDK sees it (no streaming
 * replies here). The global fetch is the same client with the WHATWG fetch machinery around
 * it (Request objects, web streams, header guards), which cost about as much CPU per call as
 * the rest of the engine (benchmarks/engine/http-path.mjs measures both).
 *
 * Each call carries its own context in `init` under CALL_CONTEXT (the SDK copies
 * `fetchOptions` into every request it makes for the call, retries included), so the
 * endpoint counts attempts without an async-context lookup.
 */
export const CALL_CONTEXT = Symbol("harness-evolve call context");

export interface CallContext {
  /** HTTP requests sent for this call so far. */
  n: number;
  /** The body's field names, to tell a 5xx that names one of them. */
  fields: readonly string[];
}

export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface PooledFetch {
  fetch: Fetch;
  /** The call a response answered (for the SDK's retry hook, which sees only the response). */
  contextOf(response: Response): CallContext | undefined;
  close(): Promise<void>;
}

type Init = RequestInit & { [CALL_CONTEXT]?: CallContext };

export function pooledFetch(connections: number): PooledFetch {
  const dispatcher = new Agent({ connections, pipelining: 1 });
  const contexts = new WeakMap<Response, CallContext>();
  const fetch: Fetch = async (input, init = {}) => {
    const context = (init as Init)[CALL_CONTEXT];
    if (context) context.n++;
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const res = await request(url, {
      method: (init.method ?? "GET") as "GET",
      headers: headerPairs(init.headers),
      body: init.body as string | Buffer | undefined,
      signal: init.signal ?? undefined,
      dispatcher,
    });
    const body = await res.body.arrayBuffer();
    const headers = new Headers();
    for (const [name, value] of Object.entries(res.headers)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
    }
    // A null-body status (204, 304) must not be given a body, even an empty one.
    const response = new Response(nullBody(res.statusCode) ? null : body, { status: res.statusCode, headers });
    if (context) contexts.set(response, context);
    return response;
  };
  return { fetch, contextOf: (r) => contexts.get(r), close: () => dispatcher.close() };
}

function headerPairs(h: RequestInit["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  if (h === undefined) return out;
  if (h instanceof Headers || Array.isArray(h)) {
    for (const [k, v] of h as Iterable<[string, string]>) out[k] = v;
    return out;
  }
  return { ...(h as Record<string, string>) };
}

function nullBody(status: number): boolean {
  return status === 101 || status === 204 || status === 205 || status === 304;
}
