/**
 * Strict parsers of evolver replies. A reply is usable only when it holds exactly one complete
 * block of the expected tag; anything else is rejected with a short reason (logged, and the
 * proposal retried), never guessed at: a half-parsed harness would be evaluated at full cost.
 */
import { findEngineTag } from "../protocol/tags.js";
import { blocks } from "../protocol/tags.js";

export const MAX_HARNESS_CHARS = 20_000;
export const MAX_CRITIQUE_CHARS = 20_000;

export type ParsedHarness = { ok: true; harness: string } | { ok: false; reason: string };
export type ParsedCritique = { ok: true; critique: string } | { ok: false; reason: string };

type Parsed = { ok: true; body: string } | { ok: false; reason: string };

function count(text: string, re: RegExp): number {
  return [...text.matchAll(re)].length;
}

/** Drop a ``` fence wrapped around the whole body (models like to fence markdown). */
function stripFence(body: string): string {
  const m = /^```[A-Za-z0-9_-]*[ \t]*\r?\n([\s\S]*?)\r?\n?```$/.exec(body.trim());
  return (m ? (m[1] ?? "") : body).trim();
}

function parseBlock(text: string, tag: string, maxChars: number, label: string): Parsed {
  const found = blocks(text, tag);
  const opens = count(text, new RegExp(`<${tag}(?:\\s+[a-zA-Z_-]+="[^"]*")*\\s*>`, "g"));
  const closes = count(text, new RegExp(`</${tag}>`, "g"));
  if (found.length === 0) {
    if (opens > 0) return { ok: false, reason: `unclosed <${tag}>` };
    if (closes > 0) return { ok: false, reason: `</${tag}> without an opening tag` };
    return { ok: false, reason: `no <${tag}> block` };
  }
  if (found.length > 1) return { ok: false, reason: `${found.length} <${tag}> blocks` };
  if (opens !== 1 || closes !== 1) return { ok: false, reason: `unbalanced <${tag}> tags` };
  const body = stripFence(found[0]!.body);
  if (body === "") return { ok: false, reason: `empty ${label}` };
  if (body.length > maxChars) return { ok: false, reason: `${label} over ${maxChars} chars` };
  return { ok: true, body };
}

/** Exactly one complete `<harness>` block, non-empty, within the size cap, free of engine tags. */
export function parseHarnessReply(text: string): ParsedHarness {
  const r = parseBlock(text, "harness", MAX_HARNESS_CHARS, "harness");
  if (!r.ok) return r;
  // A harness carrying the engine's tags would confuse every later prompt it is quoted in.
  const tag = findEngineTag(r.body);
  if (tag !== undefined) return { ok: false, reason: `harness contains the engine tag ${tag}>` };
  return { ok: true, harness: r.body };
}

/** Exactly one complete `<critique>` block, non-empty, within the size cap (templates escape its tags). */
export function parseCritiqueReply(text: string): ParsedCritique {
  const r = parseBlock(text, "critique", MAX_CRITIQUE_CHARS, "critique");
  return r.ok ? { ok: true, critique: r.body } : r;
}
