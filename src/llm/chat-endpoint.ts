import type { ReplyKind } from "../store/types.js";
import type { ChatMessage } from "./types.js";

export type { ReplyKind };

/*
 * What a reply was, beyond its text. Only `answer` is an answer: the others are recorded per
 * call, counted in the summary, and a task answered by one of them fails with that reason.
 *  - `truncated`: the output cap cut the reply (finish_reason `length`), text may be empty
 *    (a reasoning model that spent the cap thinking) or cut mid-way;
 *  - `empty`: the reply finished but holds no text;
 *  - `refusal`: the model refused (the `refusal` field of the message), no text;
 *  - `tool_calls`: the model asked for tools and wrote no text.
 * (The type lives with run.db's rows, where each response keeps its kind.)
 */
export const REPLY_KINDS: readonly ReplyKind[] = ["answer", "truncated", "empty", "refusal", "tool_calls"];

export interface EndpointReply {
  text: string;
  usage: { prompt_tokens?: unknown; completion_tokens?: unknown } | undefined;
  /** HTTP requests made, retries included (1 for an in-process engine). */
  attempts: number;
  /** The endpoint's finish_reason, as it said it (`stop`, `length`, ...), or null when it gave none. */
  finishReason: string | null;
  /** The refusal text, when the model refused. */
  refusal?: string;
  /** Tool calls the model asked for (they are not run: the user role answers in text). */
  toolCalls?: number;
}

/**
 * One model's way of answering a chat: an OpenAI-compatible HTTP endpoint, or an engine in
 * this process (a GGUF file). The gateway sees only this; budget, cache and replay are its own.
 */
export interface ChatEndpoint {
  /** Where the model is, for messages (a base URL without credentials, or a file path). */
  readonly where: string;
  /** Requests sent so far, retries included (failed calls too). */
  readonly attemptsSent: number;
  complete(messages: readonly ChatMessage[], params: Record<string, unknown>): Promise<EndpointReply>;
  /** Free what the endpoint holds (an in-process model's memory); HTTP endpoints hold nothing. */
  close?(): Promise<void>;
}

/** Classify a reply from its text, finish_reason, refusal and tool calls. */
export function replyKind(reply: Pick<EndpointReply, "text" | "finishReason" | "refusal" | "toolCalls">): ReplyKind {
  const blank = reply.text.trim() === "";
  if (blank && reply.refusal) return "refusal";
  if (blank && (reply.toolCalls ?? 0) > 0) return "tool_calls";
  if (reply.finishReason === "length") return "truncated";
  if (blank) return "empty";
  return "answer";
}
