import pLimit, { type LimitFunction } from "p-limit";
import type { CampaignConfig, ModelConfig, Price } from "../config/schema.js";
import { UserError } from "../config/errors.js";
import { BudgetExhaustedError, type Cost } from "../budget/types.js";
import { addCost } from "../budget/ledger.js";
import type { Ledger, Reservation } from "../budget/ledger.js";
import type { RunStore } from "../store/run-store.js";
import type { CallRecord, ResponseRecord } from "../store/types.js";
import { costOfUsage, resolveUsage, usdOf } from "./cost.js";
import { replyKind, type ChatEndpoint } from "./chat-endpoint.js";
import { NO_KEY, RETRY_BASE_ENV } from "./endpoint.js";
import { HttpThread } from "./http-thread.js";
import { createEndpoint } from "./endpoints.js";
import { NonAnswerWatch, PromptCutWatch } from "./reply-watch.js";
import { cacheKeyOf } from "./params.js";
import { maxCost, planCall, type CallShape } from "./plan.js";
import { pickModel, resolveRoles, type RoleTable } from "./roles.js";
import { resolvePrice } from "./prices.js";
import { rateLimiterFor, type Clock, type RateLimiter } from "./rate-limit.js";
import { isSimModel } from "./sim-prices.js";
import { countCall, emptyModelStats, summarize, type GatewayStats, type ModelStats } from "./stats.js";
import { errorKind, LlmCallError, type Complete, type CompletionRequest, type CompletionResponse } from "./types.js";

export interface GatewayOptions {
  config: CampaignConfig;
  store: RunStore;
  /** The root budget account; calls without an explicit account are charged here. */
  ledger: Ledger;
  /** Base URL of the in-process sim server, for `sim:` models without a baseURL. */
  simBaseURL?: string;
  /** Where API keys are read from (default: process.env). */
  env?: Record<string, string | undefined>;
  /** Time source of the per-model rate limiters (tests pass a fake one). */
  clock?: Clock;
  /** Folder that relative model paths (`gguf:./model.gguf`) are resolved against: the campaign file's. Default: the working directory. */
  baseDir?: string;
  /**
   * Send HTTP requests from a worker thread of the gateway's own (http-thread.ts) instead of
   * this one. Campaigns do; a gateway for a few calls (a test, `models check`) need not pay a thread.
   */
  httpThread?: boolean;
}

export interface Gateway {
  complete(req: CompletionRequest, account?: Ledger): Promise<CompletionResponse>;
  /** A `Complete` that charges `account` (default: the root ledger). */
  bind(account?: Ledger): Complete;
  /**
   * What a call like `req` would reserve. Without `req.model` it is the largest over all
   * the role's models (per dimension), so a bound holds whichever model the sampleKey picks.
   */
  worstCase(req: CompletionRequest): Cost;
  stats(): GatewayStats;
  /** Refuse new calls and wait for those in flight. */
  close(): Promise<void>;
}

interface ModelRuntime {
  key: string;
  cfg: ModelConfig;
  endpoint: ChatEndpoint;
  price: Price | undefined;
  limit: LimitFunction;
  /** `rpm` / `tpm`, for calls sent to the endpoint (cache hits don't count). */
  rate: RateLimiter | undefined;
  stats: ModelStats;
}

const OPENAI_BASE_URL = "https://api.openai.com/v1";

/**
 * The one place that talks to endpoints: role binding, the replay cache (with
 * single-flight), committed-cost budget checks, concurrency limits, retries (in the
 * SDK), usage and cost, and the call log in run.db.
 */
