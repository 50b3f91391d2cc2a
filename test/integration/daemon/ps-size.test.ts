/** `ps -s`: SIZE is the writable layer "(virtual …)" the image plus it, as docker shows; SizeRw/SizeRootFs in the API. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { httpCall, startDaemon } from "./daemon-helper.js";
import { humanSize } from "../../../src/cli/format/human.js";

test("docker ps -s shows the writable layer size and the virtual size (image + writable layer)", async (t) => {
  const d = await startDaemon(t);
  const img = Number((await d.docker(["image", "inspect", "-f", "{{.Size}}", "busybox"])).stdout.trim());
  assert.ok(img > 100_000, `image size ${img}`);
  const clean = `size-clean-${process.pid}`;
  const big = `size-big-${process.pid}`;
  assert.equal((await d.docker(["run", "--name", clean, "busybox", "true"])).code, 0);
  // A hard link counts once, as in moby's directory.Size.
  const r = await d.docker(["run", "--name", big, "busybox", "sh", "-c", "head -c 1000000 /dev/zero > /big && ln /big /big2"]);
  assert.equal(r.code, 0, r.stderr);

  const size = async (name: string) => (await d.docker(["ps", "-a", "-s", "--filter", `name=${name}`, "--format", "{{.Size}}"])).stdout;
  assert.equal(await size(clean), `0B (virtual ${humanSize(img)})\n`);
  assert.equal(await size(big), `1MB (virtual ${humanSize(img + 1_000_000)})\n`);

  const table = await d.docker(["ps", "-a", "-s", "--filter", `name=${big}`]);
  assert.match(table.stdout.split("\n")[0] ?? "", /\bNAMES\s+SIZE$/);
  assert.match(table.stdout.split("\n")[1] ?? "", new RegExp(`${big}\\s+1MB \\(virtual ${humanSize(img + 1_000_000).replace(".", "\\.")}\\)$`));

  const api = await httpCall(d.socket, "GET", `/containers/json?all=1&size=1&filters=${encodeURIComponent(JSON.stringify({ name: [big] }))}`);
  const list = JSON.parse(api.body) as Array<{ SizeRw?: number; SizeRootFs?: number }>;
  assert.deepEqual(list.map((c) => [c.SizeRw, c.SizeRootFs]), [[1_000_000, img + 1_000_000]]);
  const noSize = JSON.parse((await httpCall(d.socket, "GET", "/containers/json?all=1")).body) as Array<Record<string, unknown>>;
  assert.ok(noSize.every((c) => !("SizeRw" in c)), "sizes only when asked for");

  const berth = await d.berth(["ps", "-a", "-s", "--filter", `name=${clean}`, "--format", "{{.Size}}"]);
  assert.equal(berth.stdout, `0B (virtual ${humanSize(img)})\n`, berth.stderr);
});
