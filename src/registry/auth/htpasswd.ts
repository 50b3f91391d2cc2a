/**
 * htpasswd files with bcrypt hashes (`user:$2y$...`, as `htpasswd -B` writes them), the
 * only kind distribution accepts too. Checks are cached by a hash of user, password and
 * stored hash, because bcrypt in JS costs tens of milliseconds and Basic auth sends the
 * password with every request.
 */
import bcrypt from "bcryptjs";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { invalidArgument } from "../../shared/errors.js";

const BCRYPT_RE = /^\$2[aby]?\$\d\d\$[./A-Za-z0-9]{53}$/;
const CACHE_LIMIT = 1024;

/** Users and their bcrypt hashes. */
export class Htpasswd {
  private readonly users: ReadonlyMap<string, string>;
  private readonly verified = new Set<string>();

  constructor(users: ReadonlyMap<string, string>) {
    this.users = users;
  }

  /** Parse htpasswd text; invalid-argument on a line that is not `user:bcrypt-hash`. */
  static parse(text: string): Htpasswd {
    const users = new Map<string, string>();
    text.split(/\r?\n/).forEach((raw, i) => {
      const line = raw.trim();
      if (line === "" || line.startsWith("#")) return;
      const colon = line.indexOf(":");
      const user = line.slice(0, colon);
      const hash = line.slice(colon + 1);
      if (colon <= 0 || !BCRYPT_RE.test(hash)) {
        throw invalidArgument(`parse htpasswd: line ${i + 1}: want "user:bcrypt-hash" (only bcrypt is supported)`);
      }
      users.set(user, hash);
    });
    return new Htpasswd(users);
  }

  /** Read and parse an htpasswd file. */
  static async load(path: string): Promise<Htpasswd> {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      throw invalidArgument(`read htpasswd "${path}": ${(err as Error).message}`, err);
    }
    return Htpasswd.parse(text);
  }

  /** True when `password` is `user`'s. */
  async verify(user: string, password: string): Promise<boolean> {
    const hash = this.users.get(user);
    if (hash === undefined) return false;
    const key = createHash("sha256").update(user).update("\0").update(password).update("\0").update(hash).digest("hex");
    if (this.verified.has(key)) return true;
    const ok = await bcrypt.compare(password, hash);
    if (ok) {
      if (this.verified.size >= CACHE_LIMIT) this.verified.clear();
      this.verified.add(key);
    }
    return ok;
  }
}

/** A bcrypt htpasswd line for `user` (tests and tooling). */
export function htpasswdLine(user: string, password: string, cost = 5): string {
  return `${user}:${bcrypt.hashSync(password, cost)}`;
}
