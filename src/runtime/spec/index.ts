/** OCI runtime spec types and validation. */
export * from "./types.js";
export { validateSpec, parseSpec, RLIMITS, NAMESPACE_TYPES } from "./validate.js";
export { defaultSpec, type SpecJson } from "./default-spec.js";
