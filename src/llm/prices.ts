import type { ModelConfig, Price } from "../config/schema.js";
import { isGgufModel } from "./gguf.js";
import { isSimModel, simPrice } from "./sim-prices.js";

/**
 * When the figures below were taken. They were written down from the author's own
 * knowledge of the providers' list prices around that month, not fetched from any page,
 * and prices change: check them against the provider's pricing page (OpenAI's pricing
 * page, openrouter.ai/models) before trusting a dollar figure, and set
 * `models.<k>.price` in the campaign to override them. They are never live prices.
 */
export const PRICE_TABLE_DATE = "2025-08";

const p = (inputPerM: number, outputPerM: number): Price => ({ inputPerM, outputPerM });

/**
 * USD per million input / output tokens of common hosted models (standard tier, no
 * cached-input or batch discounts, short prompts where the price depends on length).
 * OpenAI models under their API names; other providers under their OpenRouter names.
 * Open models on OpenRouter are served by several providers at different prices: the
 * figure is a typical one, not a quote.
 */
export const PRICE_TABLE: Readonly<Record<string, Price>> = {
  // OpenAI
  "gpt-4.1": p(2.0, 8.0),
  "gpt-4.1-mini": p(0.4, 1.6),
  "gpt-4.1-nano": p(0.1, 0.4),
  "gpt-4o": p(2.5, 10.0),
  "gpt-4o-mini": p(0.15, 0.6),
  o3: p(2.0, 8.0),
  "o3-mini": p(1.1, 4.4),
  "o4-mini": p(1.1, 4.4),
  "gpt-5": p(1.25, 10.0),
  "gpt-5-mini": p(0.25, 2.0),
  "gpt-5-nano": p(0.05, 0.4),
  // Anthropic (OpenRouter names)
  "anthropic/claude-opus-4": p(15.0, 75.0),
  "anthropic/claude-opus-4.1": p(15.0, 75.0),
  "anthropic/claude-sonnet-4": p(3.0, 15.0),
  "anthropic/claude-3.7-sonnet": p(3.0, 15.0),
  "anthropic/claude-3.5-sonnet": p(3.0, 15.0),
  "anthropic/claude-3.5-haiku": p(0.8, 4.0),
  "anthropic/claude-3-haiku": p(0.25, 1.25),
  // Google (OpenRouter names)
  "google/gemini-2.5-pro": p(1.25, 10.0),
  "google/gemini-2.5-flash": p(0.3, 2.5),
  "google/gemini-2.5-flash-lite": p(0.1, 0.4),
  "google/gemini-2.0-flash-001": p(0.1, 0.4),
  // Open models on OpenRouter (typical provider prices)
  "meta-llama/llama-3.1-8b-instruct": p(0.02, 0.03),
  "meta-llama/llama-3.1-70b-instruct": p(0.1, 0.28),
  "meta-llama/llama-3.3-70b-instruct": p(0.1, 0.25),
  "qwen/qwen-2.5-7b-instruct": p(0.04, 0.1),
  "qwen/qwen-2.5-72b-instruct": p(0.12, 0.39),
  "mistralai/mistral-7b-instruct": p(0.03, 0.055),
  "mistralai/mistral-small-3.1-24b-instruct": p(0.05, 0.1),
  "deepseek/deepseek-chat": p(0.3, 0.85),
  "deepseek/deepseek-r1": p(0.55, 2.19),
};

/** An OpenAI snapshot suffix: `gpt-4.1-mini-2025-04-14` is priced as `gpt-4.1-mini`. */
const SNAPSHOT = /-\d{4}-\d{2}-\d{2}$/;

/**
 * The table's price for a model name: exact, then without a provider prefix
 * (`openai/gpt-4.1` → `gpt-4.1`), each also without an OpenAI snapshot date. Names are
 * case-sensitive, so a local server's Hugging Face id (`meta-llama/Llama-3.1-8B-Instruct`)
 * is not mistaken for the hosted OpenRouter model.
 */
export function tablePrice(model: string, table: Readonly<Record<string, Price>> = PRICE_TABLE): { name: string; price: Price } | undefined {
  const slash = model.indexOf("/");
  const names = [model, model.replace(SNAPSHOT, "")];
  if (slash > 0) {
    const bare = model.slice(slash + 1);
    names.push(bare, bare.replace(SNAPSHOT, ""));
  }
  for (const name of names) {
    if (Object.prototype.hasOwnProperty.call(table, name)) return { name, price: table[name]! };
  }
  return undefined;
}

export type PriceSource = "campaign" | "sim" | "table" | "local" | "unknown";

export interface ResolvedPrice {
  price: Price | undefined;
  source: PriceSource;
  /** The table entry used, when source is `table`. */
  tableName?: string;
}

/**
 * A model's price: the campaign's `price`, else 0 for a local `gguf:` model, else the sim's,
 * else the built-in table's, else unknown.
 */
export function resolvePrice(cfg: Pick<ModelConfig, "model" | "price">): ResolvedPrice {
  if (cfg.price) return { price: cfg.price, source: "campaign" };
  if (isGgufModel(cfg.model)) return { price: LOCAL_PRICE, source: "local" };
  if (isSimModel(cfg.model)) {
    const price = simPrice(cfg.model);
    return price ? { price, source: "sim" } : { price: undefined, source: "unknown" };
  }
  const hit = tablePrice(cfg.model);
  return hit ? { price: hit.price, source: "table", tableName: hit.name } : { price: undefined, source: "unknown" };
}

/** What a model run in this process costs unless the campaign prices it. */
const LOCAL_PRICE: Price = { inputPerM: 0, outputPerM: 0 };

/** `campaign`, `built-in table (2025-08)`, `sim`, `local` or `unknown`: where a price came from, for people. */
export function priceSourceLabel(r: ResolvedPrice): string {
  return r.source === "table" ? `built-in table (${PRICE_TABLE_DATE})` : r.source;
}
