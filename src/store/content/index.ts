/** Content-addressed blob store. */
export { ContentStore, digestOf, isDigest, assertDigest, PARTIAL_MAX_AGE_MS, type Descriptor, type Expected, type ResumableIngest } from "./content-store.js";
