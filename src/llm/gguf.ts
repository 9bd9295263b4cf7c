/**
 * `gguf:` models: a local GGUF file run in this process by node-llama-cpp (see gguf-endpoint.ts).
 * This module is what the rest of the engine may know of them without loading the engine:
 * the model-name form, the file path, the engine settings read from the model's params, and
 * whether the optional package is installed.
 */
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { isAbsolute, resolve } from "node:path";
import type { ModelConfig } from "../config/schema.js";
import { UserError } from "../config/errors.js";

export const GGUF_PREFIX = "gguf:";
/** The optional package that runs GGUF models, and how to install it. */
export const GGUF_PACKAGE = "node-llama-cpp";
export const GGUF_INSTALL = "npm install node-llama-cpp@3";

export function isGgufModel(model: string): boolean {
  return model.startsWith(GGUF_PREFIX);
}

/** The model file of `gguf:<path>`, a relative path taken from `baseDir` (the campaign file's folder). */
export function ggufPath(model: string, baseDir: string): string {
  const p = model.slice(GGUF_PREFIX.length).trim();
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

/**
 * Engine settings of a `gguf:` model, from its params (they are the model's, not per call):
 *  - `contextSize`: tokens one call may hold, prompt and reply together (default 4096). A prompt
 *    that does not fit fails the call naming the setting; a reply is cut where the context ends.
 *  - `threads`: CPU threads per evaluation (default: the cores less one, at least 1). The text
 *    of a seed is the same for the same file, settings and machine; another thread count (or
 *    CPU) may change it, so pin `threads` to reproduce a run elsewhere.
 *  - `gpu`: `auto` (default: CUDA, Vulkan or Metal when a binary and a device are there) or false.
 *  - `batchSize`: tokens evaluated at once while reading the prompt (default: node-llama-cpp's).
 * The model's `concurrency` is how many calls generate at once, each in its own context sequence.
 */
export interface GgufSettings {
  contextSize: number;
  threads: number;
  gpu: "auto" | false;
  batchSize?: number;
  sequences: number;
}

export const DEFAULT_CONTEXT_SIZE = 4096;

/** Params that set up the engine; they are not sampling params of a call. */
export const ENGINE_PARAMS = ["contextSize", "context_size", "threads", "gpu", "batchSize", "batch_size"] as const;

export function ggufSettings(key: string, cfg: Pick<ModelConfig, "params" | "concurrency">): GgufSettings {
  const p = cfg.params;
  const int = (names: string[], min: number): number | undefined => {
    for (const name of names) {
      const v = p[name];
      if (v === undefined) continue;
      if (typeof v !== "number" || !Number.isInteger(v) || v < min) throw new UserError(`models.${key}.params.${name}: expected a whole number ≥ ${min}, got ${JSON.stringify(v)}`);
      return v;
    }
    return undefined;
  };
  const gpu = p.gpu ?? "auto";
  if (gpu !== "auto" && gpu !== false) throw new UserError(`models.${key}.params.gpu: expected "auto" or false, got ${JSON.stringify(gpu)}`);
  const threads = int(["threads"], 1) ?? Math.max(1, availableParallelism() - 1);
  const batchSize = int(["batchSize", "batch_size"], 1);
  return {
    contextSize: int(["contextSize", "context_size"], 64) ?? DEFAULT_CONTEXT_SIZE,
    threads,
    gpu,
    ...(batchSize !== undefined ? { batchSize } : {}),
    sequences: cfg.concurrency,
  };
}

/** Resolves a package name from here, as `import()` would (throws when it is not installed). */
export type PackageResolver = (name: string) => string;
const require = createRequire(import.meta.url);
export const resolvePackage: PackageResolver = (name) => require.resolve(name);

/** The one-line error for a `gguf:` model when node-llama-cpp is not installed. */
export function missingEngineError(key: string, model: string): UserError {
  return new UserError(`models.${key}: '${model}' runs in-process through the optional package ${GGUF_PACKAGE}, which is not installed — install it with: ${GGUF_INSTALL}`);
}

/** Whether an error says that a module could not be found (an absent package). */
export function isModuleNotFound(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND";
}

/**
 * What a `gguf:` model needs before anything runs: its file, and the engine package. Throws a
 * one-line UserError naming the fix; a preflight can call it before a run folder exists.
 */
export function checkGgufModel(key: string, cfg: Pick<ModelConfig, "model" | "params" | "concurrency">, baseDir: string, exists: (path: string) => boolean, resolver: PackageResolver = resolvePackage): string {
  if (cfg.model.slice(GGUF_PREFIX.length).trim() === "") throw new UserError(`models.${key}.model: 'gguf:' needs a file path, e.g. gguf:./models/model.gguf`);
  const path = ggufPath(cfg.model, baseDir);
  ggufSettings(key, cfg);
  if (!exists(path)) throw new UserError(`models.${key}.model: no GGUF file at ${path} (a relative path is taken from the campaign file's folder)`);
  try {
    resolver(GGUF_PACKAGE);
  } catch (err) {
    if (isModuleNotFound(err)) throw missingEngineError(key, cfg.model);
    throw err;
  }
  return path;
}
