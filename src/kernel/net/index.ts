/** Kernel networking behind one interface: the iproute2/nft implementation and the recording fake. */
export * from "./net-kernel.js";
export { IprouteNetKernel, batchLine } from "./iproute-net-kernel.js";
export { FakeNetKernel, type NetCall } from "./fake-net-kernel.js";
export { withoutFirewall } from "./no-firewall.js";
export { createNetnsFile, removeNetnsFile } from "./netns-file.js";
