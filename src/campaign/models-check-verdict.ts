/**
 * What a `models check` reply means for the run: usable (an answer the run's parser reads),
 * or a failure with its reason and the one setting to change.
 */
import type { CampaignConfig, ModelConfig, Role } from "../config/schema.js";
import { nonAnswerReason } from "../fitness/task-fitness.js";
import { isReasoningModel } from "../llm/capabilities.js";
import { capSetting } from "../llm/params.js";
import type { Probe } from "./models-check-probes.js";
import type { CompletionResponse } from "../llm/types.js";

export interface Verdict {
  ok: boolean;
  /** The run's parser read the reply (a harness, a score, a `Final answer:` line). */
  parsed: boolean;
  error?: string;
  advice?: string;
}

/** `firstCap`: the cap the run sends first (the reply may come from the gateway's one wider retry). */
export function judgeReply(probe: Probe, res: CompletionResponse, cfg: ModelConfig, config: CampaignConfig, firstCap: number): Verdict {
  const parsed = probe.parse(res.text);
  if (res.kind !== "answer") {
    const blank = res.text.trim() === "";
    // A reasoning model's cut reply is asked once more with a wider cap (plan.ts): say both caps.
    const widened = res.maxTokens !== firstCap;
    const error =
      widened && res.kind === "truncated"
        ? `${nonAnswerReason("truncated", firstCap, blank)}, and again at ${res.maxTokens} on the run's one wider retry`
        : `${nonAnswerReason(res.kind, res.maxTokens, blank)}${widened ? ` (on the run's wider retry with ${res.maxTokens} tokens)` : ""}`;
    return { ok: false, parsed: parsed.ok, error, advice: nonAnswerAdvice(res, probe, cfg, config, firstCap) };
  }
  if (!parsed.ok) return { ok: false, parsed: false, error: parsed.reason, advice: PARSE_ADVICE[probe.role] };
  return { ok: true, parsed: true };
}

function nonAnswerAdvice(res: CompletionResponse, probe: Probe, cfg: ModelConfig, config: CampaignConfig, firstCap: number): string {
  switch (res.kind) {
    case "truncated": {
      const effort = isReasoningModel(cfg) ? `, or lower models.${probe.key}.params.reasoningEffort` : "";
      return `raise ${capSetting(config, probe.role, probe.key, cfg)} (${firstCap} now)${effort}`;
    }
    case "empty":
      return `check that '${cfg.model}' answers this kind of prompt (a thinking model may write only its thinking: give it a larger cap or turn its thinking off)`;
    case "refusal":
      return "the model refused this prompt: every run prompt of this role may be refused too";
    case "tool_calls":
      return "the model asked for tools instead of answering in text: remove tool settings from its params or use another model";
    default:
      return "";
  }
}

const PARSE_ADVICE: Record<Role, string> = {
  evolver: "the run retries a proposal 3 times, then drops it: an evolver that never writes one <harness> block proposes nothing; use a stronger model for the evolver role",
  user: "the task prompt asks for that line; answers without it are checked whole and rarely pass: state it in the seed harness too, or use a stronger model",
  verifier: "a judgement without a `Score: N/10` line is retried once, then scores 0: use a stronger model for the verifier role",
};
