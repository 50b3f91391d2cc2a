/**
 * The registry's on-disk state under one root: `blobs/` (content), `repositories/`
 * (links, manifests, tags), `uploads/` (sessions) and `tmp/`.
 */
import { BlobStore } from "./blob-store.js";
import { Repositories } from "./repositories.js";
import { UploadStore } from "./uploads.js";

/** The three stores of a registry root. */
export interface RegistryStorage {
  root: string;
  blobs: BlobStore;
  repos: Repositories;
  uploads: UploadStore;
}

/** Open (creating) the registry storage at `root`; synchronous, it only makes directories. */
export function openRegistryStorage(root: string): RegistryStorage {
  const blobs = BlobStore.open(root);
  const repos = new Repositories(root);
  repos.init();
  const uploads = new UploadStore(root, blobs);
  uploads.init();
  return { root, blobs, repos, uploads };
}
