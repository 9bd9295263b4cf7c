import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from "openai";
import type { ChatCompletionCreateParamsNonStreaming } from "openai/resources/chat/completions";
import type { ModelConfig } from "../config/schema.js";
import type { ChatEndpoint, EndpointReply } from "./chat-endpoint.js";
import { CALL_CONTEXT, contextFetch, type CallContext, type ContextFetch } from "./http-fetch.js";
import { LlmCallError, type ChatMessage } from "./types.js";

/** Key sent to endpoints that need none (local servers, the sim); the SDK insists on some key. */
export const NO_KEY = "not-needed";

/** Extra tries when an endpoint answers 200 but with no text (no choices, null content, bad JSON). */
const EMPTY_REPLY_RETRIES = 2;

/**
 * Environment variable that sets the first retry delay, in ms, for failures that carry no
 * `Retry-After` / `retry-after-ms` header (timeouts, dropped connections, bare 429 and 5xx).
 * Later retries double it, up to 16 times the first, with the SDK's 25 % jitter. Unset, the
 * SDK's own backoff applies (0.5 s doubling to 8 s). A server's Retry-After always wins.
 * Meant for tests and local endpoints; read through the gateway's `env`.
 */
export const RETRY_BASE_ENV = "HARNESS_EVOLVE_RETRY_BASE_MS";

export interface EndpointOptions {
  /** First retry delay (ms) when the endpoint names none; undefined keeps the SDK's default. */
  retryBaseMs?: number;
}

/** One model's OpenAI-compatible HTTP client: the only code that sends requests to an endpoint. */
export class Endpoint implements ChatEndpoint {
  private readonly client: OpenAI;
  private readonly http: ContextFetch;
  /** The base URL for messages, without any user:password part. */
  readonly where: string;
  /** HTTP requests sent so far, retries included (failed calls too). */
  attemptsSent = 0;

  constructor(
    readonly key: string,
    readonly cfg: ModelConfig,
    baseURL: string,
    private readonly apiKey: string,
    opts: EndpointOptions = {},
  ) {
    this.http = contextFetch();
    this.client = new OpenAI({
      baseURL,
      apiKey,
      maxRetries: cfg.maxRetries,
      timeout: cfg.timeoutMs,
      fetch: this.http.fetch,
      // Don't forward OPENAI_ORG_ID / OPENAI_PROJECT_ID from the environment to arbitrary endpoints.
      organization: null,
      project: null,
    });
    this.where = displayURL(baseURL);
    if (opts.retryBaseMs !== undefined) setRetryBase(this.client, opts.retryBaseMs);
    stopRetryingRefusedParameters(this.client, this.http);
  }

  async complete(messages: readonly ChatMessage[], params: Record<string, unknown>): Promise<EndpointReply> {
    const counter: CallContext = { n: 0, fields: Object.keys(params) };
    try {
      return await this.send(messages, params, counter);
    } finally {
      this.attemptsSent += counter.n;
    }
  }

  private async send(messages: readonly ChatMessage[], params: Record<string, unknown>, counter: CallContext): Promise<EndpointReply> {
    const body = { ...params, model: this.cfg.model, messages: messages.map((m) => ({ role: m.role, content: m.content })), stream: false };
    let lastProblem = "";
    for (let attempt = 0; attempt <= Math.min(EMPTY_REPLY_RETRIES, this.cfg.maxRetries); attempt++) {
      let reply: unknown;
      try {
        // The SDK copies fetchOptions into each of its requests for this call, retries included.
        reply = await this.client.chat.completions.create(body as ChatCompletionCreateParamsNonStreaming, { fetchOptions: { [CALL_CONTEXT]: counter } as object });
      } catch (err) {
        if (err instanceof SyntaxError) {
          lastProblem = "replied with a body that is not JSON";
          continue;
        }
        throw this.failure(err, counter);
      }
      const read = readReply(reply);
      if (read !== undefined) {
        return { ...read, usage: (reply as { usage?: EndpointReply["usage"] }).usage ?? undefined, attempts: counter.n };
      }
      lastProblem = typeof reply === "object" && reply !== null ? "replied with no message text" : "replied with a body that is not a chat completion";
    }
    throw new LlmCallError(this.redact(`${this.label()}: ${lastProblem} (${counter.n} attempts) — check that the endpoint speaks the OpenAI chat-completions API`), this.key);
  }

