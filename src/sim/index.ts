export { createWorld, lookupTask, TASK_POOL, type World, type Skill, type SimTask, type Harmful } from "./world.js";
export { SIM_MODELS, SIM_PRICES, SIM_PROFILES, isSimModel, simProfile, type SimProfile, type UserParams, type EvolverParams, type VerifierParams } from "./models.js";
export { simRespond, type SimReply } from "./respond.js";
export { startSimServer, type SimServer, type SimServerOptions } from "./server.js";
export { expectedSuccess, simOptimum, harnessFor, type SimOptimum } from "./optimum.js";
export { simTaskSuite, type SuiteFileTask, type SuiteSplit } from "./suite.js";
export { analyzeHarness, skillProbs, LENGTH_LIMIT, type HarnessAnalysis } from "./competence.js";
export { verifierAccuracy } from "./verifier.js";
export type { SimCheck } from "./templates.js";
