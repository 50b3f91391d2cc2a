/** Kernel access behind an interface with a recording fake. */
export * from "./host.js";
export { NativeHost } from "./native-host.js";