  private label(): string {
    return `model '${this.key}' (${this.cfg.model} at ${this.where})`;
  }

  /** Turn an SDK error into an LlmCallError that says what to fix and never shows the key. */
  private failure(err: unknown, counter: CallContext): LlmCallError {
    const attempts = counter.n;
    const tries = `${attempts} attempt${attempts === 1 ? "" : "s"}`;
    if (err instanceof APIConnectionTimeoutError) {
      return new LlmCallError(this.redact(`${this.label()}: timed out after ${tries} — raise models.${this.key}.timeoutMs or check the endpoint`), this.key);
    }
    if (err instanceof APIConnectionError) {
      return new LlmCallError(this.redact(`${this.label()}: could not connect after ${tries} — check that models.${this.key}.baseURL is reachable`), this.key);
    }
    if (err instanceof APIError && typeof err.status === "number") {
      const status = err.status;
      // Masked before serverMessage cuts it to length: a cut inside an echoed key would leave a piece the mask cannot find.
      const said = serverMessage(err, (t) => this.redact(t));
      // 4xx other than 408/409/429 are not worth retrying: the request itself is wrong.
      const permanent = status >= 400 && status < 500 && ![408, 409, 429].includes(status);
      if (status >= 500 && namesParameter(said, counter.fields)) {
        // Some servers (llama.cpp) answer a parameter they refuse with a 500: no retry will help.
        return new LlmCallError(
          this.redact(`${this.label()}: ${status} the endpoint refused a parameter (${said}) after ${tries} — change or remove it in models.${this.key}.params, or see whether the server supports it`),
          this.key,
          status,
          true,
        );
      }
      const message = permanent ? `${status} ${this.hint(status, said)}` : `${status}${said ? ` ${said}` : ""} after ${tries} — the endpoint kept failing; try again later or lower the concurrency`;
      return new LlmCallError(this.redact(`${this.label()}: ${message}`), this.key, status, permanent);
    }
    const what = err instanceof Error ? err.message : String(err);
    return new LlmCallError(this.redact(`${this.label()}: ${what}`), this.key);
  }

  private hint(status: number, said: string): string {
    const env = this.cfg.apiKeyEnv;
    const detail = said ? ` (${said})` : "";
    switch (status) {
      case 401:
        return env
          ? `unauthorized${detail} — check the key in ${env}`
          : `unauthorized${detail} — the endpoint wants a key: set models.${this.key}.apiKeyEnv to the variable that holds it`;
      case 403:
        return `forbidden${detail} — check that the key${env ? ` in ${env}` : ""} may use model '${this.cfg.model}'`;
      case 404:
        return `not found${detail} — check models.${this.key}.model and models.${this.key}.baseURL`;
      default:
        if (/temperature|top_p/i.test(said)) {
          return `bad request${detail} — model '${this.cfg.model}' takes no sampling temperature (a reasoning model): set models.${this.key}.reasoning: true, and no temperature or topP in its params`;
        }
        if (/max_tokens|max_completion_tokens/i.test(said)) {
          return `bad request${detail} — set models.${this.key}.reasoning: true (the cap is then sent as max_completion_tokens), or name it params.maxCompletionTokens`;
        }
        return `bad request${detail} — check models.${this.key}.params`;
    }
  }

  /** Endpoints sometimes echo the key they were sent; it must never reach a message or a log. */
  private redact(text: string): string {
    if (this.apiKey === NO_KEY || this.apiKey.length < 4) return text;
    return text.split(this.apiKey).join("***");
  }
}

/**
 * Whether an error message is about a request parameter: it says so in words, or names a
 * field the body carried ("Only one completion choice is allowed" is about `n`).
 */
export function namesParameter(message: string, fields: readonly string[]): boolean {
  if (/\b(param(eter)?s?|unsupported|not supported|(is|are) (not )?allowed|unknown (field|argument|key)|unrecognized|invalid (value|argument|type) for)\b/i.test(message)) return true;
  return fields.some((f) => f.length >= 3 && new RegExp(`\\b${f.replace(/[^A-Za-z0-9_]/g, "")}\\b`).test(message));
}

