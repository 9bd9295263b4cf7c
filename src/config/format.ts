import type { z } from "zod";

/** `a.b[2].c` from a zod issue path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out === "" ? String(p) : `.${String(p)}`;
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

/** One line naming the field, what was expected and what was given. */
export function formatIssue(issue: z.core.$ZodIssue, input: unknown): string {
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys;
    const where = issue.path.length ? `${formatPath(issue.path)}.` : "";
    return `${keys.map((k) => where + k).join(", ")}: unknown key${keys.length > 1 ? "s" : ""}`;
  }
  const got = valueAt(input, issue.path);
  const shown = got === undefined ? "" : ` (got ${JSON.stringify(got)?.slice(0, 60)})`;
  const msg = issue.message.replace(/^Invalid input: /, "").replace(/^Too small: /, "").replace(/^Too big: /, "");
  return `${formatPath(issue.path)}: ${msg.charAt(0).toLowerCase()}${msg.slice(1)}${got === undefined && issue.code === "invalid_type" ? "" : shown}`;
}
