/**
 * The real `NetKernel`: iproute2 (`ip -batch -`, run through `nsenter --net=` for another
 * namespace), `nft -f -`, /proc/sys, and Node sockets for port reservations.
 */
import { readFile, writeFile } from "node:fs/promises";
import { runCommand } from "../command-runner.js";
import { createServer, type Server } from "node:net";
import { createSocket, type Socket } from "node:dgram";
import { KernelError } from "../../shared/errors.js";
import type { HostAddress, LinkInfo, NetKernel, NetnsRef, PortReservation } from "./net-kernel.js";
import { netnsPath } from "./net-kernel.js";

const SYSCTL_RE = /^[a-z0-9_]+(\/[A-Za-z0-9_.-]+)+$/;

// On the command shells (command-runner.ts): a Node spawn per call costs the daemon a fork.
async function run(cmd: string, args: readonly string[], input: string, op: string): Promise<string> {
  let r;
  try {
    r = await runCommand(cmd, args, { input });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new KernelError(op, err.errno ?? 0, err.code ?? "EIO", cmd, err.message);
  }
  if (r.code === 0) return r.stdout.toString("utf8");
  const detail = r.stderr.toString("utf8").trim().split("\n").slice(0, 6).join("; ");
  throw new KernelError(op, 0, "EIO", undefined, detail || `exited with ${r.code}`);
}

/** Render one argv as an `ip -batch` line; names are validated by callers, quote the rest. */
export function batchLine(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_.:/@+,=-]+$/.test(a) ? a : `"${a.replace(/(["\\])/g, "\\$1")}"`)).join(" ");
}

/** `NetKernel` over iproute2, nft and /proc/sys. */
export class IprouteNetKernel implements NetKernel {
  async ip(batch: readonly (readonly string[])[], netns?: NetnsRef): Promise<void> {
    if (batch.length === 0) return;
    const input = `${batch.map(batchLine).join("\n")}\n`;
    if (netns === undefined) await run("ip", ["-batch", "-"], input, "ip -batch");
    else await run("nsenter", [`--net=${netnsPath(netns)}`, "ip", "-batch", "-"], input, `ip -batch in ${netnsPath(netns)}`);
  }

  async nft(script: string): Promise<void> {
    await run("nft", ["-f", "-"], script, "nft -f");
  }

  async links(): Promise<LinkInfo[]> {
    const raw = JSON.parse(await run("ip", ["-j", "link", "show"], "", "ip link show")) as Array<Record<string, unknown>>;
    return raw.map((l) => {
      const info: LinkInfo = { ifname: String(l["ifname"]), ifindex: Number(l["ifindex"]), mtu: Number(l["mtu"]) };
      if (typeof l["master"] === "string") info.master = l["master"];
      if (typeof l["ifalias"] === "string") info.alias = l["ifalias"];
      return info;
    });
  }

  async addresses(): Promise<HostAddress[]> {
    const raw = JSON.parse(await run("ip", ["-j", "-4", "addr", "show"], "", "ip addr show")) as Array<{
      ifname: string;
      addr_info?: Array<{ local?: string; prefixlen?: number }>;
    }>;
    const out: HostAddress[] = [];
    for (const l of raw) {
      for (const a of l.addr_info ?? []) {
        if (a.local !== undefined && a.prefixlen !== undefined) out.push({ ifname: l.ifname, local: a.local, prefixlen: a.prefixlen });
      }
    }
    return out;
  }

  async routes(): Promise<string[]> {
    const raw = JSON.parse(await run("ip", ["-j", "-4", "route", "show"], "", "ip route show")) as Array<{ dst?: string }>;
    return raw
      .map((r) => r.dst ?? "")
      .filter((d) => d !== "" && d !== "default")
      .map((d) => (d.includes("/") ? d : `${d}/32`));
  }

  async readSysctl(key: string): Promise<string> {
    if (!SYSCTL_RE.test(key)) throw new RangeError(`invalid sysctl key "${key}"`);
    return (await readFile(`/proc/sys/${key}`, "utf8")).trim();
  }

  async writeSysctl(key: string, value: string): Promise<void> {
    if (!SYSCTL_RE.test(key)) throw new RangeError(`invalid sysctl key "${key}"`);
    try {
      await writeFile(`/proc/sys/${key}`, value);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new KernelError("write sysctl", err.errno ?? 0, err.code ?? "EIO", `/proc/sys/${key}`, err.message);
    }
  }

  reservePort(hostIp: string, port: number, proto: "tcp" | "udp"): Promise<PortReservation> {
    return proto === "tcp" ? reserveTcp(hostIp, port) : reserveUdp(hostIp, port);
  }
}

function bindError(e: unknown, hostIp: string, port: number, proto: string): KernelError {
  const err = e as NodeJS.ErrnoException;
  return new KernelError("bind", err.errno ?? 0, err.code ?? "EIO", `${hostIp}:${port}/${proto}`, err.code === "EADDRINUSE" ? "address already in use" : err.message);
}

function reserveTcp(hostIp: string, port: number): Promise<PortReservation> {
  return new Promise((resolve, reject) => {
    // The kernel's DNAT rewrites connections before they reach this socket; it only holds the port.
    const srv: Server = createServer((s) => s.destroy());
    srv.once("error", (e) => reject(bindError(e, hostIp, port, "tcp")));
    srv.listen({ host: hostIp, port, exclusive: true, backlog: 1 }, () => {
      srv.removeAllListeners("error");
      srv.on("error", () => undefined);
      srv.unref();
      let closed = false;
      resolve({
        hostIp,
        port,
        proto: "tcp",
        release: () =>
          new Promise<void>((r) => {
            if (closed) return r();
            closed = true;
            srv.close(() => r());
          }),
      });
    });
  });
}

function reserveUdp(hostIp: string, port: number): Promise<PortReservation> {
  return new Promise((resolve, reject) => {
    const sock: Socket = createSocket({ type: "udp4" });
    sock.once("error", (e) => {
      sock.close();
      reject(bindError(e, hostIp, port, "udp"));
    });
    sock.bind({ address: hostIp, port, exclusive: true }, () => {
      sock.removeAllListeners("error");
      sock.on("error", () => undefined);
      sock.unref();
      let closed = false;
      resolve({
        hostIp,
        port,
        proto: "udp",
        release: () =>
          new Promise<void>((r) => {
            if (closed) return r();
            closed = true;
            sock.close(() => r());
          }),
      });
    });
  });
}
