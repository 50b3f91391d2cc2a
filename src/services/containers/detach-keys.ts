/** Docker's detach key sequence ("ctrl-p,ctrl-q" by default) spotted in an attach's stdin. */
import { invalidArgument } from "../../shared/errors.js";

/** The default sequence: Ctrl-P Ctrl-Q. */
export const DEFAULT_DETACH_KEYS = "ctrl-p,ctrl-q";

/** Parse "ctrl-p,ctrl-q" / "a,ctrl-@" into bytes (moby term.ToBytes). */
export function parseDetachKeys(spec: string): Buffer {
  const out: number[] = [];
  for (const k of spec.split(",").map((s) => s.trim())) {
    if (k.length === 1) {
      out.push(k.charCodeAt(0));
      continue;
    }
    const m = /^ctrl-(.)$/i.exec(k);
    if (m === null) throw invalidArgument(`Invalid detach keys (${spec}) provided`);
    const c = (m[1] as string).toLowerCase();
    if (c >= "a" && c <= "z") out.push(c.charCodeAt(0) - 96);
    else if (c === "@") out.push(0);
    else if (c === "[") out.push(27);
    else if (c === "\\") out.push(28);
    else if (c === "]") out.push(29);
    else if (c === "^") out.push(30);
    else if (c === "_") out.push(31);
    else throw invalidArgument(`Invalid detach keys (${spec}) provided`);
  }
  return Buffer.from(out);
}

/**
 * Passes stdin through, holding back bytes that may begin the sequence; reports
 * `detached` once the whole sequence was typed (those bytes are swallowed).
 */
export class DetachScanner {
  private readonly keys: Buffer;
  private held = 0;

  constructor(keys: Buffer) {
    this.keys = keys;
  }

  /** Feed input; returns the bytes to forward and whether the sequence completed. */
  feed(chunk: Buffer): { forward: Buffer; detached: boolean } {
    if (this.keys.length === 0) return { forward: chunk, detached: false };
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.keys[this.held]) {
        this.held++;
        if (this.held === this.keys.length) return { forward: Buffer.from(out), detached: true };
        continue;
      }
      if (this.held > 0) {
        for (let i = 0; i < this.held; i++) out.push(this.keys[i] as number);
        this.held = 0;
        if (b === this.keys[0]) {
          this.held = 1;
          continue;
        }
      }
      out.push(b);
    }
    return { forward: Buffer.from(out), detached: false };
  }
}
