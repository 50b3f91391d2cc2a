/** What the image routes need (ImageService satisfies it; tests pass a fake). */
import type { Readable } from "node:stream";
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
}
