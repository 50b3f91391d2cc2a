/** Engine API client. */
export { EngineClient, DaemonError, kindOfStatus, DEFAULT_HOST } from "./engine-client.js";
export type { ClientEvent, EngineApi, EventsOptions, ImageImportOptions, ImageListOptions } from "./engine-api.js";
