/**
 * A `gguf:` model answered in this process by llama.cpp through node-llama-cpp, an optional
 * package loaded with `import()` on the first call (nothing loads it unless a gguf model is
 * used). The gateway does budget, cache and replay as for any model; this only answers.
 *
 * - One model per file and engine settings per process, shared by every endpoint (and model
 *   key) that names it, loaded once and freed when the last endpoint closes.
 * - `concurrency` context sequences of `contextSize` tokens each: a call takes a free one (or
 *   waits for one), clears it and generates; calls on different sequences are evaluated in the
 *   same batches.
 * - Usage is counted with the model's tokenizer: prompt tokens are the chat-templated prompt's,
 *   completion tokens the tokens generated (thinking included, as OpenAI counts reasoning).
 * - The reply: its text without thinking segments; finish_reason `length` when the output cap
 *   (max_tokens or max_completion_tokens) or the end of the context stopped it, else `stop`.
 * - Sampling: temperature (default 0.8, as llama-server; 0 is greedy), top_p, top_k, min_p,
 *   seed (the same seed gives the same text), stop strings; repeat penalties only when
 *   frequency_penalty, presence_penalty or repeat_penalty is set.
 * - A prompt that does not fit the context fails the call for good, naming contextSize: a
 *   prompt is never silently cut.
 */
import type * as NodeLlamaCpp from "node-llama-cpp";
import type { ModelConfig } from "../config/schema.js";
import type { ChatEndpoint, EndpointReply } from "./chat-endpoint.js";
import { GGUF_PACKAGE, isModuleNotFound, missingEngineError, type GgufSettings } from "./gguf.js";
import { LlmCallError, type ChatMessage } from "./types.js";

type Engine = typeof NodeLlamaCpp;
type LlamaModel = NodeLlamaCpp.LlamaModel;
type Sequence = NodeLlamaCpp.LlamaContextSequence;

/** Loads the engine module; tests inject one that fails to resolve. */
export type EngineLoader = () => Promise<Engine>;
const importEngine: EngineLoader = () => import("node-llama-cpp");

/** Temperature when the call names none: llama-server's default. */
export const DEFAULT_TEMPERATURE = 0.8;

interface LoadedModel {
  engine: Engine;
  llama: NodeLlamaCpp.Llama;
  model: LlamaModel;
  context: NodeLlamaCpp.LlamaContext;
  chatWrapper: NodeLlamaCpp.ChatWrapper;
  pool: SequencePool;
}

interface Shared {
  loading: Promise<LoadedModel>;
  refs: number;
}

/** Models loaded in this process, by file and settings. */
const loaded = new Map<string, Shared>();

/** How many models this process holds now (for tests). */
export function loadedGgufModels(): number {
  return loaded.size;
}

export class GgufEndpoint implements ChatEndpoint {
  readonly where: string;
  attemptsSent = 0;
  private shared: Shared | undefined;
  private readonly id: string;
  private closed = false;

  constructor(
    readonly key: string,
    readonly cfg: ModelConfig,
    readonly path: string,
    readonly settings: GgufSettings,
    private readonly load: EngineLoader = importEngine,
  ) {
    this.where = path;
    this.id = JSON.stringify([path, settings]);
  }

  async complete(messages: readonly ChatMessage[], params: Record<string, unknown>): Promise<EndpointReply> {
    if (this.closed) throw new LlmCallError(`${this.label()}: the endpoint is closed`, this.key);
    this.attemptsSent++;
    const m = await this.acquire();
    const seq = await m.pool.take();
    try {
      return await this.generate(m, seq, messages, params);
    } finally {
      m.pool.give(seq);
    }
  }

