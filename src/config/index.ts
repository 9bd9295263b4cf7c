export * from "./schema.js";
export * from "./errors.js";
export * from "./load.js";
export * from "./presets.js";
export { applyOverrides } from "./overrides.js";
