#!/usr/bin/env node
/**
 * The registry's own entry point, runnable without berthd:
 *   main.js serve --addr 127.0.0.1:5000 --root DIR [--htpasswd FILE] [--token-realm URL]
 *                 [--token-service NAME] [--anonymous-pull] [--tls-cert F --tls-key F]
 *   main.js gc --root DIR [--dry-run] [--grace SECONDS]
 */
import { parseArgs } from "node:util";
import { pino, destination } from "pino";
import { collectGarbage } from "./gc.js";
import { serveRegistry } from "./serve.js";

const USAGE = `usage: berth-registry serve --root DIR [--addr HOST:PORT] [--htpasswd FILE] [--token-realm URL]
                      [--token-service NAME] [--anonymous-pull] [--tls-cert FILE --tls-key FILE]
       berth-registry gc --root DIR [--dry-run] [--grace SECONDS]`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const logger = pino({ level: process.env.BERTH_REGISTRY_LOG_LEVEL ?? "info" }, destination(2));
  if (cmd === "serve") {
    const { values } = parseArgs({
      args: rest,
      options: {
        addr: { type: "string", default: "127.0.0.1:5000" },
        root: { type: "string" },
        htpasswd: { type: "string" },
        "token-realm": { type: "string" },
        "token-service": { type: "string" },
        "anonymous-pull": { type: "boolean", default: false },
        "tls-cert": { type: "string" },
        "tls-key": { type: "string" },
      },
    });
    if (values.root === undefined) throw new TypeError("serve: --root is required");
    const running = await serveRegistry({
      addr: values.addr,
      root: values.root,
      logger,
      anonymousPull: values["anonymous-pull"],
      ...(values.htpasswd !== undefined ? { htpasswd: values.htpasswd } : {}),
      ...(values["token-realm"] !== undefined ? { tokenRealm: values["token-realm"] } : {}),
      ...(values["token-service"] !== undefined ? { tokenService: values["token-service"] } : {}),
      ...(values["tls-cert"] !== undefined ? { tlsCert: values["tls-cert"] } : {}),
      ...(values["tls-key"] !== undefined ? { tlsKey: values["tls-key"] } : {}),
    });
    // stdout line for scripts that started us with port 0
    process.stdout.write(`listening on ${running.address}\n`);
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        void running.close().finally(resolve);
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    return 0;
  }
  if (cmd === "gc") {
    const { values } = parseArgs({
      args: rest,
      options: {
        root: { type: "string" },
        "dry-run": { type: "boolean", default: false },
        grace: { type: "string", default: "0" },
      },
    });
    if (values.root === undefined) throw new TypeError("gc: --root is required");
    const grace = Number(values.grace);
    if (!Number.isFinite(grace) || grace < 0) throw new TypeError(`gc: invalid --grace "${values.grace}"`);
    const r = await collectGarbage({ root: values.root, dryRun: values["dry-run"], graceSeconds: grace, logger });
    for (const d of r.deleted) process.stdout.write(`${values["dry-run"] ? "would delete" : "deleted"} ${d}\n`);
    process.stdout.write(`${r.marked} blobs marked, ${r.deleted.length} ${values["dry-run"] ? "unreferenced" : "deleted"}, ${r.uploadsPurged} stale uploads removed\n`);
    return 0;
  }
  process.stderr.write(`${USAGE}\n`);
  return cmd === undefined || cmd === "help" || cmd === "--help" ? 0 : 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`berth-registry: ${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
