/**
 * Version-dependent image shapes (moby's image router does the same): API < 1.44 clients
 * still get `VirtualSize` (= Size), removed from 1.44 on; API < 1.45 clients get the
 * legacy `Container` and (empty) `ContainerConfig` of image inspect.
 */
import type { ImageInspect, ImageSummary } from "../../../../api/images.js";
import { compareApiVersions } from "../../../../api/version.js";

/** An image summary as a client of `version` expects it. */
export function summaryForVersion(s: ImageSummary, version: string): ImageSummary {
  return compareApiVersions(version, "1.44") < 0 ? { ...s, VirtualSize: s.Size } : s;
}

/** moby's zero `container.Config`, as old clients received it in `ContainerConfig`. */
const EMPTY_CONTAINER_CONFIG = {
  Hostname: "", Domainname: "", User: "", AttachStdin: false, AttachStdout: false, AttachStderr: false,
  Tty: false, OpenStdin: false, StdinOnce: false, Env: null, Cmd: null, Image: "", Volumes: null,
  WorkingDir: "", Entrypoint: null, OnBuild: null, Labels: null,
};

/** An image inspect body as a client of `version` expects it. */
export function inspectForVersion(i: ImageInspect, version: string): ImageInspect | (ImageInspect & { Container: string; ContainerConfig: object }) {
  let out: ImageInspect = i;
  if (compareApiVersions(version, "1.44") < 0) out = { ...out, VirtualSize: i.Size };
  if (compareApiVersions(version, "1.45") < 0) return { ...out, Container: "", ContainerConfig: EMPTY_CONTAINER_CONFIG };
  return out;
}
