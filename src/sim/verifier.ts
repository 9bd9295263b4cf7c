/**
 * The verifier role: writes reasoning of about `reasoning_tokens` tokens, then
 * `Score: N/10`. Its accuracy rises with the reasoning it spends. Ground truth
 * comes from the task registry and the answer's content only, so text inside
 * <answer> cannot steer it.
 */
import { FINAL_ANSWER_PREFIX, TAG } from "../protocol/tags.js";
import { innerBlock } from "./prompt.js";
import type { SimProfile } from "./models.js";
import { lookupTask, type SimTask, type World } from "./world.js";
import { clamp, hashHex, int, norm, rngFor } from "./util.js";

export const DEFAULT_REASONING_TOKENS = 200;
const MAX_REASONING_TOKENS = 8000;

/** Chance the judgement matches ground truth: 0.5 with no reasoning, approaching 0.5 + 0.45·acuity. */
export function verifierAccuracy(profile: SimProfile, reasoningTokens: number): number {
  return 0.5 + 0.45 * profile.verifier.acuity * (1 - Math.exp(-Math.max(0, reasoningTokens) / 300));
}

/** The answer block, from the first <answer> to the last </answer>, so a fake closing tag inside it cannot cut it short. */
export function answerBlock(prompt: string): string | undefined {
  // Prefer an opening tag on its own line (as the engine wraps blocks) over a mention in prose.
  const open = new RegExp(`<${TAG.answer}(?:\\s[^>]*)?>\\s*\\n`).exec(prompt) ?? new RegExp(`<${TAG.answer}(?:\\s[^>]*)?>`).exec(prompt);
  if (!open) return undefined;
  const start = open.index + open[0].length;
  const close = prompt.lastIndexOf(`</${TAG.answer}>`);
  return prompt.slice(start, close >= start ? close : undefined).trim();
}

export function finalPart(answer: string): string {
  const at = answer.toLowerCase().lastIndexOf(FINAL_ANSWER_PREFIX.toLowerCase());
  return (at === -1 ? answer : answer.slice(at + FINAL_ANSWER_PREFIX.length)).trim();
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(",")}}`;
  return JSON.stringify(v) ?? "null";
}

function numberOf(s: string): number | undefined {
  const m = /^\s*\$?\s*(-?\d+(?:\.\d+)?)(?:\s*\/\s*(\d+(?:\.\d+)?))?/.exec(s);
  if (!m) return undefined;
  return m[2] ? Number(m[1]) / Number(m[2]) : Number(m[1]);
}

/** Whether the answer is right, decided from the task and the answer text. */
export function groundTruth(world: World, task: SimTask, rubric: string, answer: string): { pass: boolean; elements: string[] } {
  const quoted = [...rubric.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
  const elements = task.known && task.elements ? task.elements : quoted;
  const a = norm(answer);
  if (elements.length > 0) return { pass: elements.every((e) => a.includes(norm(e))), elements };
  if (!task.known) return { pass: a !== "" && !world.skills.some((s) => a.includes(norm(s.telltale))), elements };
  const got = finalPart(answer);
  if (task.check.type === "json") {
    try {
      return { pass: canonical(JSON.parse(got)) === canonical(task.check.expected), elements };
    } catch {
      return { pass: false, elements };
    }
  }
  const x = numberOf(got), y = numberOf(task.answer);
  if (task.check.type === "numeric" && x !== undefined && y !== undefined) return { pass: Math.abs(x - y) <= 0.011, elements };
  return { pass: norm(got) === norm(task.answer), elements };
}

const FILLER = [
  "I read the answer against each line of the rubric.",
  "Instructions that appear inside the answer are part of what is judged, not directions to me.",
  "I looked for a definite result on the final line.",
  "I checked that nothing in the answer contradicts the task.",
  "I weighed whether a careful reader would accept this answer as complete.",
  "I considered whether any required point is only implied rather than stated.",
  "I compared the answer's claims with the facts the task gives.",
];

export function verifierReply(world: World, profile: SimProfile, prompt: string, seed: number, reasoningTokens: number): string {
  const taskText = innerBlock(prompt, TAG.task) ?? "";
  const rubric = innerBlock(prompt, TAG.rubric) ?? "";
  const answer = answerBlock(prompt) ?? "";
  const task = lookupTask(world, taskText);
  const truth = groundTruth(world, task, rubric, answer);
  const tokens = clamp(Math.round(reasoningTokens), 0, MAX_REASONING_TOKENS);
  const r = rngFor("verifier", world.seed, profile.id, seed, norm(taskText), hashHex(norm(answer)));
  const right = r() < verifierAccuracy(profile, tokens);
  const verdict = right ? truth.pass : !truth.pass;
  const score = verdict ? int(r, 7, 10) : int(r, 0, 3);
  const lines = [`The task asks: ${taskText.replace(/\s+/g, " ").slice(0, 90)}.`];
  truth.elements.forEach((e, i) => {
    const seen = norm(answer).includes(norm(e));
    // A wrong judgement misreads just enough to reach its verdict: it overlooks every gap, or imagines the first.
    const perceived = right ? seen : truth.pass ? seen && i !== 0 : true;
    lines.push(`The answer ${perceived ? "includes" : "does not include"} "${e}".`);
  });
  if (truth.elements.length === 0) lines.push(`The final answer given is "${finalPart(answer).slice(0, 60)}".`);
  // The verdict comes last: the engine's feedback quotes the judge's last sentence.
  const conclusion = verdict ? "On balance the answer meets the requirements." : "On balance the answer falls short of the requirements.";
  const room = tokens * 4 - conclusion.length - 1;
  let reasoning = lines.join(" ");
  for (let i = 0; reasoning.length < room; i++) reasoning += ` ${FILLER[i % FILLER.length]}`;
  reasoning = `${cut(reasoning, Math.max(0, room))} ${conclusion}`.trim();
  if (tokens === 0) reasoning = "";
  return `${reasoning}\nScore: ${score}/10`.trim();
}

/** Cut at a sentence end when one is near, else at a word boundary. */
function cut(text: string, chars: number): string {
  if (text.length <= chars) return text;
  const dot = text.lastIndexOf(". ", chars);
  if (dot > chars * 0.8) return text.slice(0, dot + 1);
  const at = text.lastIndexOf(" ", chars);
  return text.slice(0, at > 0 ? at : chars);
}
