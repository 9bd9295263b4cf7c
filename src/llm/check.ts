import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Ledger } from "../budget/ledger.js";
import type { LoadedCampaign } from "../config/load.js";
import type { CampaignConfig, ModelConfig, Price } from "../config/schema.js";
import { startSimServer, type SimServer } from "../sim/server.js";
import { RunStore } from "../store/run-store.js";
import { createGateway } from "./gateway.js";
import { displayURL } from "./endpoint.js";

export { displayURL };
import { priceSourceLabel, resolvePrice } from "./prices.js";
import { isSimModel } from "./sim-prices.js";

export interface ModelCheck {
  /** The model's key under `models`. */
  key: string;
  /** The name sent to the endpoint. */
  model: string;
  /** Where it was sent, without any user:password part (`in-process sim` for a `sim:` model without baseURL). */
  baseURL: string;
  ok: boolean;
  latencyMs?: number;
  /** Tokens the endpoint reported for the check request, or "none reported"; absent when the call failed. */
  usage?: { inputTokens: number; outputTokens: number } | "none reported";
  price?: Price;
  /** `campaign`, `built-in table (<date>)`, `sim` or `unknown`. */
  priceSource: string;
  /** The start of the reply text. */
  reply?: string;
  /** Why the call failed (never the key). */
  error?: string;
  /** Something to fix even though the call worked, e.g. a missing price under a dollar budget. */
  warning?: string;
}

export interface CheckOptions {
  /** Where API keys are read from (default: process.env). */
  env?: Record<string, string | undefined>;
  /** Retries per check request (default: the model's maxRetries, at most 1), so a dead endpoint is reported quickly. */
  maxRetries?: number;
  /** Per-request timeout (default: the model's timeoutMs, at most 30 s). */
  timeoutMs?: number;
}

const OPENAI_BASE_URL = "https://api.openai.com/v1";
const CHECK_MESSAGES = [
  { role: "system" as const, content: "You are a connectivity check. Answer in one word." },
  { role: "user" as const, content: "Reply with the word OK." },
];
/** Output cap of the check request, unless the model's params set their own (reasoning models need room). */
const CHECK_MAX_TOKENS = 16;

/**
 * Send one tiny request to every model of a campaign and report what came back. Each
 * model gets its own gateway over a throwaway run folder in the temp dir (removed at
 * the end), with no budget caps, so one model's missing key or price does not hide the
 * others. `sim:` models without a baseURL go to an in-process sim server.
 */
export async function checkModels(loaded: LoadedCampaign, opts: CheckOptions = {}): Promise<ModelCheck[]> {
  const { config } = loaded;
  const env = opts.env ?? process.env;
  const needsSim = Object.values(config.models).some((m) => isSimModel(m.model) && !m.baseURL);
  const sim = needsSim ? await startSimServer({ world: config.sim.world, latencyMs: config.sim.latencyMs }) : undefined;
  const dir = mkdtempSync(join(tmpdir(), "he-models-check-"));
  try {
    return await Promise.all(Object.entries(config.models).map(([key, cfg]) => checkOne(config, key, cfg, env, opts, sim, join(dir, key), dirname(loaded.file))));
  } finally {
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function checkOne(
  config: CampaignConfig,
  key: string,
  cfg: ModelConfig,
  env: Record<string, string | undefined>,
  opts: CheckOptions,
  sim: SimServer | undefined,
  dir: string,
  baseDir: string,
): Promise<ModelCheck> {
  const resolved = resolvePrice(cfg);
  const viaSim = isSimModel(cfg.model) && !cfg.baseURL;
  const out: ModelCheck = {
    key,
    model: cfg.model,
    baseURL: viaSim ? "in-process sim" : displayURL(cfg.baseURL ?? OPENAI_BASE_URL),
    ok: false,
    ...(resolved.price ? { price: resolved.price } : {}),
    priceSource: priceSourceLabel(resolved),
  };
  if (config.budget.usd !== undefined && !resolved.price) {
    out.warning = `models.${key}.price: required because budget.usd is set (the built-in price table has no '${cfg.model}')`;
  }
  const secret = cfg.apiKeyEnv ? env[cfg.apiKeyEnv] : undefined;
  const checked: ModelConfig = {
    ...cfg,
    maxRetries: opts.maxRetries ?? Math.min(cfg.maxRetries, 1),
    timeoutMs: opts.timeoutMs ?? Math.min(cfg.timeoutMs, 30_000),
  };
  const single: CampaignConfig = {
    ...config,
    models: { [key]: checked },
    roles: { evolver: key, user: key, verifier: key },
    budget: { policy: "fixed" },
    concurrency: 1,
  };
  let store: RunStore | undefined;
  let gateway: ReturnType<typeof createGateway> | undefined;
  try {
    store = RunStore.open(dir);
    gateway = createGateway({ config: single, store, ledger: new Ledger({ total: {} }), simBaseURL: sim?.baseURL, env, baseDir });
    const cap = cfg.params.maxTokens ?? cfg.params.maxCompletionTokens ?? cfg.params.max_tokens ?? cfg.params.max_completion_tokens;
    const res = await gateway.complete({
      role: "user",
      messages: CHECK_MESSAGES,
      sampleKey: `models-check/${key}`,
      model: key,
      ...(typeof cap === "number" ? {} : { maxTokens: CHECK_MAX_TOKENS }),
    });
    out.ok = true;
    out.latencyMs = Math.round(res.latencyMs);
    out.usage = res.usage.estimated ? "none reported" : { inputTokens: res.usage.inputTokens, outputTokens: res.usage.outputTokens };
    out.reply = oneLine(res.text, 60);
  } catch (err) {
    out.error = redact(err instanceof Error ? err.message : String(err), secret);
  } finally {
    await gateway?.close();
    store?.close();
  }
  return out;
}

function oneLine(text: string, max: number): string {
  const s = text.replace(/\s+/g, " ").trim();
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** The endpoint already redacts; this also covers messages from anywhere else. */
function redact(text: string, secret: string | undefined): string {
  return secret && secret.length >= 4 ? text.split(secret).join("***") : text;
}

