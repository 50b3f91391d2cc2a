/** What the image routes need (ImageService satisfies it; tests pass a fake). */
import type { Readable } from "node:stream";
import type { AuthConfig, JsonMessage } from "../../../../distribution/index.js";
import type { ImageDeleteItem, ImageHistoryItem, ImageInspect, ImageSummary } from "../../../../api/images.js";

/** Backend of the /images endpoints. */
export interface ImagesBackend {
  list(options: { all?: boolean; filters?: Record<string, string[]>; digests?: boolean }): Promise<ImageSummary[]>;
  inspect(name: string): Promise<ImageInspect>;
  history(name: string): Promise<ImageHistoryItem[]>;
  tag(source: string, repo: string, tag: string | undefined): Promise<void>;
  remove(name: string, options: { force?: boolean; noprune?: boolean }): Promise<ImageDeleteItem[]>;
  importImage(input: Readable, options: { repo?: string; tag?: string; changes?: string[]; message?: string; source?: string }): Promise<string>;
  load(input: Readable): Promise<string[]>;
  save(names: readonly string[]): Promise<Readable>;
  /** Pull from a registry, reporting docker's progress messages. Absent: pulls are not implemented. */
  pull?(opts: { fromImage: string; tag?: string | undefined; platform?: string | undefined; auth?: AuthConfig; progress?: (m: JsonMessage) => void; signal?: AbortSignal | undefined }): Promise<unknown>;
  /** Push to a registry, reporting docker's progress messages. */
  push?(opts: { name: string; tag?: string | undefined; auth?: AuthConfig; progress?: (m: JsonMessage) => void; signal?: AbortSignal | undefined }): Promise<unknown>;
  /** Check registry credentials (POST /auth). */
  login?(auth: AuthConfig): Promise<{ Status: string; IdentityToken: string }>;
}
