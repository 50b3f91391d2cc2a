/**
 * Pause and unpause as moby decides them: which states allow each (409 with moby's texts
 * otherwise) and the state a paused container shows (`Status: "paused"`, `Running` and
 * `Paused` both true).
 */
import type { ContainerState } from "../../api/containers.js";
import { conflict } from "../../shared/errors.js";

/** moby's `containerPause` checks. */
export function checkPause(id: string, s: ContainerState): void {
  if (!s.Running) throw conflict(`Container ${id} is not running`);
  if (s.Paused) throw conflict(`Container ${id} is already paused`);
  if (s.Restarting) throw conflict(`Container ${id} is restarting, wait until the container is running`);
}

/** moby's `containerUnpause` checks. */
export function checkUnpause(id: string, s: ContainerState): void {
  if (!s.Paused) throw conflict(`Container ${id} is not paused`);
}

/** The state after a pause (`paused: true`) or an unpause. */
export function pausedState(s: ContainerState, paused: boolean): ContainerState {
  return { ...s, Paused: paused, Status: paused ? "paused" : "running" };
}
