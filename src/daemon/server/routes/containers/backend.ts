/** What the container and exec routes need (ContainerService satisfies it; tests pass a fake). */
import type { ContainerService } from "../../../../services/containers/container-service.js";

/** Backend of the /containers and /exec endpoints. */
export type ContainersBackend = Pick<ContainerService,
  "create" | "start" | "stop" | "restart" | "kill" | "wait" | "remove" | "inspect" | "list" | "logs" | "attach" |
  "resize" | "top" | "execCreate" | "execStart" | "execInspect" | "execResize"> & Partial<ContainerOpsBackend>;

/** pause/unpause/rename/update/stats (optional: a backend without them answers 501). */
export type ContainerOpsBackend = Pick<ContainerService, "pause" | "unpause" | "rename" | "update" | "stats">;
