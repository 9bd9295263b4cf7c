/**
 * World presets: how rugged the simulated landscape is. Each knob models a failure mode
 * documented for real LLM search loops (sources in docs/SIM-WORLD.md); `separable` is the
 * world as it was before the knobs existed, bit for bit. Knobs change how harnesses score
 * and how evolvers and users behave, never the world's skills or tasks, so every suite
 * generated from a world stays valid under every preset.
 */

export interface WorldKnobs {
  /**
   * Epistasis of the paired directives, in [0,1]. 0: a dependent directive keeps half its
   * effect without its support and the support pays alone (the old world); 1: each
   * directive of a pair pays nothing without the other, so no single edit finds the pair.
   */
  epistasis: number;
  /** In [0,1]: whether (and how strongly) the deceptive shortcuts act; 0 leaves them inert text. */
  deceptive: number;
  /** Base chance a critic names a symptom (or a confusable skill) instead of the cause; scaled per evolver tier. */
  misdiagnosis: number;
  /** Share of each answer's random draws that are fresh per harness instead of common to all harnesses, in [0,1]. */
  userNoise: number;
  /** Chance per line, for a harness at the length limit, that re-emitting it drops the line (context collapse). */
  collapse: number;
}

/** The same names as the config's `sim.preset` (config may not import the sim). */
export type WorldPresetName = "separable" | "rugged" | "deceptive";

export const WORLD_PRESETS: Record<WorldPresetName, WorldKnobs> = {
  separable: { epistasis: 0, deceptive: 0, misdiagnosis: 0, userNoise: 0, collapse: 0 },
  rugged: { epistasis: 1, deceptive: 0, misdiagnosis: 0.5, userNoise: 1, collapse: 0.1 },
  deceptive: { epistasis: 1, deceptive: 1, misdiagnosis: 0.5, userNoise: 1, collapse: 0.1 },
};

export const SEPARABLE: WorldKnobs = WORLD_PRESETS.separable;

/** A preset with some knobs overridden. */
export function worldKnobs(preset: WorldPresetName = "separable", overrides: Partial<WorldKnobs> = {}): WorldKnobs {
  return { ...WORLD_PRESETS[preset], ...overrides };
}

/** A stable key of the knobs (worlds are cached by seed and knobs). */
export function knobsKey(k: WorldKnobs): string {
  return [k.epistasis, k.deceptive, k.misdiagnosis, k.userNoise, k.collapse].join("/");
}