export function createGateway(opts: GatewayOptions): Gateway {
  const { config, store, ledger: root } = opts;
  const env = opts.env ?? process.env;
  const roles: RoleTable = resolveRoles(config);
  const retryBaseMs = retryBaseFrom(env);
  const models = new Map<string, ModelRuntime>();
  const http = opts.httpThread ? new HttpThread() : undefined;
  for (const [key, cfg] of Object.entries(config.models)) models.set(key, createRuntime(key, cfg, config, env, opts.simBaseURL, opts.clock, retryBaseMs, opts.baseDir ?? process.cwd(), http));
  const global = pLimit(config.concurrency);
  const inflight = new Map<string, Promise<ResponseRecord>>();
  const running = new Set<Promise<unknown>>();
  const suspect = new Set<string>();
  const nonAnswers = new NonAnswerWatch(config);
  const promptCuts = new PromptCutWatch();
  let closed = false;

  function modelFor(req: CompletionRequest): ModelRuntime {
    if (req.model !== undefined) {
      const m = models.get(req.model);
      if (!m) throw new UserError(`model '${req.model}' (asked for by a ${req.role} call) is not defined under models`);
      return m;
    }
    const bound = roles[req.role];
    if (!bound) throw new UserError(`roles.${req.role}: no model is bound to this role`);
    return models.get(pickModel(bound, config.seed, req.role, req.sampleKey))!;
  }

  /**
   * Ask the endpoint, then store the response and log the call before anyone sees it.
   * The rate limiter is passed before the global slot is taken, so a throttled model
   * holds only its own slots while it waits; it counts `worstTokens` until usage is known.
   */
  async function fetchAndStore(m: ModelRuntime, req: CompletionRequest, cacheKey: string, params: Record<string, unknown>, worstTokens: number, maxTokens: number): Promise<ResponseRecord> {
    return m.limit(async () => {
      const ticket = await m.rate?.acquire(worstTokens);
      let used = worstTokens; // a failed call keeps its worst case: the endpoint may have counted it
      try {
        const rec = await send();
        used = rec.inputTokens + rec.outputTokens;
        return rec;
      } finally {
        if (ticket) m.rate!.settle(ticket, used);
      }
    });

    function send(): Promise<ResponseRecord> {
      return global(async () => {
        const started = performance.now();
        let reply;
        try {
          reply = await m.endpoint.complete(req.messages, params);
        } catch (err) {
          m.stats.failedCalls++;
          throw err;
        }
        const latencyMs = performance.now() - started;
        const usage = resolveUsage(reply.usage, req.messages, reply.text);
        const kind = replyKind(reply);
        const rec: ResponseRecord = {
          cacheKey,
          sampleKey: req.sampleKey,
          role: req.role,
          modelKey: m.key,
          model: m.cfg.model,
          text: reply.text,
          inputTokens: usage.inputTokens,
          outputTokens: usage.outputTokens,
          usageEstimated: usage.estimated,
          costUsd: usdOf(usage.inputTokens, usage.outputTokens, m.price),
          latencyMs,
          attempts: reply.attempts,
          createdTs: Date.now(),
          finishReason: reply.finishReason,
          kind,
        };
        // Committed with the other responses of this turn, and before anyone uses this one.
        await store.later(() => {
          store.putResponse(rec);
          store.recordCall(callRow(rec, plausibleUsage(rec, worstTokens - maxTokens, maxTokens, m.price), req, m.key, false, latencyMs, reply.attempts));
        });
        return rec;
      });
    }
  }

  /**
   * One call: admitted with its plan's reservation, served (cache, single-flight, endpoint),
   * and for a reasoning model whose reply the cap cut, served once more with the wider cap
   * under the same reservation. Whatever is final is what the non-answer watch counts.
   */
  async function complete(req: CompletionRequest, account: Ledger = root): Promise<CompletionResponse> {
    if (closed) throw new Error("gateway: closed");
    const m = modelFor(req);
    const plan = planCall(m.cfg, m.price, req, config.seed);
    // Cache hits reserve the worst case too: a replay must be refused exactly where the run was.
    const reservation = await account.admit(req.role, plan.reserve);
    if (!reservation) throw refused(account, req, plan.reserve);
    let settled = false;
    try {
      let res = await serve(m, req, plan.first, account);
      let charge = res.charged!;
      if (plan.wider && res.kind === "truncated") {
        try {
          const wider = await serve(m, { ...req, maxTokens: plan.wider.maxTokens }, plan.wider, account);
          charge = addCost(charge, wider.charged!);
          res = wider;
        } catch (err) {
          // The cut reply stands when the wider call fails for a passing reason; a fatal one stops the run.
          if (errorKind(err) === "fatal") throw err;
        }
      }
      account.settle(reservation, charge);
      settled = true;
      nonAnswers.note(m, req.role, res, req);
      return { ...res, charged: charge };
    } finally {
      if (!settled) account.release(reservation);
    }
  }

  /** One request of a planned call, charged (not settled) to `account` on its first use there. */
  async function serve(m: ModelRuntime, req: CompletionRequest, shape: CallShape, account: Ledger): Promise<CompletionResponse> {
    const started = performance.now();
    const { body: params, maxTokens, worst } = shape;
    const cacheKey = cacheKeyOf(m.cfg.model, req.messages, params, req.sampleKey);
    {
      let rec = store.getResponse(cacheKey);
      let cached = rec !== undefined;
      if (!rec) {
        const shared = inflight.get(cacheKey);
        if (shared) {
          // An identical call is already in flight: wait for it and count this one as a hit.
          rec = await shared;
          cached = true;
        } else {
          const p = fetchAndStore(m, req, cacheKey, params, worst.tokens, maxTokens);
          inflight.set(cacheKey, p);
          const forget = () => inflight.delete(cacheKey);
          p.then(forget, forget);
          rec = await p;
        }
      }
      const latencyMs = cached ? performance.now() - started : rec.latencyMs;
      // Usage is the endpoint's claim: what is charged never exceeds what the call could cost.
      const use = plausibleUsage(rec, worst.tokens - maxTokens, maxTokens, m.price);
      const logged = cached ? store.later(() => store.recordCall(callRow(rec!, use, req, m.key, true, latencyMs, 0))) : undefined;
      // The first use in this account's scope is charged (paid now, or by an earlier piece of a
      // resumed run); later uses are free, so a replay charges exactly what the run did.
      const charge = account.chargeOnce(cacheKey) ? costOfUsage(use, use.costUsd) : { usd: 0, tokens: 0, calls: 0 };
      countCall(m.stats, { ...rec, inputTokens: use.inputTokens, outputTokens: use.outputTokens, costUsd: use.costUsd }, cached);
      if (use.suspect) noteSuspectUsage(m, rec, use);
      if (!rec.usageEstimated) promptCuts.note(m, rec, req.messages, store);
      // Every reply that was not an answer, a cut one then asked again wider included.
      if (rec.kind === "truncated") m.stats.truncated++;
      else if (rec.kind === "empty") m.stats.empty++;
      else if (rec.kind !== "answer") m.stats.refused++;
      await logged;
      return {
        text: rec.text,
        kind: rec.kind,
        finishReason: rec.finishReason,
        maxTokens,
        modelKey: m.key,
        usage: { inputTokens: use.inputTokens, outputTokens: use.outputTokens, estimated: rec.usageEstimated },
        costUsd: use.costUsd,
        cached,
        charged: charge,
        latencyMs,
        attempts: cached ? 0 : rec.attempts,
      };
    }
  }

  /**
   * A response whose usage passes what the call could cost is recorded (an event, counted in
   * the summary) and charged at the bound; an endpoint that keeps doing it stops the run.
   */
  function noteSuspectUsage(m: ModelRuntime, rec: ResponseRecord, use: PlausibleUsage): void {
    // Counted once per response, however often it is used (the cascade reuses answers).
    if (suspect.has(rec.cacheKey)) return;
    suspect.add(rec.cacheKey);
    m.stats.suspectUsage++;
    store.appendEvent("usage_suspect", {
      model: m.key,
      sampleKey: rec.sampleKey,
      reported: { inputTokens: rec.inputTokens, outputTokens: rec.outputTokens },
      charged: { inputTokens: use.inputTokens, outputTokens: use.outputTokens },
    });
    if (m.stats.suspectUsage >= SUSPECT_USAGE_LIMIT) {
      // The limit, not the count: calls in flight settle in timing order, and the message is part of the result.
      throw new LlmCallError(
        `model '${m.key}' (${m.cfg.model} at ${m.endpoint.where}): reported impossible usage ${SUSPECT_USAGE_LIMIT} or more times (last: ${rec.inputTokens} prompt and ${rec.outputTokens} completion tokens, for a call bounded at ${use.inputTokens} and ${use.outputTokens}) — its usage reports cannot be trusted for the budget; check the endpoint`,
        m.key,
        undefined,
        true,
      );
    }
  }

  function bound(req: CompletionRequest): Cost {
    const candidates = req.model !== undefined ? [modelFor(req)] : (roles[req.role] ?? []).map((b) => models.get(b.key)!);
    if (candidates.length === 0) modelFor(req); // throws the "no model bound" UserError
    return maxCost(candidates.map((m) => planCall(m.cfg, m.price, req, config.seed).reserve));
  }

  function tracked(req: CompletionRequest, account?: Ledger): Promise<CompletionResponse> {
    const p = complete(req, account);
    running.add(p);
    const done = () => running.delete(p);
    p.then(done, done);
    return p;
  }

  return {
    complete: tracked,
    bind: (account?: Ledger) => (req: CompletionRequest) => tracked(req, account ?? root),
    worstCase: bound,
    stats: () => summarize([...models.values()].map((m) => ({ ...m.stats, attempts: m.endpoint.attemptsSent })), inflight.size),
    async close() {
      closed = true;
      await Promise.allSettled([...running]);
      // In-process models (gguf:) free their memory; HTTP endpoints hold nothing.
      await Promise.allSettled([...models.values()].map((m) => m.endpoint.close?.()));
      await http?.close();
    },
  };
}

