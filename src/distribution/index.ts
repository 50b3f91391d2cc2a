/** The registry client: pull, push and login against any distribution-spec registry. */
export { RegistryClient, type RegistryClientOptions, type FetchedManifest, type BlobPushResult } from "./registry-client.js";
export { pull, type PullOptions, type PullResult, type PullSink, type PulledImage } from "./pull.js";
export { push, type PushOptions, type PushResult } from "./push.js";
export { overlayLayers } from "./layer-sink.js";
export {
  decodeRegistryAuth, encodeRegistryAuth, readDockerConfigAuth, writeDockerConfigAuth, removeDockerConfigAuth,
  configKeyOf, DOCKER_HUB_AUTH_KEY, type AuthConfig,
} from "./credentials.js";
export { endpointsFor, isInsecure, DOCKER_HUB_HOST, type RegistryConfig, type Endpoint } from "./endpoints.js";
export { hostPlatform, parsePlatform, formatPlatform, selectManifest, type Platform } from "./platform.js";
export { encodeMessage, errorMessage, progressBar, shortDigest, noProgress, type JsonMessage, type ProgressSink } from "./progress.js";
export { validateRepositoryRef, type RepositoryRef } from "./repository.js";
export { MEDIA, MANIFEST_ACCEPT, MAX_MANIFEST_BYTES } from "./media-types.js";
