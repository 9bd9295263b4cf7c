import type { CampaignConfig, ModelConfig, Role } from "../config/schema.js";
import { sha256 } from "../harness/harness.js";
import { isReasoningModel } from "./capabilities.js";
import type { ChatMessage, CompletionRequest } from "./types.js";

/** Output cap when neither the request nor the model's params set one. */
export const DEFAULT_MAX_TOKENS: Record<Role, number> = { evolver: 2048, user: 512, verifier: 1024 };

/** The same for a reasoning model: its cap covers its thinking as well as its answer. */
export const REASONING_DEFAULT_MAX_TOKENS: Record<Role, number> = { evolver: 16384, user: 4096, verifier: 8192 };

/** Bumped if the cache-key recipe changes, so old entries are never mistaken for new ones. */
const CACHE_KEY_VERSION = 1;

/** maxTokens → max_tokens; keys that are already snake_case pass unchanged. */
export function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** A 31-bit seed for the endpoint, fixed by the campaign seed and the call's logical position. */
export function seedFor(campaignSeed: number, sampleKey: string): number {
  return parseInt(sha256(`seed\u0000${campaignSeed}\u0000${sampleKey}`).slice(0, 8), 16) & 0x7fffffff;
}

export interface EffectiveParams {
  /** Body fields sent besides `model` and `messages` (snake_case), incl. temperature, the output cap and seed. */
  body: Record<string, unknown>;
  /** The output-token cap: what the worst-case reservation assumes. */
  maxTokens: number;
}

/**
 * The sampling params of one call. The output cap is the first that is set of:
 *  1. the request's `maxTokens`: the campaign's role limit (`fitness.answerMaxTokens`,
 *     `fitness.verifierMaxTokens`), a fitness module's own cap, or the gateway's wider retry;
 *  2. the model's `params.maxTokens` / `params.maxCompletionTokens`;
 *  3. the built-in default of the role (larger for a reasoning model).
 * It is sent as `max_completion_tokens` to a reasoning model (OpenAI's refuse `max_tokens`) or
 * when the params name that field, else as `max_tokens`. A request's temperature (an island
 * preset's) is sent only to models that accept one: a reasoning model gets a temperature only
 * when its own params set it. Everything else in params passes through (`reasoningEffort` →
 * `reasoning_effort`).
 */
export function effectiveParams(model: ModelConfig, req: Pick<CompletionRequest, "role" | "maxTokens" | "temperature" | "sampleKey">, campaignSeed: number): EffectiveParams {
  const body: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(model.params)) {
    if (v !== undefined) body[snakeCase(k)] = v;
  }
  const reasoning = isReasoningModel(model);
  const capField = "max_completion_tokens" in body || (reasoning && !("max_tokens" in body)) ? "max_completion_tokens" : "max_tokens";
  const fromParams = body.max_completion_tokens ?? body.max_tokens;
  delete body.max_tokens;
  delete body.max_completion_tokens;
  const maxTokens = req.maxTokens ?? (typeof fromParams === "number" && fromParams > 0 ? fromParams : (reasoning ? REASONING_DEFAULT_MAX_TOKENS : DEFAULT_MAX_TOKENS)[req.role]);
  body[capField] = maxTokens;
  if (req.temperature !== undefined && !reasoning) body.temperature = req.temperature;
  // The engine's seed always wins: it is what makes a replayed position reproducible.
  body.seed = seedFor(campaignSeed, req.sampleKey);
  delete body.model;
  delete body.messages;
  delete body.stream;
  return { body, maxTokens };
}

/**
 * The campaign setting to raise when a role's replies are cut at their cap: the role limit
 * where the campaign has one (first in effectiveParams' precedence), else the model's params.
 */
export function capSetting(config: Pick<CampaignConfig, "fitness">, role: Role, key: string, model: ModelConfig): string {
  if (config.fitness.type === "tasks" && role === "user") return "fitness.answerMaxTokens";
  if (config.fitness.type === "tasks" && role === "verifier") return "fitness.verifierMaxTokens";
  return `models.${key}.params.${isReasoningModel(model) ? "maxCompletionTokens" : "maxTokens"}`;
}

/**
 * The largest output cap any model of a role would get for a request asking `maxTokens`
 * (undefined: the campaign sets none), e.g. to bound how long an answer the verifier may read.
 */
export function roleCap(models: readonly ModelConfig[], role: Role, maxTokens: number | undefined): number {
  let cap = 0;
  for (const m of models) cap = Math.max(cap, effectiveParams(m, { role, maxTokens, sampleKey: "cap" }, 0).maxTokens);
  return cap;
}

/** JSON with object keys sorted at every level, so equal values always serialize equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort()
        .map((k) => [k, sortKeys(obj[k])]),
    );
  }
  return value;
}

/**
 * Identity of a call for the replay cache. The base URL is left out on purpose: the
 * in-process sim server gets a new port every run, and a resume must still hit.
 */
export function cacheKeyOf(model: string, messages: readonly ChatMessage[], params: Record<string, unknown>, sampleKey: string): string {
  return sha256(
    canonicalJson({
      v: CACHE_KEY_VERSION,
      model,
      messages: messages.map((m) => ({ role: m.role, content: m.content })),
      params,
      sampleKey,
    }),
  );
}
