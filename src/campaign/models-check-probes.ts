/**
 * The requests `models check` sends: for each role the campaign binds and each model of it, one
 * request of the shape the run sends (its prompt builders, output caps and temperatures), and
 * the parser the run reads its reply with.
 */
import { resolvePresets, taskContext } from "./run.js";
import type { LoadedCampaign } from "../config/load.js";
import type { CampaignConfig, Role } from "../config/schema.js";
import { extractFinalAnswer } from "../fitness/text.js";
import { taskPrompt } from "../fitness/task-fitness.js";
import type { Task, TaskSuite } from "../fitness/types.js";
import { buildVerifierMessages, parseJudgement } from "../fitness/verifier.js";
import { parseHarnessReply } from "../operators/parse.js";
import { mutatePrompt } from "../operators/templates.js";
import { canonicalJson, effectiveParams } from "../llm/params.js";
import { resolveRoles } from "../llm/roles.js";
import type { CompletionRequest } from "../llm/types.js";

export type Parsed = { ok: true } | { ok: false; reason: string };

export interface Probe {
  role: Role;
  /** The model's key under `models`. */
  key: string;
  /** What the request stands for, short: `task trip-minutes`, `mutate t=0.3 (refiner)`. */
  what: string;
  req: CompletionRequest;
  /** Whether the run could use the reply, read as the run reads it. */
  parse(text: string): Parsed;
  /** Replies the run reads before it gives up on one that does not parse (a fresh sample each). */
  tries: number;
}

/** propose.ts asks an operator step up to 3 times; judgeRubric asks a judgement twice; an answer is read once. */
const TRIES: Record<Role, number> = { evolver: 3, verifier: 2, user: 1 };

/** Used when the campaign has no task suite (module or command fitness). */
const ARITHMETIC: Pick<Task, "id" | "input"> = { id: "arithmetic", input: "What is 17 + 25?" };
/** Used when the suite has no rubric task (or there is no suite). */
const MADE_UP_RUBRIC = { id: "made-up", input: "What is 17 + 25?", rubric: "The answer gives the sum of 17 and 25, which is 42." };
/** The answer the verifier judges: the check has no real answer to show it. */
const ANSWER = "17 + 25 = 42.\nFinal answer: 42";

export function buildProbes(loaded: LoadedCampaign, suite: TaskSuite | undefined): Probe[] {
  const { config } = loaded;
  const roles = resolveRoles(config);
  const probes: Probe[] = [];
  const key = (role: Role, model: string, n = 0) => `models-check/${role}/${model}/${n}`;

  const task = suite?.tasks.find((t) => t.split === "train") ?? ARITHMETIC;
  const tasks = config.fitness.type === "tasks" ? config.fitness : undefined;
  for (const { key: model } of roles.user ?? []) {
    probes.push({
      role: "user",
      key: model,
      what: `task ${task.id}`,
      req: {
        role: "user",
        model,
        sampleKey: key("user", model),
        messages: [
          { role: "system", content: loaded.seedHarness },
          { role: "user", content: taskPrompt(task.input) },
        ],
        ...(tasks?.answerMaxTokens !== undefined ? { maxTokens: tasks.answerMaxTokens } : {}),
      },
      parse: finalAnswerLine,
      tries: TRIES.user,
    });
  }

  // The seed harness before its first evaluation: no score or feedback yet.
  const messages = mutatePrompt({ parents: [{ text: loaded.seedHarness, score: Number.NaN, feedback: "" }], context: taskContext(suite) });
  for (const [i, t] of evolverShapes(loaded, config).entries()) {
    probes.push({
      role: "evolver",
      key: t.key,
      what: `mutate${t.temperature === undefined ? "" : ` t=${t.temperature}`} (${t.via.join(", ")})`,
      req: { role: "evolver", model: t.key, sampleKey: key("evolver", t.key, i), messages, ...(t.requested !== undefined ? { temperature: t.requested } : {}) },
      parse: (text) => parseHarnessReply(text),
      tries: TRIES.evolver,
    });
  }

  const rubricTask = suite?.tasks.find((t) => t.check.type === "rubric");
  const rubric = rubricTask?.check.type === "rubric" ? { id: rubricTask.id, input: rubricTask.input, rubric: rubricTask.check.rubric } : MADE_UP_RUBRIC;
  for (const { key: model } of roles.verifier ?? []) {
    probes.push({
      role: "verifier",
      key: model,
      what: rubricTask ? `rubric task ${rubric.id}` : "made-up rubric",
      req: {
        role: "verifier",
        model,
        sampleKey: key("verifier", model),
        messages: buildVerifierMessages(rubric.rubric, rubric.input, ANSWER),
        ...(tasks?.verifierMaxTokens !== undefined ? { maxTokens: tasks.verifierMaxTokens } : {}),
      },
      parse: (text) => {
        const j = parseJudgement(text);
        return j.ok ? { ok: true } : j;
      },
      tries: TRIES.verifier,
    });
  }
  return probes;
}

/** The checks read what follows the last `Final answer:` line, or the whole reply when there is none. */
function finalAnswerLine(text: string): Parsed {
  return extractFinalAnswer(text) !== text.trim() ? { ok: true } : { ok: false, reason: "no `Final answer:` line (the checks would read the whole reply)" };
}

interface EvolverShape {
  key: string;
  /** The temperature the run asks for. */
  requested: number | undefined;
  /** The one sent (none to a reasoning model whose params set none). */
  temperature: number | undefined;
  /** The presets (or the baseline) that send this request. */
  via: string[];
}

/**
 * Who writes variants, at which temperature: each island preset's own evolver or the role's
 * models, at the preset's temperature; a baseline's at the strategy's. Shapes the gateway sends
 * alike (a reasoning model gets no temperature) are one request.
 */
function evolverShapes(loaded: LoadedCampaign, config: CampaignConfig): EvolverShape[] {
  const roleModels = (resolveRoles(config).evolver ?? []).map((m) => m.key);
  const s = config.strategy;
  const wanted: { key: string; temperature: number; via: string }[] = [];
  if (s.name === "islands") {
    const seen = new Set<string>();
    for (const p of resolvePresets(loaded)) {
      if (seen.has(p.name)) continue;
      seen.add(p.name);
      for (const key of p.evolver ? [p.evolver] : roleModels) wanted.push({ key, temperature: p.temperature, via: p.name });
    }
  } else {
    for (const key of roleModels) wanted.push({ key, temperature: s.temperature, via: s.name });
  }
  const shapes = new Map<string, EvolverShape>();
  for (const w of wanted) {
    const { body } = effectiveParams(config.models[w.key]!, { role: "evolver", temperature: w.temperature, sampleKey: "shape" }, 0);
    delete body.seed;
    const id = `${w.key}\u0000${canonicalJson(body)}`;
    const known = shapes.get(id);
    if (known) known.via.push(w.via);
    else shapes.set(id, { key: w.key, requested: w.temperature, temperature: body.temperature as number | undefined, via: [w.via] });
  }
  return [...shapes.values()];
}
