import type { Complete, CompletionRequest, CompletionResponse } from "../../src/llm/types.js";

/** A response as the gateway would return it; usage from text length, deterministic. */
export function response(text: string, over: Partial<CompletionResponse> = {}): CompletionResponse {
  return {
    text,
    kind: "answer",
    finishReason: "stop",
    maxTokens: 512,
    modelKey: "fake",
    usage: { inputTokens: 10, outputTokens: Math.ceil(text.length / 4), estimated: false },
    costUsd: 0.001,
    cached: false,
    latencyMs: 0,
    attempts: 1,
    ...over,
  };
}

/** A fake model: `reply` maps each request to its text; every request is recorded. */
export function fakeComplete(reply: (req: CompletionRequest) => string | Promise<string>): Complete & { calls: CompletionRequest[] } {
  const calls: CompletionRequest[] = [];
  const fn = async (req: CompletionRequest) => {
    calls.push(req);
    return response(await reply(req));
  };
  return Object.assign(fn, { calls });
}

/** The task input of a user-role request (the body of its <task> block). */
export function taskOf(req: CompletionRequest): string {
  const m = /<task>\n([\s\S]*?)\n<\/task>/.exec(req.messages[1]?.content ?? "");
  return m?.[1] ?? "";
}
