/**
 * A group of `run`/`create` flags with its translation into the create body. The flags of
 * each concern (networking, mounts, resources, policies...) live in their own module under
 * `flags/` and are listed in `FLAG_GROUPS`, so that adding a concern never means editing
 * the others' parsing.
 */
import type { Command } from "commander";
import type { ContainerCreateBody } from "../../../api/containers.js";

/** The create body's HostConfig, always present while groups apply their flags. */
export type CreateBodyDraft = ContainerCreateBody & { HostConfig: NonNullable<ContainerCreateBody["HostConfig"]> };

/** One flag group. `F` is the shape commander gives its options (camelCased long names). */
export interface FlagGroup<F = Record<string, unknown>> {
  /** Register the flags on the command. */
  add(cmd: Command): Command;
  /** Apply the parsed flags to the body; throw a BerthError("invalid-argument") for bad values. */
  apply(flags: F, body: CreateBodyDraft): void;
}

/** Define a group with its flag shape checked. */
export function flagGroup<F>(g: FlagGroup<F>): FlagGroup {
  return g as unknown as FlagGroup;
}
