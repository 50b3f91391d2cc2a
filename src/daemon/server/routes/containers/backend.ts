/** What the container and exec routes need (ContainerService satisfies it; tests pass a fake). */
import type { ContainerService } from "../../../../services/containers/container-service.js";

/** Backend of the /containers and /exec endpoints. */
export type ContainersBackend = Pick<ContainerService,
  "create" | "start" | "stop" | "restart" | "kill" | "wait" | "remove" | "inspect" | "list" | "logs" | "attach" |
  "resize" | "top" | "execCreate" | "execStart" | "execInspect" | "execResize">;
