/** The container service's run defaults from the daemon's config (daemon.json `init`, `log-driver`, `log-opts`). */
import { checkLogDefaults, DEFAULT_LOG_DEFAULTS } from "../services/containers/log-config.js";
import type { RunDefaults } from "../services/containers/container-service.js";
import type { DaemonConfig } from "./config.js";

/** Throws (the daemon does not start) when the default log config is invalid, as dockerd. */
export function runDefaultsOf(config: DaemonConfig): RunDefaults {
  const log = { driver: config.logDriver ?? DEFAULT_LOG_DEFAULTS.driver, opts: config.logOpts ?? {} };
  checkLogDefaults(log);
  return { init: config.init ?? false, log };
}
