/**
 * How `ContainerNetworks` makes and removes the container's network namespace file: one
 * host command each (`createNetnsFile` brings `lo` up in the same command).
 */
import { createNetnsFile, removeNetnsFile } from "../../kernel/net/netns-file.js";

/** Namespace files as the container networks extension uses them (tests inject fakes). */
export interface NetnsFiles {
  create(path: string): Promise<void>;
  remove(path: string): Promise<void>;
  /** True when `create` leaves `lo` up: joins then need not bring it up. */
  readonly loopbackUp?: boolean;
}

/** The namespace files of running containers: one command to make, one to remove. */
export const netnsFiles: NetnsFiles = {
  create: (path) => createNetnsFile(path),
  remove: removeNetnsFile,
  loopbackUp: true,
};
