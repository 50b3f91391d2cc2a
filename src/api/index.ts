/** Engine API wire types: shared by the server (src/daemon/server) and the client. Leaf folder. */
export * from "./version.js";
export * from "./images.js";
export * from "./system.js";
