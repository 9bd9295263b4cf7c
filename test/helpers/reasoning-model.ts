import type { FakeReply, RecordedRequest } from "./fake-openai-server.js";

/**
 * A fake endpoint that behaves like an OpenAI reasoning model (o-series, gpt-5), as their API
 * documents it: `max_tokens` is refused (use `max_completion_tokens`), so is any temperature
 * but 1; the model spends reasoning tokens (set by `reasoning_effort`) out of the completion
 * cap before it writes, and when the cap runs out first it returns content "" with
 * finish_reason `length`, usage counting the whole cap.
 */
export const REASONING_TOKENS: Record<string, number> = { low: 300, medium: 1200, high: 3000 };

export function reasoningModel(answer: (req: RecordedRequest) => FakeReply): (req: RecordedRequest) => FakeReply {
  return (req) => {
    const body = req.body ?? {};
    if (body.max_tokens !== undefined) {
      return badRequest("Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", "max_tokens", "unsupported_parameter");
    }
    if (body.temperature !== undefined && body.temperature !== 1) {
      return badRequest(`Unsupported value: 'temperature' does not support ${body.temperature} with this model. Only the default (1) value is supported.`, "temperature", "unsupported_value");
    }
    const reasoning = REASONING_TOKENS[body.reasoning_effort ?? "medium"] ?? REASONING_TOKENS.medium!;
    const cap = typeof body.max_completion_tokens === "number" ? body.max_completion_tokens : 100_000;
    const messages = (body.messages ?? []) as { content: string }[];
    const prompt_tokens = messages.reduce((s, m) => s + Math.ceil(m.content.length / 4), 0);
    const healthy = answer(req);
    if (healthy.kind !== "ok") return healthy;
    const text = healthy.text ?? "";
    const written = Math.ceil(text.length / 4);
    if (reasoning + written > cap) {
      return { kind: "ok", text: "", finishReason: "length", usage: { prompt_tokens, completion_tokens: cap, completion_tokens_details: { reasoning_tokens: Math.min(cap, reasoning) } } };
    }
    return { kind: "ok", text, usage: { prompt_tokens, completion_tokens: reasoning + written, completion_tokens_details: { reasoning_tokens: reasoning } } };
  };
}

function badRequest(message: string, param: string, code: string): FakeReply {
  return { kind: "status", status: 400, body: { error: { message, type: "invalid_request_error", param, code } } };
}
