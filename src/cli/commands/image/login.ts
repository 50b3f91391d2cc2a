/** `berth login [-u user] [-p pass | --password-stdin] [SERVER]` and `berth logout [SERVER]`. */
import { Command } from "commander";
import type { Cli } from "../../cli.js";
import { configKey, dockerConfigPath, removeAuth, writeAuth } from "./docker-config.js";

async function readStdin(cli: Cli): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of cli.in as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}

/** Run `login`: the daemon checks the credentials, then they are stored as docker stores them. */
export async function runLogin(cli: Cli, server: string | undefined, o: { username?: string; password?: string; passwordStdin?: boolean }): Promise<void> {
  const client = cli.client();
  if (client.login === undefined) throw new Error("login: not supported by this client");
  if (o.password !== undefined && o.passwordStdin === true) throw new Error("--password and --password-stdin are mutually exclusive");
  if (o.username === undefined || o.username === "") throw new Error("Username is required (-u)");
  const password = o.passwordStdin === true ? await readStdin(cli) : o.password;
  if (password === undefined || password === "") throw new Error("Error: Password Required");
  const registry = server ?? "docker.io";
  const status = await client.login({ username: o.username, password, serveraddress: configKey(registry) });
  await writeAuth(dockerConfigPath(), registry, o.username, password);
  cli.out.write(`${status !== "" ? status : "Login Succeeded"}\n`);
}

/** The `login` command. */
export function createLoginCommand(cli: Cli): Command {
  return new Command("login")
    .description("Log in to a registry")
    .argument("[server]", "registry host")
    .option("-u, --username <username>", "username")
    .option("-p, --password <password>", "password")
    .option("--password-stdin", "take the password from stdin")
    .action(async (server: string | undefined, o: { username?: string; password?: string; passwordStdin?: boolean }) => runLogin(cli, server, o));
}

/** The `logout` command. */
export function createLogoutCommand(cli: Cli): Command {
  return new Command("logout")
    .description("Log out from a registry")
    .argument("[server]", "registry host")
    .action(async (server: string | undefined) => {
      const key = configKey(server ?? "docker.io");
      const removed = await removeAuth(dockerConfigPath(), server ?? "docker.io");
      cli.out.write(removed ? `Removing login credentials for ${key}\n` : `Not logged in to ${key}\n`);
    });
}
