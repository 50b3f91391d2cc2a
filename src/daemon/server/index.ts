/** The Engine API HTTP server. */
export { createServer, parseHost, type ApiServer, type Backends } from "./server.js";
export { httpStatusOf, writeError } from "./errors.js";
export type { SystemBackend } from "./routes/system/backend.js";
export type { ImagesBackend } from "./routes/images/backend.js";
export type { EventsBackend } from "./routes/events/backend.js";
