import { existsSync } from "node:fs";
import type { ModelConfig } from "../config/schema.js";
import type { ChatEndpoint } from "./chat-endpoint.js";
import { Endpoint, type EndpointOptions } from "./endpoint.js";
import { checkGgufModel, ggufSettings, isGgufModel, resolvePackage, type PackageResolver } from "./gguf.js";
import { GgufEndpoint, type EngineLoader } from "./gguf-endpoint.js";
import type { HttpThread } from "./http-thread.js";

export interface EndpointTarget {
  /** The model's key under `models`. */
  key: string;
  cfg: ModelConfig;
  /** OpenAI-compatible base URL (the sim server's for `sim:` models). */
  baseURL: string;
  apiKey: string;
  /** Folder relative model paths are resolved against (the campaign file's). */
  baseDir: string;
  opts?: EndpointOptions;
  /** How a `gguf:` model finds and loads node-llama-cpp (tests replace them). */
  gguf?: { resolve?: PackageResolver; load?: EngineLoader };
  /** Where HTTP requests go from: this thread when absent. */
  http?: HttpThread;
}

/**
 * The endpoint that serves a model: a `gguf:<path>` model runs in this process (gguf-endpoint.ts;
 * its file and the optional engine package are checked here, with a one-line error naming the
 * fix), every other model is an OpenAI-compatible HTTP endpoint.
 */
export function createEndpoint(t: EndpointTarget): ChatEndpoint {
  if (isGgufModel(t.cfg.model)) {
    const path = checkGgufModel(t.key, t.cfg, t.baseDir, existsSync, t.gguf?.resolve ?? resolvePackage);
    return new GgufEndpoint(t.key, t.cfg, path, ggufSettings(t.key, t.cfg), t.gguf?.load);
  }
  return t.http ? t.http.endpoint(t.key, t.cfg, t.baseURL, t.apiKey, t.opts) : new Endpoint(t.key, t.cfg, t.baseURL, t.apiKey, t.opts);
}