/**
 * A 5xx that names a parameter is retried once (a server may fail for another reason at the
 * same moment), then no more: the SDK's `shouldRetry(response)` is wrapped on this client, its
 * absence (a changed SDK) leaving the default behaviour.
 */
function stopRetryingRefusedParameters(client: OpenAI, http: ContextFetch): void {
  const target = client as unknown as { shouldRetry?: (response: Response) => Promise<boolean> };
  const original = target.shouldRetry?.bind(client);
  if (!original) return;
  target.shouldRetry = async (response: Response) => {
    const counter = http.contextOf(response);
    if (response.status >= 500 && counter && counter.n >= 2) {
      const body = await response.clone().text().catch(() => "");
      if (namesParameter(body, counter.fields)) return false;
    }
    return original(response);
  };
}

/**
 * Replace the SDK's default backoff (used only when a failure names no delay) by the same
 * schedule from another first delay. The SDK has no public option for it; its method
 * `calculateDefaultRetryTimeoutMillis(retriesRemaining, maxRetries)` is overridden on
 * this one client, and its absence (a changed SDK) is an error rather than a silent no-op.
 */
function setRetryBase(client: OpenAI, baseMs: number): void {
  const target = client as unknown as { calculateDefaultRetryTimeoutMillis?: (remaining: number, max: number) => number };
  if (typeof target.calculateDefaultRetryTimeoutMillis !== "function") {
    throw new Error(`${RETRY_BASE_ENV}: this version of the openai SDK has no default-backoff hook; unset the variable`);
  }
  target.calculateDefaultRetryTimeoutMillis = (remaining, max) => {
    const delay = Math.min(baseMs * 2 ** Math.max(0, max - remaining), baseMs * 16);
    return delay * (1 - Math.random() * 0.25);
  };
}

/**
 * The first choice's text, finish_reason, refusal and tool calls; undefined when the body is
 * no chat completion at all (worth a retry). A null content is an answer of "" when the reply
 * says why (cut by the cap, a refusal, tool calls): that is recorded, not retried.
 */
function readReply(reply: unknown): Pick<EndpointReply, "text" | "finishReason" | "refusal" | "toolCalls"> | undefined {
  if (typeof reply !== "object" || reply === null) return undefined;
  const choices = (reply as { choices?: unknown }).choices;
  if (!Array.isArray(choices) || choices.length === 0) return undefined;
  const choice = choices[0] as { message?: { content?: unknown; refusal?: unknown; tool_calls?: unknown }; finish_reason?: unknown } | undefined;
  const message = choice?.message;
  const finishReason = typeof choice?.finish_reason === "string" ? choice.finish_reason : null;
  const refusal = typeof message?.refusal === "string" && message.refusal !== "" ? message.refusal : undefined;
  const toolCalls = Array.isArray(message?.tool_calls) ? message.tool_calls.length : 0;
  const content = message?.content ?? null;
  if (content !== null && typeof content !== "string") return undefined;
  // No text and no reason why: worth another try.
  if (content === null && finishReason !== "length" && refusal === undefined && toolCalls === 0) return undefined;
  return {
    text: content ?? "",
    finishReason,
    ...(refusal !== undefined ? { refusal } : {}),
    ...(toolCalls > 0 ? { toolCalls } : {}),
  };
}

/** The endpoint's error message on one line, the key masked (by `redact`), at most 200 characters. */
function serverMessage(err: APIError, redact: (text: string) => string): string {
  const body = err.error as { message?: unknown } | undefined;
  const raw = typeof body?.message === "string" ? body.message : err.message.replace(/^\d{3}\s*/, "");
  const oneLine = redact(raw).replace(/\s+/g, " ").trim();
  return oneLine.length > 200 ? `${oneLine.slice(0, 200)}…` : oneLine;
}

/** A base URL for people: without any user:password part and without a trailing slash. */
export function displayURL(baseURL: string): string {
  try {
    const u = new URL(baseURL);
    u.username = "";
    u.password = "";
    return u.toString().replace(/\/$/, "");
  } catch {
    return baseURL;
  }
}
