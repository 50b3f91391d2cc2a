/**
 * Helpers of the berthd network tests: unique subnets and free ports per test file, HTTP
 * from the test to a published port, and the check that a stopped daemon left no links,
 * nft table or namespace files behind.
 */
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { join } from "node:path";

/** A /24 of 10.<a>.<b>.0 unique to this process and `slot` (other test files run alongside). */
export function uniqueSubnet(slot: number): { subnet: string; prefix: string } {
  const a = 200 + (process.pid % 40);
  const b = ((process.pid >> 3) * 8 + slot) % 256;
  return { subnet: `10.${a}.${b}.0/24`, prefix: `10.${a}.${b}` };
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** GET http://host:port/path with a timeout; the body, or the error's text. */
export function httpGet(host: string, port: number, path: string, timeoutMs = 3000): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = request({ host, port, path, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e) => resolve({ error: e.message }));
    req.end();
  });
}

/** Retry `fn` until it returns true or `ms` pass (a server in a fresh container needs a moment). */
export async function eventually(fn: () => Promise<boolean>, ms = 15_000): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What a daemon on `dataRoot` may have left in the kernel: its marked links, its nft table, netns files. */
export function leftovers(dataRoot: string, execRoot: string): string[] {
  const owner = createHash("sha256").update(join(dataRoot, "networks")).digest("hex").slice(0, 8);
  const table = `berth_${createHash("sha256").update(dataRoot).digest("hex").slice(0, 8)}`;
  const out: string[] = [];
  const links = JSON.parse(execFileSync("ip", ["-j", "link", "show"], { encoding: "utf8" })) as Array<{ ifname: string; ifalias?: string }>;
  for (const l of links) if (l.ifalias?.startsWith(`berth:${owner}:`) === true) out.push(`link ${l.ifname} (${l.ifalias})`);
  const tables = execFileSync("nft", ["list", "tables"], { encoding: "utf8" });
  if (tables.split("\n").some((l) => l.trim() === `table ip ${table}`)) out.push(`nft table ${table}`);
  let files: string[] = [];
  try {
    files = readdirSync(join(execRoot, "netns"));
  } catch {
    files = [];
  }
  for (const f of files) out.push(`netns file ${f}`);
  return out;
}
