import type { CampaignConfig, ModelConfig, Role } from "../config/schema.js";
import type { RunStore } from "../store/run-store.js";
import type { ResponseRecord } from "../store/types.js";
import { isReasoningModel } from "./capabilities.js";
import { capSetting } from "./params.js";
import type { ModelStats } from "./stats.js";
import { LlmCallError, type ChatMessage, type CompletionRequest, type CompletionResponse } from "./types.js";

/** What the watches need of a model's runtime. */
export interface WatchedModel {
  key: string;
  cfg: ModelConfig;
  endpoint: { readonly where: string };
  stats: ModelStats;
}

/** Final replies of a model in a role before the share of non-answers is judged. */
const MIN_REPLIES = 16;

/**
 * Stops the run when most replies of a model in a role are not answers (cut at the cap, empty,
 * refused): a reasoning model that spends its cap thinking returns "", and a run that went on
 * would end `completed` with every score at 0, looking like a weak harness. The stop names the
 * setting that fixes it.
 */
export class NonAnswerWatch {
  private readonly seen = new Map<string, { total: number; truncated: number; empty: number; refused: number }>();

  constructor(private readonly config: CampaignConfig) {}

  note(m: WatchedModel, role: Role, res: CompletionResponse, req: CompletionRequest): void {
    const key = `${m.key}\u0000${role}`;
    const n = this.seen.get(key) ?? { total: 0, truncated: 0, empty: 0, refused: 0 };
    this.seen.set(key, n);
    n.total++;
    if (res.kind === "truncated") n.truncated++;
    else if (res.kind === "empty") n.empty++;
    else if (res.kind !== "answer") n.refused++;
    const bad = n.truncated + n.empty + n.refused;
    if (n.total < MIN_REPLIES || bad * 2 <= n.total) return;
    const parts = [
      n.truncated ? `${n.truncated} cut at the output cap (finish_reason length)` : "",
      n.empty ? `${n.empty} empty` : "",
      n.refused ? `${n.refused} refusals or tool calls without text` : "",
    ].filter(Boolean);
    throw new LlmCallError(
      `model '${m.key}' (${m.cfg.model} at ${m.endpoint.where}): ${bad} of its last ${n.total} ${role} replies were not answers (${parts.join(", ")}) — ${this.fix(m, role, res, req, n.truncated >= n.empty + n.refused)}`,
      m.key,
      undefined,
      true,
    );
  }

  private fix(m: WatchedModel, role: Role, res: CompletionResponse, req: CompletionRequest, mostlyCut: boolean): string {
    if (!mostlyCut) return `check that model '${m.cfg.model}' answers this kind of prompt (try \`harness-evolve models check\`)`;
    const setting = capSetting(this.config, role, m.key, m.cfg);
    const explicit = req.maxTokens !== undefined && setting.startsWith("models.") ? " (the fitness module asks for this cap itself)" : "";
    const effort = isReasoningModel(m.cfg) ? `, or lower models.${m.key}.params.reasoningEffort` : "";
    return `raise ${setting} (replies get ${res.maxTokens} tokens now${explicit})${effort}`;
  }
}

/** Prompt-token reports below this share of the local estimate mean the server cut the prompt. */
const CUT_RATIO = 0.5;
/** Prompts shorter than this (estimated tokens) are not judged: framing tokens dominate them. */
const MIN_ESTIMATE = 256;
/** Cut prompts a model may report before the run stops on it. */
const PROMPT_CUT_LIMIT = 3;

/**
 * A server whose context is too small for a prompt may drop its start and still answer 200
 * (llama.cpp with `-c` shared by `--parallel` slots): the harness the model saw was not the one
 * scored. The estimate is chars/4, the usual English average; half of it leaves room for
 * tokenizers with larger vocabularies. Judged once per response.
 */
export class PromptCutWatch {
  private readonly seen = new Set<string>();

  note(m: WatchedModel, rec: ResponseRecord, messages: readonly ChatMessage[], store: RunStore): void {
    if (this.seen.has(rec.cacheKey)) return;
    this.seen.add(rec.cacheKey);
    const estimate = Math.ceil(messages.reduce((s, x) => s + x.content.length, 0) / 4);
    if (estimate < MIN_ESTIMATE || rec.inputTokens >= estimate * CUT_RATIO) return;
    m.stats.promptCut++;
    store.appendEvent("prompt_cut", { model: m.key, sampleKey: rec.sampleKey, reported: rec.inputTokens, estimated: estimate });
    if (m.stats.promptCut < PROMPT_CUT_LIMIT) return;
    throw new LlmCallError(
      `model '${m.key}' (${m.cfg.model} at ${m.endpoint.where}): the endpoint reported ${rec.inputTokens} prompt tokens for a prompt of about ${estimate} (${m.stats.promptCut} prompts so far) — it cuts prompts that do not fit its context: raise the server's context size (llama.cpp: -c / --ctx-size, which --parallel divides among slots; vLLM: --max-model-len; Ollama: num_ctx)`,
      m.key,
      undefined,
      true,
    );
  }
}
