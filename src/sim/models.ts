/**
 * The simulated models. Every model answers every kind of request, so each
 * has user, evolver and verifier parameters. User defaults follow "Harness
 * Updating Is Not Harness Benefit" (arXiv 2605.30621): activation ~0.25 weak vs
 * ~0.96 strong, adherence ~0.14 vs ~0.76, strong near its ceiling.
 */

export interface UserParams {
  /** Native chance of applying an average skill unprompted. */
  competence: number;
  /** Chance of noticing an instructed directive. */
  activation: number;
  /** Chance of following a noticed directive. */
  adherence: number;
  /** Chance of clearing a task of difficulty 1 once every skill is applied. */
  reach: number;
  /** How much harmful directives lower native competence (strong models shrug bad advice off). */
  harmSensitivity: number;
}

export interface EvolverParams {
  /** Chance that an added directive targets a skill evidenced in the feedback: flat across tiers (same paper). */
  targeting: number;
  /** How widely edits spread: phrasing choice, number and variety of edits, noise. */
  spread: number;
  /** Chance a reply is malformed (exercises the engine's parser retry). */
  malformed: number;
  /** Chance a removal goes for a harmful, conflicting or filler line rather than a random one. */
  cleanup: number;
  /** Scales the world's misdiagnosis rate: smaller models locate mistakes less often (arXiv 2311.08516). */
  misread: number;
}

export interface VerifierParams {
  /** Scales how far judgement accuracy climbs above chance with reasoning tokens. */
  acuity: number;
}

export interface SimProfile {
  id: string;
  user: UserParams;
  evolver: EvolverParams;
  verifier: VerifierParams;
}

const WEAK: UserParams = { competence: 0.45, activation: 0.25, adherence: 0.14, reach: 0.6, harmSensitivity: 0.6 };
const MID: UserParams = { competence: 0.5, activation: 0.9, adherence: 0.68, reach: 0.88, harmSensitivity: 0.6 };
const STRONG: UserParams = { competence: 0.93, activation: 0.96, adherence: 0.76, reach: 0.97, harmSensitivity: 0.2 };

const SMALL_EVOLVER: EvolverParams = { targeting: 0.6, spread: 1.0, malformed: 0.03, cleanup: 0.5, misread: 1 };
const LARGE_EVOLVER: EvolverParams = { targeting: 0.62, spread: 0.3, malformed: 0.01, cleanup: 0.6, misread: 0.6 };

export const SIM_PROFILES: Record<string, SimProfile> = {
  "sim:weak": { id: "sim:weak", user: WEAK, evolver: SMALL_EVOLVER, verifier: { acuity: 0.7 } },
  "sim:mid": { id: "sim:mid", user: MID, evolver: { ...SMALL_EVOLVER, spread: 0.7, malformed: 0.02, misread: 0.8 }, verifier: { acuity: 0.85 } },
  "sim:strong": { id: "sim:strong", user: STRONG, evolver: LARGE_EVOLVER, verifier: { acuity: 1 } },
  "sim:small": { id: "sim:small", user: WEAK, evolver: SMALL_EVOLVER, verifier: { acuity: 0.75 } },
  "sim:large": { id: "sim:large", user: { ...MID, competence: 0.7 }, evolver: LARGE_EVOLVER, verifier: { acuity: 0.95 } },
  "sim:judge": { id: "sim:judge", user: MID, evolver: LARGE_EVOLVER, verifier: { acuity: 1 } },
};

export const SIM_MODELS: readonly string[] = Object.keys(SIM_PROFILES);

/** USD per million tokens, so cost figures from sim runs mean something. */
export const SIM_PRICES: Record<string, { inputPerM: number; outputPerM: number }> = {
  "sim:weak": { inputPerM: 0.05, outputPerM: 0.2 },
  "sim:mid": { inputPerM: 0.15, outputPerM: 0.6 },
  "sim:strong": { inputPerM: 1.0, outputPerM: 4.0 },
  "sim:small": { inputPerM: 0.05, outputPerM: 0.2 },
  "sim:large": { inputPerM: 0.5, outputPerM: 2.0 },
  "sim:judge": { inputPerM: 0.3, outputPerM: 1.2 },
};

export function isSimModel(name: unknown): name is string {
  return typeof name === "string" && Object.prototype.hasOwnProperty.call(SIM_PROFILES, name);
}

export function simProfile(name: string): SimProfile {
  const p = SIM_PROFILES[name];
  if (!p) throw new RangeError(`unknown sim model: ${name}`);
  return p;
}
