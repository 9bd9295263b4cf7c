export * from "./run-store.js";
export * from "./types.js";
export { SCHEMA_VERSION } from "./schema.js";
