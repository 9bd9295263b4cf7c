/**
 * The sim's request handler: a pure function from (world, chat-completion
 * body) to an OpenAI-shaped response. It recognises what it is asked from the
 * tags in the last user message and never throws.
 */
import { TAG, blocks } from "../protocol/tags.js";
import { hasTag, innerBlock } from "./prompt.js";
import { evolverReply } from "./evolver.js";
import { isSimModel, simProfile, SIM_MODELS } from "./models.js";
import { userAnswer } from "./user.js";
import { DEFAULT_REASONING_TOKENS, verifierReply } from "./verifier.js";
import type { World } from "./world.js";
import { hash53, hashHex } from "./util.js";

export interface SimReply {
  status: number;
  body: unknown;
}

interface Msg {
  role: string;
  text: string;
}

const ROLES = new Set(["system", "developer", "user", "assistant", "tool", "function"]);
/** Fixed so identical requests give byte-identical bodies. */
const CREATED = 0;

export function openAIError(status: number, message: string, type: string, param: string | null, code: string | null): SimReply {
  return { status, body: { error: { message, type, param, code } } };
}

function invalid(message: string, param: string | null): SimReply {
  return openAIError(400, message, "invalid_request_error", param, null);
}

/** Message content as text: a string, or the text parts of a content array. Undefined when malformed. */
function contentText(c: unknown): string | undefined {
  if (typeof c === "string") return c;
  if (c === null || c === undefined) return "";
  if (!Array.isArray(c)) return undefined;
  const parts: string[] = [];
  for (const p of c) {
    if (!p || typeof p !== "object") return undefined;
    const part = p as Record<string, unknown>;
    if (part.type === "text" && typeof part.text === "string") parts.push(part.text);
  }
  return parts.join("\n");
}

function readMessages(raw: unknown[]): Msg[] | string {
  const out: Msg[] = [];
  for (const [i, m] of raw.entries()) {
    if (!m || typeof m !== "object" || Array.isArray(m)) return `messages[${i}] must be an object.`;
    const rec = m as Record<string, unknown>;
    if (typeof rec.role !== "string" || !ROLES.has(rec.role)) return `messages[${i}].role must be one of ${[...ROLES].join(", ")}.`;
    const text = contentText(rec.content);
    if (text === undefined) return `messages[${i}].content must be a string or an array of content parts.`;
    out.push({ role: rec.role, text });
  }
  return out;
}

function numberField(body: Record<string, unknown>, key: string): number | undefined {
  const v = body[key];
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

export function simRespond(world: World, body: unknown): SimReply {
  try {
    return respond(world, body);
  } catch (e) {
    // A bug in the sim must surface as an API error, never crash the server.
    return openAIError(500, `sim internal error: ${e instanceof Error ? e.message : String(e)}`, "server_error", null, null);
  }
}

function respond(world: World, body: unknown): SimReply {
  if (!body || typeof body !== "object" || Array.isArray(body)) return invalid("The request body must be a JSON object.", null);
  const b = body as Record<string, unknown>;
  if (!Array.isArray(b.messages) || b.messages.length === 0) return invalid("'messages' must be a non-empty array.", "messages");
  const msgs = readMessages(b.messages);
  if (typeof msgs === "string") return invalid(msgs, "messages");
  if (typeof b.model !== "string" || b.model === "") return invalid("'model' is required.", "model");
  if (!isSimModel(b.model)) {
    return openAIError(404, `The model '${b.model}' does not exist. Sim models: ${SIM_MODELS.join(", ")}.`, "invalid_request_error", "model", "model_not_found");
  }
  if (b.stream === true) return invalid("The sim does not stream; send stream: false.", "stream");
  const maxRaw = b.max_tokens ?? b.max_completion_tokens;
  if (maxRaw !== undefined && maxRaw !== null && !(typeof maxRaw === "number" && Number.isInteger(maxRaw) && maxRaw > 0)) {
    return invalid("'max_tokens' must be a positive integer.", "max_tokens");
  }
  const maxTokens = typeof maxRaw === "number" ? maxRaw : undefined;
  const model = b.model;
  const profile = simProfile(model);
  const seedField = numberField(b, "seed");
  const seed = seedField !== undefined ? Math.trunc(seedField) : hash53(msgs.map((m) => `${m.role}:${m.text}`).join("\n"));
  const temperature = numberField(b, "temperature") ?? 1;
  const reasoning = numberField(b, "reasoning_tokens") ?? DEFAULT_REASONING_TOKENS;

  const lastUser = [...msgs].reverse().find((m) => m.role === "user")?.text ?? "";
  const system = msgs.filter((m) => m.role === "system" || m.role === "developer").map((m) => m.text).join("\n\n");
  let reply: string;
  if (hasTag(lastUser, TAG.operator)) reply = evolverReply(world, profile, lastUser, seed, temperature);
  // A user prompt may say `Final answer: <answer>`, so only a closed block marks a judgement.
  else if (blocks(lastUser, TAG.answer).length > 0 || blocks(lastUser, TAG.rubric).length > 0) reply = verifierReply(world, profile, lastUser, seed, reasoning);
  else if (hasTag(lastUser, TAG.task)) reply = userAnswer(world, profile, system, innerBlock(lastUser, TAG.task) ?? "", seed).text;
  else reply = "I am a simulated model. Send a task in <task> tags, an evolver step in <operator> tags, or a judgement with <rubric>, <task> and <answer> tags.";

  let finish = "stop";
  if (maxTokens !== undefined && reply.length > maxTokens * 4) {
    reply = reply.slice(0, maxTokens * 4);
    finish = "length";
  }
  const promptTokens = msgs.reduce((s, m) => s + Math.ceil(m.text.length / 4) + 4, 0);
  const completionTokens = Math.ceil(reply.length / 4);
  const id = `chatcmpl-sim-${hashHex(JSON.stringify([model, seed, temperature, reasoning, maxTokens ?? null, msgs]))}`;
  return {
    status: 200,
    body: {
      id,
      object: "chat.completion",
      created: CREATED,
      model,
      choices: [{ index: 0, message: { role: "assistant", content: reply }, finish_reason: finish }],
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
    },
  };
}

export function modelList(): unknown {
  return { object: "list", data: SIM_MODELS.map((id) => ({ id, object: "model", created: CREATED, owned_by: "harness-evolve-sim" })) };
}
