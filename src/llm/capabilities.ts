import type { ModelConfig } from "../config/schema.js";

/**
 * When the table below was written: from the providers' API documentation as the author knew
 * it around that month (not fetched). A model the table does not know is not a reasoning
 * model unless its campaign entry says `reasoning: true`.
 */
export const CAPABILITY_TABLE_DATE = "2025-08";

/**
 * Reasoning models, by API name (an OpenRouter-style `provider/` prefix and an OpenAI snapshot
 * date are allowed). OpenAI's o-series and gpt-5 family refuse `max_tokens` and any
 * temperature but 1; DeepSeek-R1 and QwQ think before they answer, so their output cap must
 * leave room for it. `gpt-5-chat` is a chat model, not a reasoning one.
 */
const REASONING: readonly RegExp[] = [
  /^(openai\/)?o[1-9](-mini|-pro)?(-\d{4}-\d{2}-\d{2})?$/,
  /^(openai\/)?gpt-5(-mini|-nano|-pro)?(-\d{4}-\d{2}-\d{2})?$/,
  /^(deepseek\/)?deepseek-(r1|reasoner)\b/i,
  /^(qwen\/)?qwq\b/i,
];

/** Whether a model is a reasoning model: the campaign's `reasoning`, else the table. */
export function isReasoningModel(cfg: Pick<ModelConfig, "model" | "reasoning">): boolean {
  if (cfg.reasoning !== undefined) return cfg.reasoning;
  return REASONING.some((re) => re.test(cfg.model));
}

/** Model params only the built-in simulated models understand; a real endpoint would reject them. */
export const SIM_ONLY_PARAMS: readonly string[] = ["reasoningTokens", "reasoning_tokens"];
