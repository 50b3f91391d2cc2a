/** Atomic JSON records (write temp, fsync, rename, fsync dir). */
export { writeFileAtomic, writeJsonAtomic, readJson, fsyncDir, cleanTempFiles, TEMP_PREFIX } from "./atomic-file.js";
export { RecordStore } from "./record-store.js";
