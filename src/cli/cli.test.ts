import { test } from "node:test";
import assert from "node:assert/strict";
import type { ImageSummary } from "../api/images.js";
import { fakeCli, FakeEngine } from "./fake-cli.js";
import { runCli } from "./main.js";
import { splitTarget } from "./commands/image/tag.js";
import { bytesSize } from "./commands/system/info.js";

const NOW = Date.parse("2024-06-01T12:00:00Z");
const ID = `sha256:${"0123456789ab".repeat(5)}abcd`;

function img(over: Partial<ImageSummary>): ImageSummary {
  return { Id: ID, ParentId: "", RepoTags: [], RepoDigests: [], Created: NOW / 1000 - 7200, Size: 1_982_365, SharedSize: -1, Labels: {}, Containers: -1, ...over };
}

async function run(argv: string[], engine = new FakeEngine(), opts: { tty?: boolean } = {}) {
  const f = fakeCli(engine, { now: NOW, ...opts });
  const code = await runCli(argv, f.cli, () => undefined);
  return { code, out: f.stdout(), err: f.stderr(), engine };
}

test("berth images prints docker's table with human sizes and times", async () => {
  const e = new FakeEngine();
  e.images = [img({ RepoTags: ["busybox:latest", "localhost:5000/bb:1"] }), img({ Id: `sha256:${"f".repeat(64)}`, Created: NOW / 1000 - 86_400 * 3, Size: 999 })];
  const r = await run(["images"], e);
  assert.equal(r.code, 0);
  assert.equal(r.out, [
    "REPOSITORY          TAG       IMAGE ID       CREATED       SIZE",
    "busybox             latest    0123456789ab   2 hours ago   1.98MB",
    "localhost:5000/bb   1         0123456789ab   2 hours ago   1.98MB",
    "<none>              <none>    ffffffffffff   3 days ago    999B",
    "",
  ].join("\n"));
});

test("berth images -q, --no-trunc, --digests, --format and the repository argument", async () => {
  const e = new FakeEngine();
  e.images = [img({ RepoTags: ["busybox:latest"], RepoDigests: [`busybox@sha256:${"d".repeat(64)}`] })];
  assert.equal((await run(["images", "-q"], e)).out, "0123456789ab\n");
  assert.match((await run(["images", "--no-trunc"], e)).out, new RegExp(ID));
  const dig = await run(["images", "--digests"], e);
  assert.match(dig.out, /^REPOSITORY\s+TAG\s+DIGEST\s+IMAGE ID\s+CREATED\s+SIZE\n/);
  assert.match(dig.out, new RegExp(`busybox\\s+latest\\s+sha256:${"d".repeat(64)}\\s+0123456789ab`));
  assert.equal((await run(["images", "--format", "{{.Repository}}:{{.Tag}}"], e)).out, "busybox:latest\n");
  const json = JSON.parse((await run(["images", "--format", "json"], e)).out) as Record<string, string>;
  assert.equal(json.Repository, "busybox");
  assert.equal(json.ID, "0123456789ab");
  assert.equal((await run(["images", "--format", "table"], e)).out, (await run(["images"], e)).out);
  await run(["image", "ls", "-f", "dangling=false", "busy*"], e);
  assert.deepEqual(e.calls.at(-1), ["listImages", { all: false, digests: false, filters: { dangling: ["false"], reference: ["busy*"] } }]);
});

test("berth history truncates CREATED BY to 45 characters like docker", async () => {
  const e = new FakeEngine();
  e.history = [{ Id: ID, Created: NOW / 1000 - 60, CreatedBy: "/bin/sh -c #(nop) a very long command line that goes on", Size: 0, Comment: "", Tags: [] },
    { Id: "<missing>", Created: NOW / 1000 - 120, CreatedBy: "x", Size: 1000, Comment: "c", Tags: [] }];
  const r = await run(["history", "busybox"], e);
  assert.equal(r.out, [
    "IMAGE          CREATED              CREATED BY                                      SIZE      COMMENT",
    "0123456789ab   About a minute ago   /bin/sh -c #(nop) a very long command line t…   0B        ",
    "<missing>      2 minutes ago        x                                               1kB       c",
    "",
  ].join("\n"));
});

test("berth rmi prints Untagged/Deleted lines and reports each failure with exit 1", async () => {
  const e = new FakeEngine();
  e.removeResult.a = [{ Untagged: "a:latest" }, { Deleted: ID }];
  const r = await run(["rmi", "-f", "a", "nope"], e);
  assert.equal(r.code, 1);
  assert.equal(r.out, `Untagged: a:latest\nDeleted: ${ID}\n`);
  assert.equal(r.err, "Error response from daemon: No such image: nope\n");
  assert.deepEqual(e.calls[0], ["removeImage", "a", { force: true, noprune: false }]);
});

