export * from "./types.js";
export * from "./ledger.js";
export * from "./split.js";
