/**
 * Published-port bindings: validation (Docker's defaults and texts) and reservation of the
 * host ports through the kernel seam before any rule is written, so a clash changes nothing.
 */
import type { NetKernel, PortReservation } from "../../kernel/net/net-kernel.js";
import { conflict, invalidArgument, KernelError } from "../../shared/errors.js";
import { isIp } from "./ipv4.js";
import type { NetworkRecord, PortBinding } from "./network-record.js";
import { OPT_HOST_BINDING } from "./create-request.js";

/** Docker's (and Linux's default) ephemeral port range. */
export const EPHEMERAL_LO = 32768;
export const EPHEMERAL_HI = 60999;

/** Check bindings and fill in the default host address (`host_binding_ipv4`, else 0.0.0.0). */
export function validatePorts(n: NetworkRecord, bindings: readonly PortBinding[]): PortBinding[] {
  if (bindings.length > 0 && n.driver !== "bridge") throw invalidArgument(`publish ports: network ${n.name} has no port mapping (driver "${n.driver}")`);
  const defaultHostIp = n.options[OPT_HOST_BINDING] ?? "0.0.0.0";
  return bindings.map((b) => {
    const proto = b.proto;
    if (proto !== "tcp" && proto !== "udp") throw invalidArgument(`invalid proto: ${String(proto)}`);
    if (!Number.isInteger(b.containerPort) || b.containerPort < 1 || b.containerPort > 65535) throw invalidArgument(`invalid containerPort: ${b.containerPort}`);
    if (!Number.isInteger(b.hostPort) || b.hostPort < 0 || b.hostPort > 65535) throw invalidArgument(`invalid hostPort: ${b.hostPort}`);
    const hostIp = b.hostIp === "" ? defaultHostIp : b.hostIp;
    if (!isIp(hostIp)) throw invalidArgument(`invalid host IP address: ${hostIp}`);
    return { hostIp, hostPort: b.hostPort, containerPort: b.containerPort, proto };
  });
}

function programmingError(ep: { id: string; name: string }, detail: string): string {
  return `driver failed programming external connectivity on endpoint ${ep.name} (${ep.id}): ${detail}`;
}

/**
 * Bind every host port (ephemeral ones, hostPort 0, chosen from 32768-60999 starting at a
 * random one) so a clash fails before any rule changes; on failure everything reserved so
 * far is released.
 */
export async function reservePorts(
  kernel: NetKernel,
  ep: { id: string; name: string },
  wanted: readonly PortBinding[],
  randomInt: (lo: number, hi: number) => number,
): Promise<{ out: PortBinding[]; held: PortReservation[] }> {
  const held: PortReservation[] = [];
  const out: PortBinding[] = [];
  const notLocal = (w: PortBinding, port: number, err: unknown): Error =>
    invalidArgument(programmingError(ep, `listen ${w.proto}4 ${w.hostIp}:${port}: bind: cannot assign requested address`), err);
  try {
    for (const w of wanted) {
      if (w.hostPort !== 0) {
        try {
          held.push(await kernel.reservePort(w.hostIp, w.hostPort, w.proto));
        } catch (err) {
          if (err instanceof KernelError && err.code === "EADDRINUSE") {
            throw conflict(programmingError(ep, `Bind for ${w.hostIp}:${w.hostPort} failed: port is already allocated`), err);
          }
          if (err instanceof KernelError && err.code === "EADDRNOTAVAIL") throw notLocal(w, w.hostPort, err);
          throw err;
        }
        out.push(w);
        continue;
      }
      const start = randomInt(EPHEMERAL_LO, EPHEMERAL_HI);
      const span = EPHEMERAL_HI - EPHEMERAL_LO + 1;
      let got: PortBinding | undefined;
      for (let k = 0; k < span && got === undefined; k++) {
        const port = EPHEMERAL_LO + ((start - EPHEMERAL_LO + k) % span);
        try {
          held.push(await kernel.reservePort(w.hostIp, port, w.proto));
          got = { ...w, hostPort: port };
        } catch (err) {
          if (err instanceof KernelError && err.code === "EADDRNOTAVAIL") throw notLocal(w, 0, err);
          if (!(err instanceof KernelError && err.code === "EADDRINUSE")) throw err;
        }
      }
      if (got === undefined) throw conflict(`no free host port for ${w.hostIp}/${w.proto} in ${EPHEMERAL_LO}-${EPHEMERAL_HI}`);
      out.push(got);
    }
  } catch (err) {
    for (const h of held) await h.release();
    throw err;
  }
  return { out, held };
}