test("berth tag, import, load, save call the API with docker's parameters", async () => {
  const e = new FakeEngine();
  await run(["tag", "busybox", "localhost:5000/me/bb:v2"], e);
  assert.deepEqual(e.calls.at(-1), ["tagImage", "busybox", "localhost:5000/me/bb", "v2"]);
  assert.deepEqual(splitTarget("localhost:5000/x"), { repo: "localhost:5000/x", tag: undefined });
  const f = fakeCli(e, { stdin: Buffer.alloc(42) });
  assert.equal(await runCli(["import", "-c", "CMD sh", "-m", "hi", "-", "me/img:1"], f.cli, () => undefined), 0);
  assert.equal(f.stdout(), "sha256:new\n");
  assert.deepEqual(e.calls.at(-1), ["importImage", 42, { changes: ["CMD sh"], repo: "me/img", tag: "1", message: "hi" }]);
  const l = fakeCli(e, { stdin: Buffer.from("tar") });
  assert.equal(await runCli(["load"], l.cli, () => undefined), 0);
  assert.equal(l.stdout(), "Loaded image: busybox:latest\n");
  const s = await run(["save", "busybox"], e);
  assert.equal(s.out, "TAR");
});

test("berth save and load refuse a terminal like docker", async () => {
  const s = await run(["save", "busybox"], new FakeEngine(), { tty: true });
  assert.equal(s.code, 1);
  assert.equal(s.err, "Error: cowardly refusing to save to a terminal. Use the -o flag or redirect\n");
  const l = await run(["load"], new FakeEngine(), { tty: true });
  assert.equal(l.err, "Error: requested load from stdin, but stdin is empty\n");
});

test("berth image inspect prints a JSON array and errors for missing images", async () => {
  const e = new FakeEngine();
  e.inspectResult.busybox = { Id: ID, Config: { Cmd: ["sh"] } } as never;
  const r = await run(["image", "inspect", "busybox"], e);
  assert.deepEqual(JSON.parse(r.out), [{ Id: ID, Config: { Cmd: ["sh"] } }]);
  assert.match(r.out, /^\[\n {4}\{/);
  assert.equal((await run(["image", "inspect", "-f", "{{.Config.Cmd}}", "busybox"], e)).out, "[sh]\n");
  const miss = await run(["image", "inspect", "nope"], e);
  assert.equal(miss.code, 1);
  assert.equal(miss.out, "[]\n");
  assert.equal(miss.err, "Error response from daemon: No such image: nope\n");
});

test("berth events prints docker's event line", async () => {
  const e = new FakeEngine();
  e.eventList = [{ status: "tag", id: ID, Type: "image", Action: "tag", Actor: { ID, Attributes: { name: "b:1", a: "x" } }, scope: "local", time: 1_700_000_000, timeNano: 1_700_000_000_123_456_000, nano: 1_700_000_000_123_456_789n }];
  const r = await run(["events", "--since", "10m", "--until", "0", "-f", "type=image"], e);
  assert.equal(r.out, `2023-11-14T22:13:20.123456789Z image tag ${ID} (a=x, name=b:1)\n`);
  assert.deepEqual(e.calls.at(-1), ["events", { filters: { type: ["image"] }, since: "10m", until: "0" }]);
});

test("berth reports unknown commands and bad filters with exit 1; bytesSize() is binary", async () => {
  assert.equal((await run(["images", "-f", "nonsense"])).err, "Error: bad format of filter (expected name=value)\n");
  assert.equal(bytesSize(8_326_000_000), "7.754GiB");
});

test("berth reports usage errors as docker does: flag errors exit 125, argument errors 1", async () => {
  const flag = await run(["ps", "--bogus"]);
  assert.equal(flag.code, 125);
  assert.match(flag.err, /^unknown flag: --bogus\n\nUsage: {2}berth ps .*\n\nRun 'berth ps --help' for more information\n$/);
  const short = await run(["images", "-Z"]);
  assert.equal(short.code, 125);
  assert.match(short.err, /^unknown shorthand flag: 'Z' in -Z\n/);
  const needs = await run(["images", "--filter"]);
  assert.equal(needs.code, 125);
  assert.match(needs.err, /^flag needs an argument: --filter\n/);
  const created = await run(["create", "--bogus", "busybox"]);
  assert.equal(created.code, 125);
  assert.match(created.err, /^unknown flag: --bogus\n/);
  const missing = await run(["rm"]);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /^berth: 'berth rm' requires at least 1 argument\n/);
  const tag = await run(["tag", "busybox"]);
  assert.equal(tag.code, 1);
  assert.match(tag.err, /^berth: 'berth tag' requires exactly 2 arguments\n/);
  const cmd = await run(["bogus"]);
  assert.equal(cmd.code, 1);
  assert.match(cmd.err, /^berth: unknown command: berth bogus\n/);
  // Help is not an error, and goes to stdout.
  const help = await run(["ps", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.out, /Usage: berth ps/);
  assert.equal(help.err, "");
});

test("berth history -H takes no value (-H=false prints raw sizes), as docker's boolean flag", async () => {
  const e = new FakeEngine();
  e.history = [{ Id: ID, Created: NOW / 1000 - 60, CreatedBy: "x", Size: 1000, Comment: "", Tags: [] }];
  const human = await run(["history", "-H", "busybox"], e);
  assert.equal(human.code, 0);
  assert.deepEqual(e.calls.at(-1), ["imageHistory", "busybox"]);
  assert.match(human.out, /About a minute ago\s+x\s+1kB/);
  const raw = await run(["history", "-H=false", "busybox"], e);
  assert.match(raw.out, /\s1000\s/);
});
