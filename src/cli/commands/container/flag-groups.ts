/** The `run`/`create` flag groups beyond the core ones of create-options.ts, in help order. */
import type { FlagGroup } from "./flag-group.js";
import { policyFlags } from "./flags/policy-flags.js";
import { mountFlags } from "./flags/mount-flags.js";
import { runtimeFlags } from "./flags/runtime-flags.js";
import { networkFlags } from "./flags/network-flags.js";

export const FLAG_GROUPS: readonly FlagGroup[] = [
  policyFlags,
  mountFlags,
  runtimeFlags,
  networkFlags,
];
