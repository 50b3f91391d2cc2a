/** Content-addressed blob store. */
export { ContentStore, digestOf, isDigest, assertDigest, type Descriptor, type Expected } from "./content-store.js";