/** The first retry delay set by HARNESS_EVOLVE_RETRY_BASE_MS (see endpoint.ts), if any. */
function retryBaseFrom(env: Record<string, string | undefined>): number | undefined {
  const raw = env[RETRY_BASE_ENV];
  if (raw === undefined || raw.trim() === "") return undefined;
  const ms = Number(raw);
  if (!Number.isFinite(ms) || ms < 0) throw new UserError(`${RETRY_BASE_ENV}: expected a number of milliseconds ≥ 0, got "${raw}"`);
  return ms;
}

function createRuntime(
  key: string,
  cfg: ModelConfig,
  config: CampaignConfig,
  env: Record<string, string | undefined>,
  simBaseURL: string | undefined,
  clock: Clock | undefined,
  retryBaseMs: number | undefined,
  baseDir: string,
  http: HttpThread | undefined,
): ModelRuntime {
  let apiKey = NO_KEY;
  if (cfg.apiKeyEnv !== undefined) {
    const value = env[cfg.apiKeyEnv];
    if (!value) throw new UserError(`models.${key}.apiKeyEnv: environment variable ${cfg.apiKeyEnv} is not set`);
    apiKey = value;
  }
  const sim = isSimModel(cfg.model);
  let baseURL = cfg.baseURL;
  if (baseURL === undefined && sim) {
    if (simBaseURL === undefined) {
      throw new Error(`gateway: model '${key}' (${cfg.model}) needs the in-process sim server, but no simBaseURL was given`);
    }
    baseURL = simBaseURL;
  }
  // The campaign's price, else the sim's, else the built-in table's (see prices.ts), else unknown.
  const { price } = resolvePrice(cfg);
  if (config.budget.usd !== undefined && price === undefined) {
    throw new UserError(`models.${key}.price: required because budget.usd is set (the built-in price table has no '${cfg.model}')`);
  }
  return {
    key,
    cfg,
    endpoint: createEndpoint({ key, cfg, baseURL: baseURL ?? OPENAI_BASE_URL, apiKey, baseDir, opts: { retryBaseMs }, http }),
    price,
    limit: pLimit(cfg.concurrency),
    rate: rateLimiterFor(cfg, clock),
    stats: emptyModelStats(key, cfg.model, price !== undefined),
  };
}

