/** The container service and its parts other folders use. */
export { ContainerService, mergeImageConfig, type ContainerServiceDeps, type OutputSink, type AttachOptions, type LogsOptions, type ContainerListOptions } from "./container-service.js";
export { DirectRuntime, type ContainerRuntime, type Task, type TaskIo } from "./container-runtime.js";
export { buildSpec, type HostDevice } from "./oci-spec.js";
