import { errorKind, type CompletionRequest, type CompletionResponse } from "../llm/types.js";
import type { EvaluationOutcome, EvaluationRequest, IslandGenerationInput, IslandGenerationResult } from "./island-generation.js";

/** The typed messages between the main thread (the one writer) and an island worker. */
export type ToWorker =
  | { type: "run"; input: IslandGenerationInput }
  | { type: "reply"; id: number; ok: true; value: unknown }
  | { type: "reply"; id: number; ok: false; error: SerializedError };

export type FromWorker =
  | { type: "complete"; id: number; conv: number; req: CompletionRequest }
  | { type: "evaluate"; id: number; conv: number; req: EvaluationRequest }
  | { type: "done"; result: IslandGenerationResult }
  | { type: "crash"; message: string };

export interface SerializedError {
  kind: "budget" | "fatal" | "error";
  message: string;
}

/** What the main thread does for an island's requests. */
export interface IslandHandlers {
  complete(island: number, conv: number, req: CompletionRequest): Promise<CompletionResponse>;
  evaluate(island: number, conv: number, req: EvaluationRequest): Promise<EvaluationOutcome>;
}

/** Budget stops and permanent endpoint errors keep their meaning across the thread boundary. */
export function serializeError(e: unknown): SerializedError {
  const err = e as { name?: string; message?: string; permanent?: boolean };
  const kind = errorKind(e);
  if (kind === "budget") return { kind, message: err.message ?? "budget exhausted" };
  if (kind === "fatal") return { kind, message: err.message ?? "model call failed" };
  if (err?.name === "PortError") return { kind: (e as { kind: SerializedError["kind"] }).kind, message: err.message ?? "" };
  return { kind: "error", message: err?.message ?? String(e) };
}
