import type { Price } from "../config/schema.js";
import type { Cost } from "../budget/types.js";
import type { ChatMessage, Usage } from "./types.js";

/**
 * An upper bound on input tokens for any BPE tokenizer: a token covers at least one
 * byte, plus room for the per-message and per-request framing tokens chat templates add.
 */
export function inputTokenBound(messages: readonly ChatMessage[]): number {
  let bytes = 16;
  for (const m of messages) bytes += Buffer.byteLength(m.content, "utf8") + 8;
  return bytes;
}

export function usdOf(inputTokens: number, outputTokens: number, price: Price | undefined): number {
  if (!price) return 0;
  return (inputTokens * price.inputPerM + outputTokens * price.outputPerM) / 1e6;
}

/** What a call may cost at most: reserved before it starts. */
export function worstCase(messages: readonly ChatMessage[], maxTokens: number, price: Price | undefined): Cost {
  const input = inputTokenBound(messages);
  return { usd: usdOf(input, maxTokens, price), tokens: input + maxTokens, calls: 1 };
}

export function costOfUsage(usage: Pick<Usage, "inputTokens" | "outputTokens">, usd: number): Cost {
  return { usd, tokens: usage.inputTokens + usage.outputTokens, calls: 1 };
}

/** Endpoint-reported usage where present; a chars/4 estimate (flagged) where not. */
export function resolveUsage(
  reported: { prompt_tokens?: unknown; completion_tokens?: unknown } | null | undefined,
  messages: readonly ChatMessage[],
  text: string,
): Usage {
  const inp = reported?.prompt_tokens;
  const out = reported?.completion_tokens;
  const valid = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0;
  const chars = messages.reduce((s, m) => s + m.content.length, 0);
  return {
    inputTokens: valid(inp) ? inp : Math.ceil(chars / 4),
    outputTokens: valid(out) ? out : Math.ceil(text.length / 4),
    estimated: !valid(inp) || !valid(out),
  };
}
