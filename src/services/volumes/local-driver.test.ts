import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeHost } from "../../kernel/fake-host.js";
import { MS_BIND, MS_NOEXEC, MS_RDONLY, MS_REC } from "../../kernel/host.js";
import { mountLocal, needsMount, parseMountOpts, validateLocalOptions } from "./local-driver.js";

test("local driver options: validation texts, flags and data", () => {
  assert.doesNotThrow(() => validateLocalOptions({}));
  assert.doesNotThrow(() => validateLocalOptions({ type: "tmpfs", device: "tmpfs", o: "size=1m" }));
  assert.throws(() => validateLocalOptions({ size: "1m" }), { message: 'invalid option: "size"' });
  assert.throws(() => validateLocalOptions({ device: "/x" }), { message: 'missing required option: "type"' });
  assert.throws(() => validateLocalOptions({ type: "tmpfs" }), { message: 'missing required option: "device"' });
  assert.throws(() => validateLocalOptions({ type: "none", o: "bind", device: "rel" }), /bind source must be an absolute path/);
  assert.deepEqual(parseMountOpts("rbind,ro,noexec,uid=1000,size=1m"), { flags: MS_BIND | MS_REC | MS_RDONLY | MS_NOEXEC, data: "uid=1000,size=1m" });
  assert.deepEqual(parseMountOpts("ro,rw"), { flags: 0, data: "" });
  assert.equal(needsMount({ type: "tmpfs", device: "tmpfs" }), true);
  assert.equal(needsMount({}), false);
});

test("mountLocal: a read-only bind is a bind then a read-only remount", async () => {
  const host = new FakeHost();
  await mountLocal(host, { type: "none", device: "/srv", o: "bind,ro" }, "/v/_data");
  assert.deepEqual(host.calls.map((c) => c.op === "mount" && [c.source, c.target, c.fstype, c.flags]), [
    ["/srv", "/v/_data", "", MS_BIND],
    ["", "/v/_data", "", MS_BIND | 32 | MS_RDONLY],
  ]);
});
