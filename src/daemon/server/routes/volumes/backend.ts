/** What the volume routes need (VolumeService satisfies it; tests pass a fake). */
import type { Volume, VolumeCreateOptions, VolumePruneResponse } from "../../../../api/volumes.js";

/** Backend of the /volumes endpoints. */
export interface VolumesBackend {
  create(req: VolumeCreateOptions): Promise<Volume>;
  inspect(name: string): Volume;
  list(filters: Record<string, string[]>): Volume[];
  remove(name: string, o: { force?: boolean }): Promise<void>;
  prune(filters: Record<string, string[]>): Promise<VolumePruneResponse>;
}
