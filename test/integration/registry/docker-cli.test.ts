/**
 * `berth registry` against the real docker client and engine: a private dockerd (own
 * data-root, exec-root, socket and containerd namespace; vfs storage, no bridge, no
 * iptables, oom_score_adj left alone since lowering it needs CAP_SYS_RESOURCE) imports a tiny image, pushes it to the registry's entry point on loopback,
 * forgets it and pulls it back by tag, with and without `docker login`.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pack } from "tar-stream";
import { htpasswdLine } from "../../../src/registry/index.js";

const MAIN = new URL("../../../src/registry/main.js", import.meta.url).pathname;

let missing: string | undefined;
let work = "";
let dockerd: ChildProcess | undefined;
let env: NodeJS.ProcessEnv = {};

function docker(args: string[], input?: string): { status: number; out: string; stdout: string } {
  const r = spawnSync("docker", args, { env, encoding: "utf8", timeout: 120_000, ...(input !== undefined ? { input } : {}) });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}

before(async () => {
  for (const bin of ["dockerd", "docker", "containerd"]) {
    if (spawnSync("sh", ["-c", `command -v ${bin}`], { stdio: "ignore" }).status !== 0) {
      missing = `${bin} is not installed (Debian: docker.io and docker-cli)`;
      return;
    }
  }
  work = await mkdtemp(join(tmpdir(), "berth-registry-docker-"));
  const sock = join(work, "docker.sock");
  env = { ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: join(work, "docker-config") };
  let log = "";
  dockerd = spawn("dockerd", [
    "--data-root", join(work, "data"), "--exec-root", join(work, "exec"), "-H", `unix://${sock}`,
    "--pidfile", join(work, "docker.pid"), "--bridge=none", "--iptables=false", "--ip6tables=false",
    // Leave the host's sysctls and /etc/docker alone: a private daemon must not change the machine.
    "--ip-forward=false", "--ip-masq=false", "--config-file", daemonJson(work),
    "--storage-driver", "vfs", "--oom-score-adjust", "0", "--containerd-namespace", "berth-registry-test",
    "--containerd-plugins-namespace", "berth-registry-test-plugins",
  ], { stdio: ["ignore", "pipe", "pipe"] });
  dockerd.stderr?.on("data", (c: Buffer) => (log += c.toString()));
  dockerd.stdout?.on("data", (c: Buffer) => (log += c.toString()));
  for (let i = 0; i < 120; i++) {
    if (docker(["version", "--format", "{{.Server.Version}}"]).status === 0) return;
    if (dockerd.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`dockerd did not come up: ${log.slice(-2000)}`);
});


/**
 * A daemon.json of the test's own. dockerd before 23 writes its trust key to
 * /etc/docker/key.json unless told otherwise; newer versions refuse the unknown key.
 */
function daemonJson(dir: string): string {
  const v = spawnSync("dockerd", ["--version"], { encoding: "utf8" }).stdout ?? "";
  const major = Number(/version (\d+)\./.exec(v)?.[1] ?? 0);
  const path = join(dir, "daemon.json");
  writeFileSync(path, JSON.stringify(major > 0 && major < 23 ? { "deprecated-key-path": join(dir, "key.json") } : {}));
  return path;
}

after(async () => {
  if (dockerd && dockerd.exitCode === null) {
    const exited = new Promise<void>((resolve) => dockerd?.once("exit", () => resolve()));
    dockerd.kill("SIGTERM");
    const timer = setTimeout(() => dockerd?.kill("SIGKILL"), 20_000);
    await exited;
    clearTimeout(timer);
  }
  if (work !== "") await rm(work, { recursive: true, force: true });
});

async function startRegistry(args: string[]): Promise<{ child: ChildProcess; addr: string }> {
  const child = spawn(process.execPath, [MAIN, "serve", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr?.on("data", (c: Buffer) => (err += c.toString()));
  const addr = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once("exit", (code) => reject(new Error(`registry exited with ${code}: ${err}`)));
  });
  return { child, addr };
}

async function stopRegistry(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  await exited;
}

async function rootfsTar(path: string, text: string): Promise<void> {
  const p = pack();
  p.entry({ name: "hello.txt", mtime: new Date(0) }, text);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  await writeFile(path, Buffer.concat(chunks));
}

function repoDigest(ref: string): string {
  const r = docker(["image", "inspect", "--format", "{{json .RepoDigests}}", ref]);
  assert.equal(r.status, 0, r.out);
  const all = JSON.parse(r.stdout) as string[];
  return all[0]?.split("@")[1] ?? "";
}

