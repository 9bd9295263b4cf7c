export * from "./types.js";
export { createGateway, type Gateway, type GatewayOptions } from "./gateway.js";
export type { GatewayStats, ModelStats } from "./stats.js";
export { DEFAULT_MAX_TOKENS, seedFor, cacheKeyOf, canonicalJson } from "./params.js";
