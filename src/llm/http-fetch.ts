/**
 * The `fetch` the openai SDK is given: the global fetch, with each call's own context carried
 * in `init` under CALL_CONTEXT (the SDK copies `fetchOptions` into every request it makes for
 * the call, retries included), so the endpoint counts attempts without AsyncLocalStorage and
 * the promise tracking it turns on for the whole process.
 *
 * undici's `request` in place of the global fetch cut the client's CPU per call but, under
 * load, lost a reply the server had sent (test/faults/budget-integrity.test.ts); not used.
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
