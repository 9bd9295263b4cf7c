import type { z } from "zod";

/** A key as written in a field path: bare when it is a plain name, else quoted (`models."a b"`). */
export function showKey(key: PropertyKey): string {
  const s = String(key);
  return /^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(s) ? s : JSON.stringify(s);
}

/** `a.b[2].c` from a zod issue path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out === "" ? showKey(p) : `.${showKey(p)}`;
  }
  return out === "" ? "(top level)" : out;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const p of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

/** A value as quoted in a message: JSON, cut short; never throws. */
export function showValue(value: unknown, max = 60): string {
  let s: string | undefined;
  try {
    s = typeof value === "number" && !Number.isFinite(value) ? String(value) : JSON.stringify(value);
  } catch {
    s = undefined;
  }
  s ??= Array.isArray(value) ? "[…]" : typeof value === "object" && value !== null ? "{…}" : String(value);
  return s.length <= max ? s : `${s.slice(0, max)}…`;
}

/** One line naming the field, what was expected and what was given. */
export function formatIssue(issue: z.core.$ZodIssue, input: unknown): string {
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys;
    const where = issue.path.length ? `${formatPath(issue.path)}.` : "";
    return `${keys.map((k) => where + showKey(k)).join(", ")}: unknown key${keys.length > 1 ? "s" : ""}`;
  }
  const got = valueAt(input, issue.path);
  if (got === undefined && issue.code === "invalid_type") return `${formatPath(issue.path)}: missing (expected ${issue.expected})`;
  const shown = got === undefined ? "" : ` (got ${showValue(got)})`;
  const msg = issue.message.replace(/^Invalid input: /, "").replace(/^Too small: /, "").replace(/^Too big: /, "");
  return `${formatPath(issue.path)}: ${msg.charAt(0).toLowerCase()}${msg.slice(1)}${shown}`;
}
