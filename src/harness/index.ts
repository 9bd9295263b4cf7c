export * from "./harness.js";
export * from "./similarity.js";
