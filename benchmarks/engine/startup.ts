/**
 * Start-up cost of the built CLI (issue 10): CPU (user + system, every thread of the child)
 * and wall time of `--help`, `--version`, a quickstart run and its report, each the median
 * of `repeats` fresh processes of dist/cli/main.js (build first: `npm run build`).
 *
 * The child's CPU is read inside the child: a preload script (`node --import`) records
 * process.cpuUsage() when the process exits, also through process.exit(), into a file
 * the parent reads. No /usr/bin/time, no /proc.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

export interface StartupRow {
  what: string;
  cpuMs: number;
  wallMs: number;
}

const PROBE = `import { writeFileSync } from "node:fs";
const file = process.env.HARNESS_EVOLVE_CPU_FILE;
process.on("exit", () => {
  const u = process.cpuUsage();
  if (file) writeFileSync(file, JSON.stringify({ cpuMs: (u.user + u.system) / 1000 }));
});
`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** One fresh `node dist/cli/main.js ...args`: its CPU (from the probe) and wall time (from here). */
function once(scratch: string, probe: string, args: string[]): { cpuMs: number; wallMs: number } {
  const cpuFile = join(scratch, "cpu.json");
  rmSync(cpuFile, { force: true });
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ["--import", pathToFileURL(probe).href, join(root, "dist/cli/main.js"), ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, HARNESS_EVOLVE_CPU_FILE: cpuFile },
    maxBuffer: 64 * 1024 * 1024,
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`harness-evolve ${args.join(" ")} failed (exit ${r.status}): ${(r.stderr ?? "").trim().split("\n").slice(-2).join(" | ")}`);
  if (!existsSync(cpuFile)) throw new Error(`harness-evolve ${args.join(" ")}: the CPU probe wrote nothing`);
  const { cpuMs } = JSON.parse(readFileSync(cpuFile, "utf8")) as { cpuMs: number };
  return { cpuMs, wallMs };
}

/**
 * Medians over `repeats` processes (default 3) of: `--help`, `--version`,
 * `run examples/quickstart/campaign.yaml --out <tmp> --json` (a fresh folder each time) and
 * `report <that run folder>` (the report alone, as every run ends by drawing it).
 */
export async function measureStartup(opts: { repeats?: number } = {}): Promise<{ rows: StartupRow[] }> {
  const repeats = Math.max(1, opts.repeats ?? 3);
  if (!existsSync(join(root, "dist/cli/main.js"))) throw new Error("dist/cli/main.js is missing: run `npm run build` first");
  const scratch = mkdtempSync(join(tmpdir(), "he-startup-"));
  const probe = join(scratch, "cpu-probe.mjs");
  writeFileSync(probe, PROBE);
  const campaign = join(root, "examples/quickstart/campaign.yaml");
  const out = join(scratch, "quickstart");
  const cases: { what: string; args: () => string[]; before?: () => void }[] = [
    { what: "--help", args: () => ["--help"] },
    { what: "--version", args: () => ["--version"] },
    { what: "run quickstart --json", args: () => ["run", campaign, "--out", out, "--json"], before: () => rmSync(out, { recursive: true, force: true }) },
    { what: "report (quickstart run)", args: () => ["report", out] },
  ];
  try {
    const rows: StartupRow[] = [];
    for (const c of cases) {
      const samples: { cpuMs: number; wallMs: number }[] = [];
      for (let i = 0; i < repeats; i++) {
        c.before?.();
        samples.push(once(scratch, probe, c.args()));
      }
      rows.push({ what: c.what, cpuMs: median(samples.map((s) => s.cpuMs)), wallMs: median(samples.map((s) => s.wallMs)) });
    }
    return { rows };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** A small markdown table of the rows (milliseconds, rounded). */
export function startupMarkdown(r: { rows: readonly StartupRow[] }): string {
  const ms = (x: number) => Math.round(x).toLocaleString("en-US");
  return [
    "| command | CPU ms (user + sys) | wall ms |",
    "| --- | ---: | ---: |",
    ...r.rows.map((row) => `| \`${row.what}\` | ${ms(row.cpuMs)} | ${ms(row.wallMs)} |`),
  ].join("\n");
}

// `npx tsx benchmarks/engine/startup.ts`: print the table.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  measureStartup().then(
    (r) => process.stdout.write(startupMarkdown(r) + "\n"),
    (e: unknown) => {
      process.stderr.write(`error: ${(e as Error).message}\n`);
      process.exit(1);
    },
  );
}
