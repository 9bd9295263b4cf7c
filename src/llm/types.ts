import type { Role } from "../config/schema.js";

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
  /** Config key of the model that answered (e.g. `small`). */
  modelKey: string;
  usage: Usage;
  costUsd: number;
  /** Served from the run's response cache: no endpoint was called. */
  cached: boolean;
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