  /** Frees the model when no other endpoint of this process uses it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const shared = this.shared;
    this.shared = undefined;
    if (!shared) return;
    shared.refs--;
    if (shared.refs > 0) return;
    if (loaded.get(this.id) === shared) loaded.delete(this.id);
    const m = await shared.loading.catch(() => undefined);
    await m?.llama.dispose();
  }

  private label(): string {
    return `model '${this.key}' (${this.cfg.model})`;
  }

  private acquire(): Promise<LoadedModel> {
    if (!this.shared) {
      let shared = loaded.get(this.id);
      if (!shared) {
        shared = { loading: this.loadModel(), refs: 0 };
        loaded.set(this.id, shared);
        const mine = shared;
        // A failed load is not kept: the next endpoint tries again.
        shared.loading.catch(() => {
          if (loaded.get(this.id) === mine) loaded.delete(this.id);
        });
      }
      shared.refs++;
      this.shared = shared;
    }
    return this.shared.loading;
  }

  private async loadModel(): Promise<LoadedModel> {
    let engine: Engine;
    try {
      engine = await this.load();
    } catch (err) {
      if (isModuleNotFound(err)) throw fatal(missingEngineError(this.key, this.cfg.model).message, this.key);
      throw fatal(`${this.label()}: could not load ${GGUF_PACKAGE}: ${messageOf(err)}`, this.key);
    }
    const s = this.settings;
    let llama: NodeLlamaCpp.Llama;
    try {
      // Prebuilt binaries only (they come from npm): never download or build llama.cpp at run time.
      llama = await engine.getLlama({ gpu: s.gpu, build: "never", skipDownload: true, logLevel: engine.LlamaLogLevel.error, progressLogs: false });
    } catch (err) {
      throw fatal(`${this.label()}: ${GGUF_PACKAGE} found no llama.cpp binary for this machine (${messageOf(err)}) — reinstall it with its optional dependencies (npm install ${GGUF_PACKAGE}@3)`, this.key);
    }
    try {
      const model = await llama.loadModel({ modelPath: this.path });
      const context = await model.createContext({
        contextSize: s.contextSize,
        sequences: s.sequences,
        threads: s.threads,
        ...(s.batchSize !== undefined ? { batchSize: s.batchSize } : {}),
      });
      const sequences: Sequence[] = [];
      for (let i = 0; i < s.sequences; i++) sequences.push(context.getSequence());
      return { engine, llama, model, context, chatWrapper: engine.resolveChatWrapper(model), pool: new SequencePool(sequences) };
    } catch (err) {
      await llama.dispose().catch(() => undefined);
      throw fatal(`${this.label()}: could not load ${this.path}: ${messageOf(err)} — check that it is a GGUF model llama.cpp supports, and lower models.${this.key}.params.contextSize or concurrency if memory ran out`, this.key);
    }
  }

  private async generate(m: LoadedModel, seq: Sequence, messages: readonly ChatMessage[], params: Record<string, unknown>): Promise<EndpointReply> {
    const { engine, model, chatWrapper } = m;
    const history = chatHistory(messages);
    const promptTokens = chatWrapper.generateContextState({ chatHistory: history }).contextText.tokenize(model.tokenizer).length;
    const contextSize = seq.contextSize;
    // One token of the context is left free: llama.cpp needs room to evaluate the last one.
    const room = contextSize - promptTokens - 1;
    if (room < 1) {
      throw fatal(`${this.label()}: a prompt of ${promptTokens} tokens does not fit its context of ${contextSize} tokens — raise models.${this.key}.params.contextSize`, this.key);
    }
    const asked = cap(params);
    const maxTokens = Math.min(asked ?? room, room);
    // Each call starts from an empty sequence, so its text never depends on what the sequence held before.
    await seq.clearHistory();
    const chat = new engine.LlamaChat({ contextSequence: seq, chatWrapper, autoDisposeSequence: false });
    let generated = 0;
    try {
      const res = await chat.generateResponse(history, {
        maxTokens,
        ...sampling(params),
        onToken: (tokens) => {
          generated += tokens.length;
        },
      });
      // The cap or the end of the context stopped it (both are `maxTokens` to the engine).
      const cut = res.metadata.stopReason === "maxTokens";
      return {
        text: res.response,
        usage: { prompt_tokens: promptTokens, completion_tokens: generated },
        attempts: 1,
        finishReason: cut ? "length" : "stop",
      };
    } catch (err) {
      throw new LlmCallError(`${this.label()}: generation failed: ${messageOf(err)}`, this.key);
    } finally {
      chat.dispose({ disposeSequence: false });
    }
  }
}

/** Context sequences handed to one call at a time; a call waits when all are busy. */
class SequencePool {
  private readonly waiting: ((s: Sequence) => void)[] = [];
  constructor(private readonly free: Sequence[]) {}

  take(): Promise<Sequence> {
    const s = this.free.pop();
    if (s) return Promise.resolve(s);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  give(s: Sequence): void {
    const next = this.waiting.shift();
    if (next) next(s);
    else this.free.push(s);
  }
}

/** The chat as node-llama-cpp's history, ending with the model's turn to answer. */
function chatHistory(messages: readonly ChatMessage[]): NodeLlamaCpp.ChatHistoryItem[] {
  const history: NodeLlamaCpp.ChatHistoryItem[] = messages.map((msg) =>
    msg.role === "system" ? { type: "system", text: msg.content } : msg.role === "user" ? { type: "user", text: msg.content } : { type: "model", response: [msg.content] },
  );
  history.push({ type: "model", response: [] });
  return history;
}

/** The output cap the gateway sent (max_tokens, or max_completion_tokens for a reasoning model). */
function cap(params: Record<string, unknown>): number | undefined {
  const v = params.max_completion_tokens ?? params.max_tokens;
  return typeof v === "number" && Number.isFinite(v) && v >= 1 ? Math.floor(v) : undefined;
}

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/** OpenAI-style sampling params as node-llama-cpp's generation options. */
export function sampling(params: Record<string, unknown>): Pick<NodeLlamaCpp.LLamaChatGenerateResponseOptions, "temperature" | "topP" | "topK" | "minP" | "seed" | "repeatPenalty" | "customStopTriggers"> {
  const out: ReturnType<typeof sampling> = { temperature: num(params.temperature) ?? DEFAULT_TEMPERATURE };
  const topP = num(params.top_p);
  const topK = num(params.top_k);
  const minP = num(params.min_p);
  const seed = num(params.seed);
  if (topP !== undefined) out.topP = topP;
  if (topK !== undefined) out.topK = topK;
  if (minP !== undefined) out.minP = minP;
  if (seed !== undefined) out.seed = seed;
  const frequencyPenalty = num(params.frequency_penalty);
  const presencePenalty = num(params.presence_penalty);
  const penalty = num(params.repeat_penalty);
  out.repeatPenalty =
    frequencyPenalty === undefined && presencePenalty === undefined && penalty === undefined
      ? false
      : { penalty: penalty ?? 1, ...(frequencyPenalty !== undefined ? { frequencyPenalty } : {}), ...(presencePenalty !== undefined ? { presencePenalty } : {}) };
  const stop = typeof params.stop === "string" ? [params.stop] : Array.isArray(params.stop) ? params.stop.filter((s): s is string => typeof s === "string" && s !== "") : [];
  if (stop.length > 0) out.customStopTriggers = stop;
  return out;
}

function fatal(message: string, key: string): LlmCallError {
  return new LlmCallError(message.replace(/\s+/g, " "), key, undefined, true);
}

function messageOf(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0]!.trim();
}
