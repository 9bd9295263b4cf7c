import { readFileSync, statSync } from "node:fs";
import { parseDocument } from "yaml";
import { UserError } from "./errors.js";

export type FileKind = "file" | "directory" | "missing" | "other";

/** What is at `path`, never throwing (a path with a NUL byte, too long, or unreadable is "missing"). */
export function fileKind(path: string): FileKind {
  try {
    const s = statSync(path, { throwIfNoEntry: false });
    if (s === undefined) return "missing";
    return s.isFile() ? "file" : s.isDirectory() ? "directory" : "other";
  } catch {
    return "missing";
  }
}

/** A path as shown in a message: quoted, so spaces, quotes and line breaks in it are visible. */
export function showPath(path: string): string {
  return JSON.stringify(path);
}

/** A file's text, or a UserError `<label>: <problem>` (not found, a directory, unreadable). */
export function readText(file: string, label: string, expected = "a file"): string {
  const kind = fileKind(file);
  if (kind === "missing") throw new UserError(`${label}: file not found`);
  if (kind === "directory") throw new UserError(`${label}: is a directory, expected ${expected}`);
  // A pipe or a device could block the read forever.
  if (kind === "other") throw new UserError(`${label}: is not a regular file, expected ${expected}`);
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    throw new UserError(`${label}: cannot read the file${typeof code === "string" ? ` (${code})` : ""}: ${String((e as Error).message).split("\n")[0]}`);
  }
}

/**
 * Structured data from YAML text: the first error (with its line) or an alias problem as one
 * line, warnings ignored (an unknown tag reads as its plain value, and the schema judges that).
 * Data that cannot be written back as JSON (an alias inside its own anchor, nesting deeper
 * than the stack) is refused here, before anything walks it.
 */
export function parseYamlText(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  let value: unknown;
  try {
    const doc = parseDocument(text);
    const err = doc.errors[0];
    if (err) return { ok: false, reason: err.message.split("\n")[0]!.replace(/:$/, "") };
    value = doc.toJS();
  } catch (e) {
    return { ok: false, reason: String((e as Error)?.message ?? e).split("\n")[0]! };
  }
  const json = plainData(value);
  return json === undefined ? { ok: true, value } : { ok: false, reason: json };
}

/** Undefined when `value` is plain data (no cycle, not absurdly deep); otherwise the reason. */
export function plainData(value: unknown): string | undefined {
  try {
    JSON.stringify(value);
    return undefined;
  } catch (e) {
    const m = String((e as Error)?.message ?? e);
    if (/circular/i.test(m)) return "an alias refers to a node that contains it (a circular structure)";
    if (/call stack/i.test(m)) return "nested too deeply";
    return m.split("\n")[0];
  }
}

/** A campaign or preset file (YAML, or JSON by extension) as data; every problem a one-line UserError `<label>: ...`. */
export function readStructured(file: string, label = file): unknown {
  const text = readText(file, label);
  if (file.endsWith(".json")) {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new UserError(`${label}: not valid JSON: ${String((e as Error)?.message ?? e).split("\n")[0]}`);
    }
  }
  const parsed = parseYamlText(text);
  if (!parsed.ok) throw new UserError(`${label}: not valid YAML: ${parsed.reason}`);
  return parsed.value;
}
