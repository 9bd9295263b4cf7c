import type { ModelConfig } from "../config/schema.js";
import type { ChatEndpoint } from "./chat-endpoint.js";
import { Endpoint, type EndpointOptions } from "./endpoint.js";

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
}

/** The endpoint that serves a model: today every model is an OpenAI-compatible HTTP endpoint. */
export function createEndpoint(t: EndpointTarget): ChatEndpoint {
  return new Endpoint(t.key, t.cfg, t.baseURL, t.apiKey, t.opts);
}
