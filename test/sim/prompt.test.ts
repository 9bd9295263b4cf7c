import { describe, expect, it } from "vitest";
import { createWorld } from "../../src/sim/index.js";
import { simProfile } from "../../src/sim/models.js";
import { innerBlock } from "../../src/sim/prompt.js";
import { userAnswer } from "../../src/sim/user.js";
import { contentOf, SEED_HARNESS } from "./helpers.js";

const world = createWorld(1);
const task = world.tasks[5]!;

describe("reading the engine's prompts", () => {
  it("skips tag mentions in prose before the real block", () => {
    expect(innerBlock("Answer the question in <task> tags.\n<task>\nQ?\n</task>", "task")).toBe("Q?");
    expect(innerBlock('<task id="t1">\nQ?\n</task>', "task")).toBe("Q?");
    expect(innerBlock("<task>open ended", "task")).toBe("open ended");
    expect(innerBlock("nothing here", "task")).toBeUndefined();
  });

  it("recognises a user request whose instructions mention <task> and <answer>", () => {
    const content = `Solve the problem in the <task> block.\n<task>\n${task.input}\n</task>\nEnd with a line "Final answer: <answer>".`;
    const body = { model: "sim:strong", seed: 4, messages: [{ role: "system", content: SEED_HARNESS }, { role: "user", content }] };
    expect(contentOf(world, body)).toBe(userAnswer(world, simProfile("sim:strong"), SEED_HARNESS, task.input, 4).text);
  });

  it("recognises a verifier request whose instructions mention the tags", () => {
    const rubric = world.tasks.find((t) => t.kind === "rubric")!;
    const content = [
      "Judge the <answer> against the <rubric> for the <task>. End with Score: N/10.",
      `<rubric>\n${(rubric.check as { rubric: string }).rubric}\n</rubric>`,
      `<task>\n${rubric.input}\n</task>`,
      `<answer>\nFinal answer: ${rubric.answer}\n</answer>`,
    ].join("\n");
    const text = contentOf(world, { model: "sim:judge", seed: 1, reasoning_tokens: 100, messages: [{ role: "user", content }] });
    expect(text).toMatch(/Score: \d+\/10$/);
    for (const e of rubric.elements!) expect(text).toContain(`"${e}"`);
  });

  it("treats id-less harness blocks as examples when parents carry ids", () => {
    const content = `<operator>mutate</operator>\nReply with one <harness>...</harness> block.\n<harness id="1">\n${SEED_HARNESS}\n</harness>`;
    const text = contentOf(world, { model: "sim:large", seed: 2, messages: [{ role: "user", content }] });
    expect(text).toContain("## Approach");
  });
});
