import type { Role } from "../config/schema.js";
import type { Cost } from "../budget/types.js";
import type { ReplyKind } from "../store/types.js";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** A model call as the engine asks for it. The gateway picks the model from the role's binding. */
export interface CompletionRequest {
  role: Role;
  messages: ChatMessage[];
  /**
   * Logical position of the call, e.g. `island=2/gen=5/conv=3/turn=1/op=refine-author`.
   * Part of the cache key and of the seed sent to the endpoint, so a replay of the
   * same position returns the same text.
   */
  sampleKey: string;
  /** Cap on output tokens; also what the worst-case reservation assumes. */
  maxTokens?: number;
  temperature?: number;
  /** Model key that must serve this call instead of the role's binding (an island preset's own evolver). */
  model?: string;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  /** True when the endpoint reported no usage and it was estimated from text length. */
  estimated: boolean;
}

export interface CompletionResponse {
  text: string;
  /** `answer`, or what else the reply was (cut at the cap, empty, a refusal, tool calls): see chat-endpoint.ts. */
  kind: ReplyKind;
  /** The endpoint's finish_reason, or null when it gave none. */
  finishReason: string | null;
  /** The output cap the call was sent with. */
  maxTokens: number;
  /** Config key of the model that answered (e.g. `small`). */
  modelKey: string;
  usage: Usage;
  costUsd: number;
  /** Served from the run's response cache: no endpoint was called. */
  cached: boolean;
  /**
   * What the budget was charged for this use: the response's cost on its first use in the
   * account's scope, nothing after. Unlike `cached` (which depends on what an earlier piece of
   * a resumed run already fetched), the same in a replay as in the run. Absent outside the gateway.
   */
  charged?: Cost;
  latencyMs: number;
  attempts: number;
}

/** What operators and fitness functions call; bound to a budget account by whoever hands it out. */
export type Complete = (req: CompletionRequest) => Promise<CompletionResponse>;

/** A call that failed for good (after retries, or a permanent error such as 401/404). */
export class LlmCallError extends Error {
  constructor(
    message: string,
    readonly modelKey: string,
    readonly status?: number,
    readonly permanent = false,
  ) {
    super(message);
    this.name = "LlmCallError";
  }
}

/** A model call refused because the run is stopping (Ctrl-C, SIGTERM): conversations end as at a budget edge. */
export class RunStoppedError extends Error {
  constructor() {
    super("the run is stopping");
    this.name = "RunStoppedError";
  }
}

/**
 * What an error from a model call means to whoever made it: `budget` (no more calls: the
 * budget or a stop), `fatal` (a permanent endpoint error: stop the run), or `error`
 * (this attempt failed; the rest goes on). Read by name, so it also holds across threads.
 */
export function errorKind(e: unknown): "budget" | "fatal" | "error" {
  const err = e as { name?: string; permanent?: boolean } | null;
  if (err?.name === "BudgetExhaustedError" || err?.name === "RunStoppedError") return "budget";
  if (err?.name === "LlmCallError" && err.permanent === true) return "fatal";
  return "error";
}
