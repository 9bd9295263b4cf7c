/**
 * Prompt builders, one per operator step. The user message always opens with the
 * `<operator>` block (the simulated models key on it), then the parents as numbered
 * `<harness id="n">` blocks with their feedback. Everything interpolated has the engine's tags
 * escaped so no parent, feedback or critique can break the prompt's structure. Instructions
 * name a literal opening tag only in the user message's last line, after every block, and
 * never a complete pair: a parser (the sim's, or a reader of logs) would take it for a block.
 */
import type { ChatMessage } from "../llm/types.js";
import { clip, escapeEngineTags, wrap, type OperatorStep } from "../protocol/tags.js";

export interface ParentView {
  text: string;
  /** Fitness in [0,1]. */
  score: number;
  /** Feedback from the parent's evaluation ("" when none). */
  feedback: string;
}

export interface PromptInput {
  parents: readonly ParentView[];
  /** The critic's critique: refine-author only. */
  critique?: string;
  /** Example task inputs the agent will face, shown as plain text. */
  context?: string;
}

const JOB = [
  "You improve a harness: the system prompt that steers an LLM agent while it solves tasks.",
  "A harness is markdown; `## ` headings may split it into sections.",
  "Keep what works. Fix what the feedback shows went wrong: the feedback lists failed tasks, the expected answers and what the agent replied.",
  "Prefer clear, general directives over rules for single tasks; keep the harness concise.",
].join("\n");

const HARNESS_REPLY = "Reply with the complete new harness wrapped in harness tags, once: the whole harness, not a diff, and nothing else inside the tags.";
const HARNESS_CLOSING = "Put the complete harness after a <harness> tag and end it with the matching closing tag.";
const CRITIQUE_CLOSING = "Put your critique after a <critique> tag and end it with the matching closing tag.";

const STEP_SYSTEM: Record<OperatorStep, string> = {
  mutate: `${JOB}\n\nYou get one harness with its score and feedback. Write an improved variant of it.\n${HARNESS_REPLY}`,
  crossover: `${JOB}\n\nYou get several harnesses with their scores and feedback. Write one harness that combines their strengths and avoids their failures.\n${HARNESS_REPLY}`,
  rewrite: `${JOB}\n\nWrite a new harness from scratch for the kind of tasks described (general task solving when none are shown).\n${HARNESS_REPLY}`,
  "refine-critic": [
    "You are a critic of harnesses: system prompts that steer an LLM agent while it solves tasks.",
    "Read the harness and its feedback. Explain which parts of the harness cause the failures, what is missing, and what should change. Keep what works.",
    "Do not write the new harness. Reply with your critique wrapped in critique tags, once.",
  ].join("\n"),
  "refine-author": `${JOB}\n\nYou get a harness, its feedback, and a critic's critique. Write the improved harness, acting on the critique where it is right.\n${HARNESS_REPLY}`,
};

/** Feedback from a plug-in fitness can be megabytes; an evolver needs the first few thousand characters. */
const FEEDBACK_CHARS = 6000;

const score = (s: number): string => (Number.isFinite(s) ? s.toFixed(2) : "unscored");

function parentSections(parents: readonly ParentView[]): string[] {
  const out: string[] = [];
  parents.forEach((p, i) => {
    const id = i + 1;
    out.push(`Harness ${id} (score ${score(p.score)}):\n${wrap("harness", escapeEngineTags(p.text.trim()), { id })}`);
    if (p.feedback.trim() !== "") out.push(`Feedback on harness ${id}:\n${wrap("feedback", escapeEngineTags(clip(p.feedback.trim(), FEEDBACK_CHARS)), { id })}`);
  });
  return out;
}

function contextSection(context?: string): string[] {
  if (context === undefined || context.trim() === "") return [];
  return [`Examples of tasks the agent gets (plain text):\n${escapeEngineTags(context.trim())}`];
}

function build(step: OperatorStep, body: string[], closing: string): ChatMessage[] {
  return [
    { role: "system", content: STEP_SYSTEM[step] },
    { role: "user", content: [wrap("operator", step), ...body, closing].join("\n\n") },
  ];
}

function requireParents(step: OperatorStep, parents: readonly ParentView[], min: number): void {
  if (parents.length < min) throw new RangeError(`${step} needs at least ${min} parent harness${min > 1 ? "es" : ""}, got ${parents.length}`);
}

export function mutatePrompt(input: PromptInput): ChatMessage[] {
  requireParents("mutate", input.parents, 1);
  return build("mutate", [...parentSections(input.parents.slice(0, 1)), ...contextSection(input.context)], `Write the improved harness. ${HARNESS_CLOSING}`);
}

export function crossoverPrompt(input: PromptInput): ChatMessage[] {
  requireParents("crossover", input.parents, 2);
  return build("crossover", [...parentSections(input.parents), ...contextSection(input.context)], `Write one harness that combines the best of these. ${HARNESS_CLOSING}`);
}

export function rewritePrompt(input: PromptInput): ChatMessage[] {
  return build("rewrite", contextSection(input.context), `Write a new harness from scratch. ${HARNESS_CLOSING}`);
}

export function refineCriticPrompt(input: PromptInput): ChatMessage[] {
  requireParents("refine-critic", input.parents, 1);
  return build("refine-critic", [...parentSections(input.parents.slice(0, 1)), ...contextSection(input.context)], `Write your critique. ${CRITIQUE_CLOSING}`);
}

export function refineAuthorPrompt(input: PromptInput): ChatMessage[] {
  requireParents("refine-author", input.parents, 1);
  if (input.critique === undefined || input.critique.trim() === "") throw new RangeError("refine-author needs a critique");
  return build(
    "refine-author",
    [...parentSections(input.parents.slice(0, 1)), `Critique:\n${wrap("critique", escapeEngineTags(clip(input.critique.trim(), FEEDBACK_CHARS)))}`, ...contextSection(input.context)],
    `Write the improved harness. ${HARNESS_CLOSING}`,
  );
}

export const TEMPLATES: Record<OperatorStep, (input: PromptInput) => ChatMessage[]> = {
  mutate: mutatePrompt,
  crossover: crossoverPrompt,
  rewrite: rewritePrompt,
  "refine-critic": refineCriticPrompt,
  "refine-author": refineAuthorPrompt,
};

export function buildPrompt(step: OperatorStep, input: PromptInput): ChatMessage[] {
  return TEMPLATES[step](input);
}
