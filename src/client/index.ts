/** Engine API client. */
export { EngineClient, DaemonError, kindOfStatus, DEFAULT_HOST } from "./engine-client.js";
export type { EngineApi, EventsOptions, ImageImportOptions, ImageListOptions } from "./engine-api.js";
