import { join } from "node:path";
import { benchStrategies, parseStrategies } from "../bench/strategies.js";
import { STRATEGIES } from "../config/schema.js";
import { UserError } from "../config/errors.js";
import { benchTiers } from "../bench/tiers.js";
import { benchAllocation } from "../bench/allocation.js";
import { verifierStudy, writeVerifierStudy } from "../bench/verifier-study.js";

const list = (s: string) => s.split(",").map((x) => x.trim()).filter(Boolean);

export interface BenchCliOptions {
  /** Default: every strategy the engine has (STRATEGIES). */
  strategies?: string;
  presets?: string;
  seeds: number;
  out: string;
  set: string[];
  jobs?: number;
  total?: number;
  evolvers: string;
  users: string;
  reasoning: string;
  samples: string;
  json?: boolean;
}

const EXPERIMENTS = ["tiers", "allocation", "verifier"] as const;

function progress(json: boolean | undefined) {
  return json ? undefined : (o: { spec: { label: string; seed: number } }, done: number, total: number) => process.stderr.write(`[${done}/${total}] ${o.spec.label} seed ${o.spec.seed} done\n`);
}

export async function runBench(first: string, second: string | undefined, o: BenchCliOptions): Promise<void> {
  const experiment = (EXPERIMENTS as readonly string[]).includes(first) ? first : undefined;
  const campaign = experiment ? second : first;
  if (!campaign) throw new UserError(`bench ${first}: name the campaign file`);
  if (!experiment && second) throw new UserError(`bench: unexpected argument "${second}" (experiments are: ${EXPERIMENTS.join(", ")})`);
  const out = o.out || join("runs", `bench-${experiment ?? "strategies"}`);
  const onDone = progress(o.json);
  let result: unknown;
  let files: string[] = [];
  switch (experiment) {
    case undefined:
      if (o.presets !== undefined) {
        const { benchMap, parsePresets } = await import("../bench/map.js");
        const presets = parsePresets(o.presets);
        const map = await benchMap(campaign, { presets, strategies: parseStrategies(o.strategies ?? STRATEGIES.join(",")), seeds: o.seeds, out, sets: o.set, jobs: o.jobs, onDone });
        const { benches: _b, ...flat } = map;
        result = flat;
        files = ["map.md", "map.json", ...presets.map((p) => join(p, "bench.md"))];
        break;
      }
      result = await benchStrategies(campaign, { strategies: parseStrategies(o.strategies ?? STRATEGIES.join(",")), seeds: o.seeds, out, sets: o.set, jobs: o.jobs, onDone });
      files = ["bench.md", "bench.json", "anytime.svg"];
      break;
    case "tiers":
      result = await benchTiers(campaign, { evolvers: list(o.evolvers), users: list(o.users), seeds: o.seeds, out, sets: o.set, jobs: o.jobs, onDone });
      files = ["tiers.md", "tiers.json", "update-gain.svg", "benefit.svg"];
      break;
    case "allocation":
      if (o.total === undefined) throw new UserError("bench allocation: --total <budget> is required (in the campaign's budget unit)");
      result = await benchAllocation(campaign, { total: o.total, seeds: o.seeds, out, sets: o.set, jobs: o.jobs, onDone });
      files = ["allocation.md", "allocation.json", "allocation.svg"];
      break;
    case "verifier": {
      const study = await verifierStudy(campaign, { out, reasoning: list(o.reasoning).map(Number), samples: list(o.samples).map(Number), sets: o.set });
      await writeVerifierStudy(out, study);
      result = study;
      files = ["verifier.md", "verifier-study.json", "verifier.svg"];
      break;
    }
    default:
      throw new UserError(`bench ${experiment}: not available yet`);
  }
  if (o.json) process.stdout.write(JSON.stringify(result, null, 2) + "\n");
  else process.stderr.write(`wrote ${files.map((f) => join(out, f)).join(", ")}\n`);
}
