/**
 * A small LRU of compiled filters: the daemon compiles Docker's default profile once per
 * (capability set, arch) and hands the same bytes to every container's plan.
 */
import { compileSeccomp, type CompileSeccompOptions } from "./compile.js";
import type { CompiledSeccomp, SeccompProfile } from "./types.js";

function keyOf(profile: SeccompProfile, arch: string, options: Readonly<CompileSeccompOptions>): string {
  return JSON.stringify([profile, arch, options], (_, v: unknown) => (typeof v === "bigint" ? `${v}n` : v));
}

/** Caches `compileSeccomp` results by profile content, arch and options. */
export class SeccompCache {
  private readonly entries = new Map<string, CompiledSeccomp>();

  /** @param capacity how many compiled filters to keep (least recently used go first) */
  constructor(private readonly capacity = 32) {}

  /**
   * `compileSeccomp(profile, arch, options)`, compiled once per distinct content. The
   * returned object is shared: treat its `filter` as read-only.
   */
  compile(profile: SeccompProfile, arch: string, options: Readonly<CompileSeccompOptions> = {}): CompiledSeccomp {
    const key = keyOf(profile, arch, options);
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const compiled = compileSeccomp(profile, arch, options);
    this.entries.set(key, compiled);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return compiled;
  }

  /** How many compiled filters are cached. */
  get size(): number {
    return this.entries.size;
  }
}
