/**
 * The `fetch` the openai SDK is given: the global fetch, with each call's own context carried
 * in `init` under CALL_CONTEXT (the SDK copies `fetchOptions` into every request it makes for
 * the call, retries included), so the endpoint counts attempts without AsyncLocalStorage,
 * which turns on promise tracking for the whole process (~0.3 ms CPU per call,
 * benchmarks/engine/http-path.mjs).
 *
 * Tried and dropped (issue 10): undici's `request` under the SDK (~40 % less client CPU per
 * call) dropped replies under load in test/faults/budget-integrity.test.ts: a reply the fake
 * server sent was not recorded, and paid again; not understood yet, so not shipped.
 */
export const CALL_CONTEXT = Symbol("harness-evolve call context");

export interface CallContext {
  /** HTTP requests sent for this call so far. */
  n: number;
  /** The body's field names, to tell a 5xx that names one of them. */
  fields: readonly string[];
}

export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface ContextFetch {
  fetch: Fetch;
  /** The call a response answered (for the SDK's retry hook, which sees only the response). */
  contextOf(response: Response): CallContext | undefined;
}

type Init = RequestInit & { [CALL_CONTEXT]?: CallContext };

export function contextFetch(): ContextFetch {
  const contexts = new WeakMap<Response, CallContext>();
  const fetchWithContext: Fetch = async (input, init = {}) => {
    const context = (init as Init)[CALL_CONTEXT];
    if (context) context.n++;
    const response = await fetch(input, init);
    if (context) contexts.set(response, context);
    return response;
  };
  return { fetch: fetchWithContext, contextOf: (r) => contexts.get(r) };
}
