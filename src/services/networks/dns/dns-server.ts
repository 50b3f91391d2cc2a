/**
 * The embedded DNS server of one user-defined network: UDP and TCP on one address (the
 * network's gateway), A records for the network's own names from `lookup` (PTR from
 * `reverse`), everything else
 * forwarded as raw bytes to the upstream resolvers (the host's, from /etc/resolv.conf) over
 * the transport the query came on (so a truncated UDP answer can be retried over TCP),
 * SERVFAIL when there is no upstream or none answers.
 */
import { createSocket, type Socket } from "node:dgram";
import { connect, createServer, type Server, type Socket as TcpSocket } from "node:net";
import {
  buildResponse,
  CLASS_IN,
  parseQuery,
  RCODE_FORMERR,
  RCODE_NOERROR,
  RCODE_SERVFAIL,
  TYPE_A,
  TYPE_PTR,
  type DnsAnswer,
} from "./dns-codec.js";

/** An upstream resolver. */
export interface DnsUpstream {
  host: string;
  /** @default 53 */
  port?: number;
}

/** Options of `DnsServer.start`. */
export interface DnsServerOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /**
   * The IPv4 addresses of a name (lowercase, no trailing dot) as seen by the client at
   * address `client` (the networks of the asking container), or undefined.
   */
  lookup: (name: string, client: string) => readonly string[] | undefined;
  /** The name of an address (PTR) as seen by `client`, or undefined. */
  reverse?: (ip: string, client: string) => string | undefined;
  upstreams: readonly DnsUpstream[];
  /** Per-upstream timeout. @default 2000 */
  timeoutMs?: number;
  /** @default 600 (Docker's TTL for container names) */
  ttl?: number;
}

/** A running server; `close()` stops both sockets. */
export class DnsServer {
  private readonly o: DnsServerOptions;
  private readonly udp: Socket;
  private readonly tcp: Server;
  private readonly conns = new Set<TcpSocket>();

  private constructor(o: DnsServerOptions, udp: Socket, tcp: Server) {
    this.o = o;
    this.udp = udp;
    this.tcp = tcp;
  }

  /** Bind UDP then TCP on the same port; throws if either is taken. */
  static async start(o: DnsServerOptions): Promise<DnsServer> {
    const udp = createSocket({ type: "udp4" });
    await new Promise<void>((resolve, reject) => {
      udp.once("error", reject);
      udp.bind({ address: o.host, port: o.port, exclusive: true }, () => {
        udp.removeListener("error", reject);
        resolve();
      });
    });
    const port = udp.address().port;
    const tcp = createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once("error", reject);
        tcp.listen({ host: o.host, port, exclusive: true }, () => {
          tcp.removeListener("error", reject);
          resolve();
        });
      });
    } catch (err) {
      udp.close();
      throw err;
    }
    const server = new DnsServer(o, udp, tcp);
    udp.on("error", () => undefined);
    udp.on("message", (msg, rinfo) => {
      void server.answer(msg, "udp", rinfo.address).then((resp) => {
        if (resp !== undefined) udp.send(resp, rinfo.port, rinfo.address);
      });
    });
    tcp.on("connection", (sock) => server.serveTcp(sock));
    udp.unref();
    tcp.unref();
    return server;
  }

  /** The bound port (UDP and TCP share it). */
  get port(): number {
    return this.udp.address().port;
  }

  /** The answer to one raw query, or undefined to stay silent (garbage without a header). */
  async answer(raw: Buffer, transport: "udp" | "tcp" = "udp", client = ""): Promise<Buffer | undefined> {
    let q;
    try {
      q = parseQuery(raw);
    } catch {
      if (raw.length < 12 || (raw[2] ?? 0) & 0x80) return undefined;
      const hdr = Buffer.from(raw.subarray(0, 12));
      hdr.writeUInt16BE(0x8000 | RCODE_FORMERR, 2);
      hdr.fill(0, 4);
      return hdr;
    }
    if (q.qclass === CLASS_IN && q.qtype === TYPE_PTR && this.o.reverse !== undefined) {
      const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa$/.exec(q.name);
      const name = m !== null ? this.o.reverse(`${m[4]}.${m[3]}.${m[2]}.${m[1]}`, client) : undefined;
      if (name !== undefined) return buildResponse(raw, q, RCODE_NOERROR, [{ type: "PTR", name, ttl: this.o.ttl ?? 600 }]);
    }
    const addrs = q.qclass === CLASS_IN ? this.o.lookup(q.name, client) : undefined;
    if (addrs !== undefined) {
      const ttl = this.o.ttl ?? 600;
      const answers: DnsAnswer[] = q.qtype === TYPE_A ? addrs.map((address) => ({ type: "A" as const, address, ttl })) : [];
      return buildResponse(raw, q, RCODE_NOERROR, answers);
    }
    for (const up of this.o.upstreams) {
      const timeout = this.o.timeoutMs ?? 2000;
      const resp = transport === "tcp" ? await forwardTcp(raw, up, timeout) : await forwardUdp(raw, up, timeout);
      if (resp !== undefined) return resp;
    }
    return buildResponse(raw, q, RCODE_SERVFAIL, []);
  }

  private serveTcp(sock: TcpSocket): void {
    this.conns.add(sock);
    sock.on("close", () => this.conns.delete(sock));
    sock.on("error", () => undefined);
    sock.setTimeout(10_000, () => sock.destroy());
    let buf = Buffer.alloc(0);
    sock.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        void this.answer(Buffer.from(msg), "tcp", (sock.remoteAddress ?? "").replace(/^::ffff:/, "")).then((resp) => {
          if (resp === undefined || sock.destroyed) return;
          const len2 = Buffer.alloc(2);
          len2.writeUInt16BE(resp.length, 0);
          sock.write(Buffer.concat([len2, resp]));
        });
      }
    });
  }

  /** Stop listening and drop open TCP connections. */
  async close(): Promise<void> {
    for (const c of this.conns) c.destroy();
    await Promise.all([
      new Promise<void>((r) => this.tcp.close(() => r())),
      new Promise<void>((r) => {
        try {
          this.udp.close(() => r());
        } catch {
          r();
        }
      }),
    ]);
  }
}

/** Send `raw` to an upstream over UDP from a fresh socket; undefined on timeout or error. */
function forwardUdp(raw: Buffer, up: DnsUpstream, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const s = createSocket({ type: "udp4" });
    let done = false;
    const finish = (v: Buffer | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.close();
      resolve(v);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    s.on("error", () => finish(undefined));
    s.on("message", (msg) => {
      // Only a response with the query's id counts (a stray datagram is ignored).
      if (msg.length >= 2 && msg.readUInt16BE(0) === raw.readUInt16BE(0)) finish(msg);
    });
    s.send(raw, up.port ?? 53, up.host, (err) => {
      if (err) finish(undefined);
    });
  });
}

/** Send `raw` to an upstream over TCP (2-byte length framing); undefined on timeout or error. */
function forwardTcp(raw: Buffer, up: DnsUpstream, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const s = connect(up.port ?? 53, up.host);
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (v: Buffer | undefined): void => {
      if (done) return;
      done = true;
      s.destroy();
      resolve(v);
    };
    s.setTimeout(timeoutMs, () => finish(undefined));
    s.on("error", () => finish(undefined));
    s.on("close", () => finish(undefined));
    s.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) finish(Buffer.from(buf.subarray(2, 2 + buf.readUInt16BE(0))));
    });
    const len = Buffer.alloc(2);
    len.writeUInt16BE(raw.length, 0);
    s.write(Buffer.concat([len, raw]));
  });
}
