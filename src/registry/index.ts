/** `berth registry`: an OCI distribution-spec 1.1 server, its storage, auth and GC. */
export { createRegistryServer, type RegistryServerOptions } from "./server.js";
export { serveRegistry, parseAddr, type ServeRegistryOptions, type RunningRegistry } from "./serve.js";
export { collectGarbage, type GcOptions, type GcResult } from "./gc.js";
export { Htpasswd, htpasswdLine } from "./auth/htpasswd.js";
export type { RegistryAuthOptions, TokenAuthOptions, AccessPolicy } from "./auth/authorizer.js";
export type { Access } from "./auth/token.js";
export { RegistryError, type RegistryErrorCode } from "./errors.js";
export { MEDIA_TYPES, MAX_MANIFEST_BYTES } from "./manifest.js";
