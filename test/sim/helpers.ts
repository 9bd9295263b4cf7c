/** Request builders shaped like the engine's prompts. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { simRespond } from "../../src/sim/respond.js";
import type { World } from "../../src/sim/world.js";

export const SEED_HARNESS = readFileSync(fileURLToPath(new URL("../../examples/quickstart/seed-harness.md", import.meta.url)), "utf8");

export function userBody(model: string, harness: string, task: string, seed = 1): Record<string, unknown> {
  return {
    model,
    seed,
    messages: [
      { role: "system", content: harness },
      { role: "user", content: `<task>\n${task}\n</task>\nWork it out, then end with a line "Final answer: <answer>".` },
    ],
  };
}

export function evolverBody(model: string, step: string, parents: string[], feedback?: string, extra: { critique?: string; seed?: number; temperature?: number } = {}): Record<string, unknown> {
  const parts = [`<operator>${step}</operator>`, ...parents.map((p, i) => `<harness id="${i + 1}">\n${p}\n</harness>`)];
  if (feedback !== undefined) parts.push(`<feedback>\n${feedback}\n</feedback>`);
  if (extra.critique !== undefined) parts.push(`<critique>\n${extra.critique}\n</critique>`);
  return {
    model,
    seed: extra.seed ?? 1,
    temperature: extra.temperature ?? 1,
    messages: [{ role: "system", content: "You improve harnesses." }, { role: "user", content: parts.join("\n\n") }],
  };
}

export function verifierBody(model: string, rubric: string, task: string, answer: string, reasoningTokens?: number, seed = 1): Record<string, unknown> {
  return {
    model,
    seed,
    ...(reasoningTokens === undefined ? {} : { reasoning_tokens: reasoningTokens }),
    messages: [{ role: "user", content: `Judge the answer.\n<rubric>\n${rubric}\n</rubric>\n<task>\n${task}\n</task>\n<answer>\n${answer}\n</answer>` }],
  };
}

/** The assistant text of a successful reply (throws on an error reply, which a test should see). */
export function contentOf(world: World, body: unknown): string {
  const r = simRespond(world, body);
  if (r.status !== 200) throw new Error(`status ${r.status}: ${JSON.stringify(r.body)}`);
  return (r.body as { choices: { message: { content: string } }[] }).choices[0]!.message.content;
}
