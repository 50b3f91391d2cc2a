/**
 * A recording `NetKernel` for unit tests: every batch, script and sysctl write is kept in
 * `calls` in order; links, addresses, routes, sysctls and busy ports are plain data the test
 * sets; `failNext` scripts a failure of the next call of one kind.
 */
import { KernelError } from "../../shared/errors.js";
import type { HostAddress, LinkInfo, NetKernel, NetnsRef, PortReservation } from "./net-kernel.js";
import { netnsPath } from "./net-kernel.js";

/** One recorded call. */
export type NetCall =
  | { op: "ip"; batch: string[][]; netns?: string }
  | { op: "nft"; script: string }
  | { op: "sysctl"; key: string; value: string }
  | { op: "reserve"; hostIp: string; port: number; proto: "tcp" | "udp" }
  | { op: "release"; hostIp: string; port: number; proto: "tcp" | "udp" };

/** The recording fake. */
export class FakeNetKernel implements NetKernel {
  readonly calls: NetCall[] = [];
  linkList: LinkInfo[] = [];
  addressList: HostAddress[] = [{ ifname: "lo", local: "127.0.0.1", prefixlen: 8 }];
  routeList: string[] = [];
  readonly sysctls = new Map<string, string>([["net/ipv4/ip_forward", "0"]]);
  /** "ip:port/proto" keys that are in use by someone else. */
  readonly busyPorts = new Set<string>();
  /** Addresses that are not the host's (binding them fails with EADDRNOTAVAIL). */
  readonly foreignAddresses = new Set<string>();
  /** Ports currently reserved through this fake. */
  readonly reserved = new Set<string>();
  private failures = new Map<NetCall["op"], string>();

  /** Make the next call of kind `op` fail with `message`. */
  failNext(op: NetCall["op"], message = "scripted failure"): void {
    this.failures.set(op, message);
  }

  private maybeFail(op: NetCall["op"]): void {
    const msg = this.failures.get(op);
    if (msg !== undefined) {
      this.failures.delete(op);
      throw new KernelError(op, 0, "EIO", undefined, msg);
    }
  }

  /** The recorded calls of one kind. */
  callsOf<K extends NetCall["op"]>(op: K): Array<Extract<NetCall, { op: K }>> {
    return this.calls.filter((c): c is Extract<NetCall, { op: K }> => c.op === op);
  }

  async ip(batch: readonly (readonly string[])[], netns?: NetnsRef): Promise<void> {
    this.maybeFail("ip");
    const call: NetCall = { op: "ip", batch: batch.map((l) => [...l]) };
    if (netns !== undefined) call.netns = netnsPath(netns);
    this.calls.push(call);
  }

  async nft(script: string): Promise<void> {
    this.maybeFail("nft");
    this.calls.push({ op: "nft", script });
  }

  async links(): Promise<LinkInfo[]> {
    return this.linkList.map((l) => ({ ...l }));
  }

  async addresses(): Promise<HostAddress[]> {
    return this.addressList.map((a) => ({ ...a }));
  }

  async routes(): Promise<string[]> {
    return [...this.routeList];
  }

  async readSysctl(key: string): Promise<string> {
    return this.sysctls.get(key) ?? "0";
  }

  async writeSysctl(key: string, value: string): Promise<void> {
    this.maybeFail("sysctl");
    this.sysctls.set(key, value);
    this.calls.push({ op: "sysctl", key, value });
  }

  async reservePort(hostIp: string, port: number, proto: "tcp" | "udp"): Promise<PortReservation> {
    this.maybeFail("reserve");
    if (this.foreignAddresses.has(hostIp)) throw new KernelError("bind", 99, "EADDRNOTAVAIL", `${hostIp}:${port}/${proto}`, "cannot assign requested address");
    const key = `${hostIp}:${port}/${proto}`;
    const anyKey = `0.0.0.0:${port}/${proto}`;
    const clash = [...this.busyPorts, ...this.reserved].some((k) => k === key || k === anyKey || (hostIp === "0.0.0.0" && k.endsWith(`:${port}/${proto}`)));
    if (clash) throw new KernelError("bind", 98, "EADDRINUSE", `${hostIp}:${port}/${proto}`, "address already in use");
    this.reserved.add(key);
    this.calls.push({ op: "reserve", hostIp, port, proto });
    let done = false;
    return {
      hostIp,
      port,
      proto,
      release: async () => {
        if (done) return;
        done = true;
        this.reserved.delete(key);
        this.calls.push({ op: "release", hostIp, port, proto });
      },
    };
  }
}
