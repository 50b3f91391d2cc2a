/** Wire types of the container file endpoints: archive (cp), changes (diff), commit. */

/** The `X-Docker-Container-Path-Stat` header (base64 of this JSON). */
export interface ContainerPathStat {
  name: string;
  size: number;
  /** Go's os.FileMode: permission bits plus type bits (1<<31 directory, 1<<27 symlink...). */
  mode: number;
  /** RFC 3339 time. */
  mtime: string;
  /** For a symlink: where it leads inside the container (absolute), else "". */
  linkTarget: string;
}

/** Kind of a change in GET /containers/{id}/changes: 0 modified, 1 added, 2 deleted. */
export type ChangeKind = 0 | 1 | 2;

/** One item of GET /containers/{id}/changes. */
export interface ContainerChange {
  Path: string;
  Kind: ChangeKind;
}

/** POST /commit response. */
export interface CommitResponse {
  Id: string;
}
