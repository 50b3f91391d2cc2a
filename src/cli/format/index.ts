/** docker-compatible output formatting. */
export * from "./human.js";
export * from "./table.js";
export * from "./template.js";
