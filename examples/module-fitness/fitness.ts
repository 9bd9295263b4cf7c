// A fitness written from the README alone: it scores the harness text itself (no model
// calls), rewarding four practices and penalising length.
import { defineFitness } from "harness-evolve/fitness";

const PRACTICES: Record<string, RegExp> = {
  "state units": /\bunits?\b/i,
  "verify the arithmetic": /\b(verify|double-check|recompute)\b/i,
  "check edge cases": /\bedge cases?\b/i,
  "restate the question": /\brestate\b/i,
};

export default defineFitness((ctx) => {
  const missing = Object.entries(PRACTICES).filter(([, re]) => !re.test(ctx.harness)).map(([name]) => name);
  const words = ctx.harness.split(/\s+/).filter(Boolean).length;
  const coverage = 1 - missing.length / Object.keys(PRACTICES).length;
  const lengthPenalty = Math.max(0, words - 150) / 600;
  return {
    score: Math.min(1, Math.max(0, coverage - lengthPenalty)),
    feedback: `${missing.length ? `The harness never asks the agent to: ${missing.join("; ")}.` : "All four practices are there."} It is ${words} words long${words > 150 ? " (over 150: shorten it)" : ""}.`,
  };
});
