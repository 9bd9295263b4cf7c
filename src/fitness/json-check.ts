/**
 * The `json` check: parse the answer (fenced or bare), compare with an expected value, and
 * validate a small subset of JSON Schema (type, required, properties, additionalProperties,
 * enum, items). The subset is written out here so failures read as plain sentences with a
 * JSON path, which the feedback quotes to the evolver.
 */
import { cut, jsonEqual } from "./text.js";

export type JsonRead = { ok: true; value: unknown } | { ok: false; reason: string };

function tryParse(text: string): JsonRead {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
}

/** Parse JSON from an answer: a ```json fence, the bare text, or the outermost {...} / [...] span. */
export function readJson(text: string): JsonRead {
  const fence = /```[a-zA-Z0-9_-]*[ \t]*\r?\n([\s\S]*?)```/.exec(text);
  const candidates = [fence?.[1], text.trim()];
  for (const [open, close] of [["{", "}"], ["[", "]"]] as const) {
    const i = text.indexOf(open);
    const j = text.lastIndexOf(close);
    if (i !== -1 && j > i) candidates.push(text.slice(i, j + 1));
  }
  let firstReason: string | undefined;
  for (const c of candidates) {
    if (c === undefined || c.trim() === "") continue;
    const r = tryParse(c.trim());
    if (r.ok) return r;
    firstReason ??= r.reason;
  }
  return { ok: false, reason: `not valid JSON (${firstReason ?? "empty answer"})` };
}

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function typeMatches(v: unknown, t: string): boolean {
  const actual = typeOf(v);
  return actual === t || (t === "number" && actual === "integer");
}

function isSchema(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The first way `value` breaks `schema`, as a sentence with a JSON path; undefined when it conforms. */
export function schemaError(value: unknown, schema: Record<string, unknown>, path = "$"): string | undefined {
  const { type, enum: allowed, required, properties, additionalProperties, items } = schema;
  if (type !== undefined) {
    const types = Array.isArray(type) ? type.map(String) : [String(type)];
    if (!types.some((t) => typeMatches(value, t))) return `${path}: expected ${types.join(" or ")}, got ${typeOf(value)}`;
  }
  if (Array.isArray(allowed) && !allowed.some((a) => jsonEqual(a, value))) {
    return `${path}: expected one of ${cut(allowed.map((a) => JSON.stringify(a)).join("|"), 120)}, got ${cut(JSON.stringify(value) ?? "undefined", 60)}`;
  }
  if (isSchema(value)) {
    if (Array.isArray(required)) {
      const missing = required.map(String).find((k) => !Object.hasOwn(value, k));
      if (missing !== undefined) return `${path}: missing required property "${missing}"`;
    }
    const props = isSchema(properties) ? properties : {};
    for (const [k, v] of Object.entries(value)) {
      const sub = props[k];
      if (isSchema(sub)) {
        const err = schemaError(v, sub, `${path}.${k}`);
        if (err !== undefined) return err;
      } else if (additionalProperties === false) return `${path}: unexpected property "${k}"`;
      else if (isSchema(additionalProperties)) {
        const err = schemaError(v, additionalProperties, `${path}.${k}`);
        if (err !== undefined) return err;
      }
    }
  }
  if (Array.isArray(value) && isSchema(items)) {
    for (let i = 0; i < value.length; i++) {
      const err = schemaError(value[i], items, `${path}[${i}]`);
      if (err !== undefined) return err;
    }
  }
  return undefined;
}
