/** `berth network create|ls|inspect|rm|prune|connect|disconnect` (docker's `network` group). */
import { Command } from "commander";
import type { NetworkCreateBody, NetworkResource } from "../../../api/networks.js";
import { NetworkClient } from "../../../client/network-client.js";
import { BerthError } from "../../../shared/errors.js";
import type { Cli } from "../../cli.js";
import { renderTemplate, resolveFormat, sortKeys } from "../../format/template.js";
import { parseFilterFlags } from "../filters.js";
import { reportErrors } from "../report-errors.js";

const clients = new WeakMap<Cli, NetworkClient>();

/** The network client of this CLI. */
export function networks(cli: Cli): NetworkClient {
  let c = clients.get(cli);
  if (c === undefined) {
    c = new NetworkClient(cli.client().host);
    clients.set(cli, c);
  }
  return c;
}

const collect = (v: string, p: string[] = []): string[] => [...p, v];

/** `key=value` list → map (docker's opts.ListOpts for --label and -o). */
function keyValues(list: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list ?? []) {
    const i = kv.indexOf("=");
    if (i < 0) out[kv] = "";
    else out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

/** Options of `network create`. */
export interface NetworkCreateOptions {
  driver?: string;
  subnet?: string[];
  gateway?: string[];
  ipRange?: string[];
  internal?: boolean;
  attachable?: boolean;
  label?: string[];
  opt?: string[];
  ipamDriver?: string;
  ipv6?: boolean;
}

/** The create body docker's `network create` sends. */
export function networkCreateBody(name: string, o: NetworkCreateOptions): NetworkCreateBody {
  const subnets = o.subnet ?? [];
  const gateways = o.gateway ?? [];
  const ranges = o.ipRange ?? [];
  if (gateways.length > subnets.length) throw new BerthError("invalid-argument", "every ip-range or gateway must have a corresponding subnet");
  if (ranges.length > subnets.length) throw new BerthError("invalid-argument", "every ip-range or gateway must have a corresponding subnet");
  const config = subnets.map((s, i) => {
    const c: { Subnet: string; Gateway?: string; IPRange?: string } = { Subnet: s };
    if (gateways[i] !== undefined) c.Gateway = gateways[i];
    if (ranges[i] !== undefined) c.IPRange = ranges[i];
    return c;
  });
  const body: NetworkCreateBody = {
    Name: name,
    Driver: o.driver ?? "bridge",
    Internal: o.internal === true,
    Attachable: o.attachable === true,
    Options: keyValues(o.opt),
    Labels: keyValues(o.label),
    IPAM: { Driver: o.ipamDriver ?? "default", Config: config, Options: {} },
  };
  if (o.ipv6 === true) body.EnableIPv6 = true;
  return body;
}

/** One row of `network ls`. */
interface Row {
  ID: string;
  Name: string;
  Driver: string;
  Scope: string;
  IPv4: string;
  IPv6: string;
  Internal: string;
  Labels: string;
  CreatedAt: string;
}

function rows(list: readonly NetworkResource[], noTrunc: boolean): Row[] {
  return list.map((n) => ({
    ID: noTrunc ? n.Id : n.Id.slice(0, 12),
    Name: n.Name,
    Driver: n.Driver,
    Scope: n.Scope,
    IPv4: String(n.EnableIPv4),
    IPv6: String(n.EnableIPv6),
    Internal: String(n.Internal),
    Labels: Object.entries(n.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(","),
    CreatedAt: n.Created,
  }));
}

const HEADERS = { ID: "NETWORK ID", Name: "NAME", Driver: "DRIVER", Scope: "SCOPE", IPv4: "IPV4", IPv6: "IPV6", Internal: "INTERNAL", Labels: "LABELS", CreatedAt: "CREATED" };

/** The `network` command group. */
export function createNetworkCommand(cli: Cli): Command {
  const group = new Command("network").description("Manage networks");
  group.addCommand(new Command("create")
    .description("Create a network")
    .argument("<network>")
    .option("-d, --driver <driver>", "driver to manage the Network", "bridge")
    .option("--subnet <subnet>", "subnet in CIDR format that represents a network segment", collect)
    .option("--gateway <ip>", "IPv4 or IPv6 Gateway for the master subnet", collect)
    .option("--ip-range <range>", "allocate container ip from a sub-range", collect)
    .option("--internal", "restrict external access to the network")
    .option("--attachable", "enable manual container attachment")
    .option("--label <label>", "set metadata on a network", collect)
    .option("-o, --opt <opt>", "set driver specific options", collect)
    .option("--ipam-driver <driver>", "IP Address Management Driver", "default")
    .option("--ipv6", "enable or disable IPv6 networking")
    .action(async (name: string, o: NetworkCreateOptions) => {
      const r = await networks(cli).create(networkCreateBody(name, o));
      cli.out.write(`${r.Id}\n`);
    }));
  const ls = new Command("ls")
    .alias("list")
    .description("List networks")
    .option("-f, --filter <filter>", "provide filter values (e.g. \"driver=bridge\")", collect)
    .option("--format <format>", "format output using a Go-like template")
    .option("--no-trunc", "do not truncate the output")
    .option("-q, --quiet", "only display network IDs")
    .action(async (o: { filter?: string[]; format?: string; trunc?: boolean; quiet?: boolean }) => {
      const list = await networks(cli).list(parseFilterFlags(o.filter ?? []));
      // docker sorts by name.
      list.sort((a, b) => a.Name.localeCompare(b.Name));
      let format = resolveFormat(o.format, "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}");
      if (o.quiet === true) format = "{{.ID}}";
      cli.out.write(renderTemplate(format, rows(list, o.trunc === false).map(sortKeys), HEADERS));
    });
  group.addCommand(ls);
  group.addCommand(new Command("inspect")
    .description("Display detailed information on one or more networks")
    .argument("<network...>")
    .option("-f, --format <format>", "format output using a Go-like template")
    .option("-v, --verbose", "verbose output for diagnostics")
    .action(async (names: string[], o: { format?: string }) => {
      const found: unknown[] = [];
      const errors: unknown[] = [];
      for (const n of names) {
        try {
          found.push(await networks(cli).inspect(n));
        } catch (err) {
          errors.push(err);
        }
      }
      if (o.format !== undefined && o.format !== "" && o.format !== "json") cli.out.write(renderTemplate(o.format, found));
      else cli.out.write(`${JSON.stringify(found, null, 4)}\n`);
      reportErrors(errors);
    }));
  group.addCommand(new Command("rm")
    .aliases(["remove"])
    .description("Remove one or more networks")
    .argument("<network...>")
    .option("-f, --force", "do not error if the network does not exist")
    .action(async (names: string[], o: { force?: boolean }) => {
      const errors: unknown[] = [];
      for (const n of names) {
        try {
          await networks(cli).remove(n);
          cli.out.write(`${n}\n`);
        } catch (err) {
          if (o.force === true && err instanceof BerthError && err.kind === "not-found") continue;
          errors.push(err);
        }
      }
      reportErrors(errors);
    }));
  group.addCommand(new Command("prune")
    .description("Remove all unused networks")
    .option("-f, --force", "do not prompt for confirmation")
    .option("--filter <filter>", "provide filter values (e.g. \"until=<timestamp>\")", collect)
    .action(async (o: { filter?: string[] }) => {
      const r = await networks(cli).prune(parseFilterFlags(o.filter ?? []));
      const deleted = r.NetworksDeleted ?? [];
      if (deleted.length > 0) cli.out.write(`Deleted Networks:\n${deleted.map((d) => `${d}\n`).join("")}`);
    }));
  group.addCommand(new Command("connect")
    .description("Connect a container to a network")
    .argument("<network>")
    .argument("<container>")
    .option("--alias <alias>", "add network-scoped alias for the container", collect)
    .option("--ip <ip>", "IPv4 address (e.g., \"172.30.100.104\")")
    .option("--driver-opt <opt>", "driver options for the network", collect)
    .action(async (net: string, ctr: string, o: { alias?: string[]; ip?: string }) => {
      const ec: NonNullable<Parameters<NetworkClient["connect"]>[1]["EndpointConfig"]> = { Aliases: o.alias ?? [] };
      if (o.ip !== undefined) ec.IPAMConfig = { IPv4Address: o.ip };
      await networks(cli).connect(net, { Container: ctr, EndpointConfig: ec });
    }));
  group.addCommand(new Command("disconnect")
    .description("Disconnect a container from a network")
    .argument("<network>")
    .argument("<container>")
    .option("-f, --force", "force the container to disconnect from a network")
    .action(async (net: string, ctr: string, o: { force?: boolean }) => {
      await networks(cli).disconnect(net, ctr, o.force === true);
    }));
  return group;
}
