import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Ledger } from "../budget/ledger.js";
import type { LoadedCampaign } from "../config/load.js";
import type { CampaignConfig, ModelConfig, Price, Role } from "../config/schema.js";
import { loadTaskSuite } from "../fitness/suite.js";
import { startSimServerThread } from "../sim/server-thread.js";
import { simServerOptions } from "./sim-world.js";
import type { ReplyKind } from "../store/types.js";
import { RunStore } from "../store/run-store.js";
import { isReasoningModel } from "../llm/capabilities.js";
import { buildProbes, type Probe } from "./models-check-probes.js";
import { judgeReply } from "./models-check-verdict.js";
import { createGateway } from "../llm/gateway.js";
import type { CompletionResponse } from "../llm/types.js";
import { displayURL } from "../llm/endpoint.js";
import { planCall } from "../llm/plan.js";
import { priceSourceLabel, resolvePrice } from "../llm/prices.js";
import { usedModels, resolveRoles } from "../llm/roles.js";
import { isSimModel } from "../llm/sim-prices.js";

export { displayURL };

/** One request of the check: a role's request to one of its models, or a model no role calls. */
export interface ModelCheck {
  /** The role whose request was sent; absent for a model bound to no role (nothing was sent). */
  role?: Role;
  /** What the request stands for: `task trip-minutes`, `mutate t=0.3 (refiner)`, `rubric task r1`. */
  request?: string;
  /** The model's key under `models`. */
  key: string;
  /** The name sent to the endpoint. */
  model: string;
  /** Where it was sent, without any user:password part (`in-process sim` for a `sim:` model without baseURL). */
  baseURL: string;
  /** `unused`: bound to no role (and named by no island preset), so the run never calls it. */
  status: "ok" | "failed" | "unused";
  /** The run can use this model's replies in this role (true for an unused model: nothing to fail). */
  ok: boolean;
  /** Summed over the replies read (`tries`); for a reply the gateway asked again with a wider cap, the wider one's. */
  latencyMs?: number;
  /** Tokens the endpoint reported (summed like latencyMs), or "none reported"; absent when the call failed. */
  usage?: { inputTokens: number; outputTokens: number } | "none reported";
  /** The endpoint's finish_reason (null: it gave none). */
  finishReason?: string | null;
  /** What the reply was: an answer, or cut at the cap, empty, a refusal, tool calls. */
  kind?: ReplyKind;
  /** The output cap the run sends for this request. */
  cap?: number;
  /** The cap of the gateway's one wider retry, when the first reply was cut and it was sent. */
  widerCap?: number;
  /** The temperature sent, when one was. */
  temperature?: number;
  /** The run's parser read the reply (evolver: a harness; verifier: a score; user: a `Final answer:` line). */
  parsed?: boolean;
  /** Replies read: an answer that did not parse is asked again under a new sample key, as often as the run would. */
  tries?: number;
  price?: Price;
  /** `campaign`, `built-in table (<date>)`, `sim`, `local` or `unknown`. */
  priceSource: string;
  /** The start of the reply text. */
  reply?: string;
  /** Why the check failed (never the key). */
  error?: string;
  /** The one setting to change, when there is one. */
  advice?: string;
  /** Something to fix even though the call worked, e.g. a missing price under a dollar budget. */
  warning?: string;
}

export interface CheckOptions {
  /** Where API keys are read from (default: process.env). */
  env?: Record<string, string | undefined>;
  /** Retries per check request (default: the model's maxRetries, at most 1), so a dead endpoint is reported quickly. */
  maxRetries?: number;
  /** Per-request timeout (default: the model's timeoutMs, at most 30 s; at most 120 s for a reasoning model, which thinks first). */
  timeoutMs?: number;
}

const OPENAI_BASE_URL = "https://api.openai.com/v1";
const TIMEOUT_MS = 30_000;
const REASONING_TIMEOUT_MS = 120_000;

/**
 * Send, for each role the campaign binds and each model of it, one request of the shape the run
 * sends (check-probes.ts), and report what came back and whether the run could use it. Each
 * model gets its own gateway over a throwaway run folder in the temp dir (removed at the end),
 * with no budget caps, so one model's missing key or price does not hide the others. `sim:`
 * models without a baseURL go to an in-process sim server. Models no role calls are listed as
 * unused and not sent anything.
 */
