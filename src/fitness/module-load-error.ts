/**
 * Why a fitness module did not load, worded for the user in one line: a loader's message can
 * span lines (a require stack, esbuild's list of errors), and a missing package deserves the
 * package's name and where to install it rather than Node's wording.
 */
import { dirname } from "node:path";
import { commonJsScopeOf } from "./module-format.js";

/** The reason `file` (the fitness module) did not load, given what its import threw. */
export function loadFailure(e: unknown, file: string, ownName: string): string {
  const manifest = commonJsScopeOf(file);
  if (manifest) return `it uses import/export, but ${manifest} says "type": "commonjs": rename it to .mts or .mjs, or set "type": "module"`;
  const message = e instanceof Error ? e.message || e.name : String(e);
  const code = (e as { code?: unknown } | null)?.code;
  const missing = /Cannot find package '([^']+)' imported from (.+)/.exec(message);
  if (code === "ERR_MODULE_NOT_FOUND" && missing) {
    const name = missing[1]!;
    const importer = missing[2]!;
    if (name === ownName) return `${name} is not found from ${importer}: this Node has no module.register (Node 20.6+ does), so install ${name} next to the module`;
    return `the package "${name}" is not installed (imported from ${importer}): run \`npm install ${name}\` in ${dirname(importer)} or a folder above it, or remove the import`;
  }
  return `cannot load the module: ${oneLine(message)}`;
}

/** The message's lines up to a require stack, without stack frames, joined. */
function oneLine(message: string): string {
  const lines: string[] = [];
  for (const line of message.split("\n")) {
    if (/^\s*Require stack:/.test(line)) break;
    if (/^\s+at\s/.test(line) || !line.trim()) continue;
    lines.push(line.trim());
  }
  return lines.join(" ");
}
