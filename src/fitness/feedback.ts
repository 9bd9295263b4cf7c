/**
 * The feedback text an evaluation hands to the next mutation: a score line, then the failed
 * tasks with what was expected, what came back, and the start of the answer itself (the answer
 * often says in words what the agent neglected, which is the most useful signal for an edit).
 */
import { describeExpected } from "./checks.js";
import { cut, escapeEngineTags, extractFinalAnswer, oneLine } from "./text.js";
import type { Split, Task, TaskResult } from "./types.js";

export interface FeedbackOptions {
  split: Split;
  score: number;
  /** Failed tasks quoted, at most. */
  items: number;
}

export function feedbackLine(task: Task, result: TaskResult): string {
  const parts = [
    `- [${task.id}] ${cut(oneLine(task.input.slice(0, 400)), 160)}`,
    `expected: ${describeExpected(task.check)}`,
    `got: ${cut(oneLine(extractFinalAnswer(result.answer.slice(-20_000)).slice(0, 400)), 120) || "(nothing)"}`,
    `answer: "${cut(oneLine(result.answer.slice(0, 1000)), 300)}"`,
  ];
  if (task.check.type === "rubric" && result.reason) parts.push(`judge: ${result.reason}`);
  // Answers are untrusted: keep them from closing the <feedback> block they will be quoted in.
  return escapeEngineTags(parts.join(" | "));
}

export function buildFeedback(tasks: readonly Task[], results: readonly TaskResult[], opts: FeedbackOptions): string {
  const passed = results.filter((r) => r.pass).length;
  const lines = [`Score ${opts.score.toFixed(2)} on ${results.length} ${opts.split} tasks (${passed} passed).`];
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const failed = results.filter((r) => !r.pass);
  for (const r of failed.slice(0, opts.items)) {
    const task = byId.get(r.taskId);
    if (task) lines.push(feedbackLine(task, r));
  }
  if (failed.length > opts.items) lines.push(`(${failed.length - opts.items} more failed tasks not shown)`);
  return lines.join("\n");
}