test("docker push and pull through berth registry keep the manifest digest", async (t) => {
  if (missing) return t.skip(missing);
  const reg = await startRegistry(["--addr", "127.0.0.1:0", "--root", join(work, "root-plain")]);
  t.after(() => stopRegistry(reg.child));
  const ref = `${reg.addr}/docker/hello:v1`;
  await rootfsTar(join(work, "plain.tar"), "hello docker\n");
  const imp = docker(["import", join(work, "plain.tar"), ref]);
  assert.equal(imp.status, 0, imp.out);
  const push = docker(["push", ref]);
  assert.equal(push.status, 0, push.out);
  const pushed = /digest: (sha256:[a-f0-9]{64})/.exec(push.out)?.[1];
  assert.ok(pushed, push.out);
  // the registry serves what docker pushed, under the same digest
  const res = await fetch(`http://${reg.addr}/v2/docker/hello/manifests/v1`, {
    headers: { Accept: "application/vnd.docker.distribution.manifest.v2+json" },
  });
  assert.equal(res.headers.get("docker-content-digest"), pushed);
  assert.equal(res.headers.get("content-type"), "application/vnd.docker.distribution.manifest.v2+json");
  assert.equal(docker(["rmi", ref]).status, 0);
  const pull = docker(["pull", ref]);
  assert.equal(pull.status, 0, pull.out);
  assert.equal(repoDigest(ref), pushed);
  const byDigest = docker(["pull", `${reg.addr}/docker/hello@${pushed}`]);
  assert.equal(byDigest.status, 0, byDigest.out);
});

test("docker login, push and pull against berth registry with basic auth", async (t) => {
  if (missing) return t.skip(missing);
  await writeFile(join(work, "htpasswd"), `${htpasswdLine("dockeruser", "dockerpass")}\n`);
  const reg = await startRegistry(["--addr", "127.0.0.1:0", "--root", join(work, "root-auth"), "--htpasswd", join(work, "htpasswd")]);
  t.after(() => stopRegistry(reg.child));
  const ref = `${reg.addr}/secure/hello:v1`;
  await rootfsTar(join(work, "auth.tar"), "hello auth\n");
  assert.equal(docker(["import", join(work, "auth.tar"), ref]).status, 0);
  const anon = docker(["push", ref]);
  assert.notEqual(anon.status, 0);
  assert.match(anon.out, /no basic auth credentials|unauthorized|authentication required/i);
  const bad = docker(["login", reg.addr, "-u", "dockeruser", "--password-stdin"], "wrong\n");
  assert.notEqual(bad.status, 0);
  const login = docker(["login", reg.addr, "-u", "dockeruser", "--password-stdin"], "dockerpass\n");
  assert.equal(login.status, 0, login.out);
  const config = JSON.parse(await readFile(join(work, "docker-config", "config.json"), "utf8")) as { auths: Record<string, unknown> };
  assert.ok(config.auths[reg.addr], "the credentials are stored where docker keeps them, in the test's DOCKER_CONFIG");
  const push = docker(["push", ref]);
  assert.equal(push.status, 0, push.out);
  const pushed = /digest: (sha256:[a-f0-9]{64})/.exec(push.out)?.[1];
  assert.equal(docker(["rmi", ref]).status, 0);
  const pull = docker(["pull", ref]);
  assert.equal(pull.status, 0, pull.out);
  assert.equal(repoDigest(ref), pushed);
  assert.equal(docker(["logout", reg.addr]).status, 0);
});

test("docker login, push and pull with the bearer-token flow the registry serves", async (t) => {
  if (missing) return t.skip(missing);
  const { createServer } = await import("node:net");
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  await writeFile(join(work, "htpasswd-token"), `${htpasswdLine("tokenuser", "tokenpass")}\n`);
  const reg = await startRegistry([
    "--addr", `127.0.0.1:${port}`, "--root", join(work, "root-token"), "--htpasswd", join(work, "htpasswd-token"),
    "--token-realm", `http://127.0.0.1:${port}/token`,
  ]);
  t.after(() => stopRegistry(reg.child));
  const ref = `${reg.addr}/tok/hello:v1`;
  await rootfsTar(join(work, "token.tar"), "hello token\n");
  assert.equal(docker(["import", join(work, "token.tar"), ref]).status, 0);
  assert.notEqual(docker(["push", ref]).status, 0);
  const login = docker(["login", reg.addr, "-u", "tokenuser", "--password-stdin"], "tokenpass\n");
  assert.equal(login.status, 0, login.out);
  const push = docker(["push", ref]);
  assert.equal(push.status, 0, push.out);
  const pushed = /digest: (sha256:[a-f0-9]{64})/.exec(push.out)?.[1];
  assert.equal(docker(["rmi", ref]).status, 0);
  const pull = docker(["pull", ref]);
  assert.equal(pull.status, 0, pull.out);
  assert.equal(repoDigest(ref), pushed);
  assert.equal(docker(["logout", reg.addr]).status, 0);
});