export async function checkModels(loaded: LoadedCampaign, opts: CheckOptions = {}): Promise<ModelCheck[]> {
  const { config } = loaded;
  const env = opts.env ?? process.env;
  const suite = loaded.tasksPath ? loadTaskSuite(loaded.tasksPath) : undefined;
  const probes = buildProbes(loaded, suite);
  const needsSim = Object.values(config.models).some((m) => isSimModel(m.model) && !m.baseURL);
  const sim = needsSim ? await startSimServerThread(simServerOptions(config)) : undefined;
  const dir = mkdtempSync(join(tmpdir(), "he-models-check-"));
  try {
    const called = new Set([...usedModels(resolveRoles(config)), ...probes.map((p) => p.key)]);
    const keys = Object.keys(config.models);
    const checked = await Promise.all(
      keys.filter((k) => called.has(k)).map((key) => checkModel(loaded, key, probes.filter((p) => p.key === key), { env, opts, simBaseURL: sim?.baseURL, dir: join(dir, key) })),
    );
    const unused = keys.filter((k) => !called.has(k)).map((key): ModelCheck => ({ ...describe(config, key), status: "unused", ok: true }));
    return [...checked.flat().sort(byRole), ...unused];
  } finally {
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const ROLE_ORDER: Record<string, number> = { user: 0, evolver: 1, verifier: 2 };
const byRole = (a: ModelCheck, b: ModelCheck) => (ROLE_ORDER[a.role!] ?? 3) - (ROLE_ORDER[b.role!] ?? 3);

/** What every row of a model says: where it is, its price and where that came from. */
function describe(config: CampaignConfig, key: string): Pick<ModelCheck, "key" | "model" | "baseURL" | "price" | "priceSource" | "warning"> {
  const cfg = config.models[key]!;
  const resolved = resolvePrice(cfg);
  const where = cfg.model.startsWith("gguf:") ? "in-process (gguf)" : isSimModel(cfg.model) && !cfg.baseURL ? "in-process sim" : displayURL(cfg.baseURL ?? OPENAI_BASE_URL);
  return {
    key,
    model: cfg.model,
    baseURL: where,
    ...(resolved.price ? { price: resolved.price } : {}),
    priceSource: priceSourceLabel(resolved),
    ...(config.budget.usd !== undefined && !resolved.price
      ? { warning: `models.${key}.price: required because budget.usd is set (the built-in price table has no '${cfg.model}'); run refuses the campaign until it is set` }
      : {}),
  };
}

interface Where {
  env: Record<string, string | undefined>;
  opts: CheckOptions;
  simBaseURL: string | undefined;
  dir: string;
}

/** One model's probes, through one gateway that serves only it. */
async function checkModel(loaded: LoadedCampaign, key: string, probes: readonly Probe[], w: Where): Promise<ModelCheck[]> {
  const { config } = loaded;
  const cfg = config.models[key]!;
  const secret = cfg.apiKeyEnv ? w.env[cfg.apiKeyEnv] : undefined;
  const checked: ModelConfig = {
    ...cfg,
    maxRetries: w.opts.maxRetries ?? Math.min(cfg.maxRetries, 1),
    timeoutMs: w.opts.timeoutMs ?? Math.min(cfg.timeoutMs, isReasoningModel(cfg) ? REASONING_TIMEOUT_MS : TIMEOUT_MS),
  };
  const single: CampaignConfig = {
    ...config,
    models: { [key]: checked },
    roles: { evolver: key, user: key, verifier: key },
    budget: { policy: "fixed" },
    concurrency: Math.max(1, probes.length),
  };
  const rows = probes.map((p): ModelCheck => ({ role: p.role, request: p.what, ...describe(config, key), status: "failed", ok: false }));
  let store: RunStore | undefined;
  let gateway: ReturnType<typeof createGateway> | undefined;
  try {
    store = RunStore.open(w.dir);
    gateway = createGateway({ config: single, store, ledger: new Ledger({ total: {} }), simBaseURL: w.simBaseURL, env: w.env, baseDir: dirname(loaded.file) });
    const g = gateway;
    await Promise.all(probes.map((p, i) => send(g, p, cfg, config, rows[i]!, secret)));
  } catch (err) {
    // The gateway could not be built (a missing key, say): every request of the model fails with it.
    for (const row of rows) row.error = redact(message(err), secret);
  } finally {
    await gateway?.close();
    store?.close();
  }
  return rows;
}

async function send(g: ReturnType<typeof createGateway>, p: Probe, cfg: ModelConfig, config: CampaignConfig, row: ModelCheck, secret: string | undefined): Promise<void> {
  const plan = planCall(cfg, undefined, p.req, config.seed);
  row.cap = plan.first.maxTokens;
  if (typeof plan.first.body.temperature === "number") row.temperature = plan.first.body.temperature;
  try {
    const replies = [await g.complete(p.req)];
    let verdict = judgeReply(p, replies[0]!, cfg, config, plan.first.maxTokens);
    // Only an answer that did not parse is asked again: a cut or empty reply is the cap's or the model's doing, not chance.
    while (replies.length < p.tries && !verdict.parsed && replies.at(-1)!.kind === "answer") {
      replies.push(await g.complete({ ...p.req, sampleKey: `${p.req.sampleKey}/try=${replies.length}` }));
      verdict = judgeReply(p, replies.at(-1)!, cfg, config, plan.first.maxTokens);
    }
    const res = replies.at(-1)!;
    const sum = (f: (r: CompletionResponse) => number) => replies.reduce((n, r) => n + f(r), 0);
    const tries = replies.length;
    Object.assign(row, {
      tries,
      status: verdict.ok ? "ok" : "failed",
      ok: verdict.ok,
      latencyMs: Math.round(sum((r) => r.latencyMs)),
      usage: replies.some((r) => r.usage.estimated) ? "none reported" : { inputTokens: sum((r) => r.usage.inputTokens), outputTokens: sum((r) => r.usage.outputTokens) },
      finishReason: res.finishReason,
      kind: res.kind,
      ...(res.maxTokens !== plan.first.maxTokens ? { widerCap: res.maxTokens } : {}),
      parsed: verdict.parsed,
      reply: redact(oneLine(res.text, 60), secret),
      ...(verdict.error ? { error: redact(tries > 1 ? `${verdict.error} (${tries} replies)` : verdict.error, secret) } : {}),
      ...(verdict.advice ? { advice: verdict.advice } : {}),
    });
  } catch (err) {
    row.error = redact(message(err), secret);
  }
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

function oneLine(text: string, max: number): string {
  const s = text.replace(/\s+/g, " ").trim();
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** The endpoint already redacts; this also covers messages from anywhere else. */
function redact(text: string, secret: string | undefined): string {
  return secret && secret.length >= 4 ? text.split(secret).join("***") : text;
}
