/** `berth logs`. */
import { Command } from "commander";
import type { Cli } from "../../cli.js";
import { containers } from "./client.js";

/** Run `logs`. */
export async function runLogs(cli: Cli, name: string, o: { follow?: boolean; tail?: string; since?: string; until?: string; timestamps?: boolean }): Promise<void> {
  const c = containers(cli);
  const info = await c.inspect(name);
  const tty = info.Config.Tty === true;
  const stream = await c.logs(name, {
    stdout: "1", stderr: "1", follow: o.follow === true ? "1" : undefined, tail: o.tail, since: o.since, until: o.until,
    timestamps: o.timestamps === true ? "1" : undefined,
  });
  let buf: Buffer = Buffer.alloc(0);
  for await (const chunk of stream) {
    if (tty) {
      cli.out.write(chunk as Buffer);
      continue;
    }
    buf = buf.length === 0 ? (chunk as Buffer) : Buffer.concat([buf, chunk as Buffer]);
    while (buf.length >= 8) {
      const size = buf.readUInt32BE(4);
      if (buf.length < 8 + size) break;
      (buf[0] === 2 ? cli.err : cli.out).write(buf.subarray(8, 8 + size));
      buf = buf.subarray(8 + size);
    }
  }
}

/** The `logs` command. */
export function createLogsCommand(cli: Cli): Command {
  return new Command("logs")
    .description("Fetch the logs of a container")
    .argument("<container>")
    .option("-f, --follow", "follow log output")
    .option("-n, --tail <n>", "number of lines to show from the end of the logs", "all")
    .option("--since <time>", "show logs since timestamp or relative (e.g. 42m)")
    .option("--until <time>", "show logs before a timestamp or relative")
    .option("-t, --timestamps", "show timestamps")
    .action(async (name: string, o: { follow?: boolean; tail?: string; since?: string; until?: string; timestamps?: boolean }) => runLogs(cli, name, o));
}
