/**
 * Seccomp for berth: OCI profiles compiled to classic BPF in TypeScript (the C executor
 * only loads the bytes with seccomp(2)), and Docker's profile format translated to OCI.
 */
export { compileSeccomp, SECCOMP_FILTER_FLAGS, SECCOMP_RET, type CompileSeccompOptions } from "./compile.js";
export { SeccompCache } from "./seccomp-cache.js";
export {
  seccompFromDockerProfile,
  loadDefaultDockerProfile,
  defaultSeccompProfile,
  DOCKER_DEFAULT_CAPABILITIES,
  type DockerSeccompProfile,
  type DockerSeccompSyscall,
  type DockerSeccompFilter,
  type DockerArchMapEntry,
  type DockerProfileContext,
} from "./docker-profile.js";
export type {
  CompiledSeccomp,
  SeccompAction,
  SeccompArg,
  SeccompOperator,
  SeccompProfile,
  SeccompSyscall,
} from "./types.js";
