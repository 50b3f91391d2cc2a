/**
 * Rendering a pull/push progress stream as docker does: on a terminal, one line per layer
 * redrawn in place with its bar; otherwise one line per status change.
 */
import type { TransferMessage } from "../../../client/engine-api.js";
import type { Cli } from "../../cli.js";

/** A message handler that renders to the CLI's stdout. */
export function progressRenderer(cli: Cli): (m: TransferMessage) => void {
  const tty = cli.isTerminal("out");
  const order: string[] = [];
  const lines = new Map<string, string>();
  return (m) => {
    if (m.aux !== undefined) return;
    const text = m.id !== undefined ? `${m.id}: ${m.status ?? ""}${tty && m.progress !== undefined ? ` ${m.progress}` : ""}` : (m.status ?? "");
    if (m.id === undefined || !tty) {
      // Without a terminal, byte progress would flood the output: docker prints status changes only.
      if (!tty && m.progressDetail !== undefined && (m.status === "Downloading" || m.status === "Pushing" || m.status === "Extracting")) return;
      cli.out.write(`${text}\n`);
      return;
    }
    if (!lines.has(m.id)) {
      order.push(m.id);
      lines.set(m.id, text);
      cli.out.write(`${text}\n`);
      return;
    }
    lines.set(m.id, text);
    const up = order.length - order.indexOf(m.id);
    cli.out.write(`\x1b[${up}A\r\x1b[2K${text}\x1b[${up}B\r`);
  };
}