function refused(account: Ledger, req: CompletionRequest, worst: Cost): BudgetExhaustedError {
  const why = account.refusal(req.role, worst);
  const dimension = why?.dimension ?? "calls";
  const where = why?.reason === "closed" ? "the budget account is closed" : `the ${why?.scope ?? "total"} ${dimension} cap would be passed`;
  return new BudgetExhaustedError(req.role, dimension, `budget exhausted for a ${req.role} call (${req.sampleKey}): ${where}`);
}

/** Responses with impossible usage a model may give before the run stops on it. */
const SUSPECT_USAGE_LIMIT = 3;

interface PlausibleUsage {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** The reported usage passed the call's bound and was cut to it. */
  suspect: boolean;
}

/**
 * The response's usage, each part cut to what the call could have used (its input bound,
 * its max_tokens). Recomputed on every use from the stored claim, so a replay flags and
 * charges the same calls as the run did.
 */
/** `inputBound` is the worst case's input part (`inputTokenBound` of the messages), already computed for the reservation. */
function plausibleUsage(rec: ResponseRecord, inputBound: number, maxTokens: number, price: Price | undefined): PlausibleUsage {
  if (rec.inputTokens <= inputBound && rec.outputTokens <= maxTokens) return { inputTokens: rec.inputTokens, outputTokens: rec.outputTokens, costUsd: rec.costUsd, suspect: false };
  const inputTokens = Math.min(rec.inputTokens, inputBound);
  const outputTokens = Math.min(rec.outputTokens, maxTokens);
  return { inputTokens, outputTokens, costUsd: usdOf(inputTokens, outputTokens, price), suspect: true };
}

/** The call as this request made it (its role and model), with the usage charged for it. */
function callRow(rec: ResponseRecord, use: PlausibleUsage, req: CompletionRequest, modelKey: string, cached: boolean, latencyMs: number, attempts: number): CallRecord {
  return {
    cacheKey: rec.cacheKey,
    sampleKey: req.sampleKey,
    role: req.role,
    modelKey,
    inputTokens: use.inputTokens,
    outputTokens: use.outputTokens,
    costUsd: use.costUsd,
    latencyMs,
    cached,
    attempts,
    ts: Date.now(),
  };
}
