/** The shim client: start a berth-shim per container and talk to it over its socket. */
export { runShimSession, type ShimSession, type ShimSessionEnds } from "./session.js";
export { startShim, shimArgs, DEFAULT_BERTH_SHIM, type StartShimOptions, type StartedShim } from "./start.js";
export {
  connectShim, type ShimClient, type ShimState, type ShimAttachStream, type ShimAttachOptions, type ShimOutputChunk,
} from "./client.js";
export { readExitFile, parseExitStatus, type ExitStatus } from "./exit-file.js";
export { FRAME, encodeFrame, FrameDecoder } from "./protocol.js";
